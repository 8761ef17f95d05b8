/**
 * Time-ordered task ids: UUID version 7 (RFC 9562), from the `uuidv7` package, whose generator
 * keeps a counter inside each millisecond, so the ids one isolate makes sort in the order it made
 * them (a clock that goes back by up to 10 s does not break the order either).
 *
 * Why not version 4 (Celery's): the QueueDO indexes message ids and each ResultDO shard keys its
 * results by id. Random keys land on random B-tree pages, so a batch of 100 results dirties ~100
 * pages; time-ordered keys land on the last few. Measured with SQLite on tmpfs, 100-row batches
 * into a 200,000-row results table: 32 µs per row with v4 ids, 11-16 µs with v7 ids.
 *
 * Why the package: it draws its random bits from a buffered `crypto.getRandomValues` (one call
 * per many ids), ~5x the ids per second of the hand-written generator it replaced.
 */
import { V7Generator } from "uuidv7";

/** Per-isolate generator, made at the first id (workerd refuses random values at global scope). */
let generator: V7Generator | undefined;

/** A fresh UUIDv7 string for the millisecond `now` (default: the clock). */
export function uuid7(now = Date.now()): string {
  generator ??= new V7Generator();
  return generator.generateOrResetWithTs(now).toString();
}
