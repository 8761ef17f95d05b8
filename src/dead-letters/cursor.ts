/**
 * The paging cursor of `GET /v1/dead-letters`: the position of the last item of a page in the
 * newest-first order (failed_at desc, queue desc, seq desc), as opaque base64url JSON (read with
 * or without `=` padding). Pure.
 */
import { WireError } from "../protocol/index.js";
import { fromBase64Url, toBase64Url } from "../protocol/base64url.js";

/** The longest cursor read (before its padding): far past any {@link encodeCursor} makes. */
const MAX_CURSOR_CHARS = 600;

/** Where a page ended: the last item's failure time, queue and row number in that queue. */
export interface DeadLetterCursor {
  failedAt: number;
  queue: string;
  seq: number;
}

/** The cursor as it goes on the wire. */
export function encodeCursor(c: DeadLetterCursor): string {
  return toBase64Url(JSON.stringify([c.failedAt, c.queue, c.seq]));
}

/**
 * A cursor from the wire.
 * @throws WireError `invalid_request` at path `cursor` for anything {@link encodeCursor} did not make.
 */
export function decodeCursor(s: string): DeadLetterCursor {
  const bad = () => new WireError("invalid_request", "cursor: not a cursor this API returned", "cursor");
  const text = fromBase64Url(s, MAX_CURSOR_CHARS);
  if (text === null) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3) throw bad();
  const [failedAt, queue, seq] = v as unknown[];
  if (!Number.isSafeInteger(failedAt) || typeof queue !== "string" || !Number.isSafeInteger(seq)) throw bad();
  return { failedAt: failedAt as number, queue, seq: seq as number };
}

/**
 * The bound a queue's page starts below, for a merge across queues in the cursor's order:
 * rows of `queue` with `failed_at < at`, or `failed_at = at` and `seq < seq`.
 */
export function boundFor(queue: string, c: DeadLetterCursor | null): { at: number; seq: number } {
  if (!c) return { at: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
  if (queue < c.queue) return { at: c.failedAt, seq: Number.MAX_SAFE_INTEGER };
  if (queue === c.queue) return { at: c.failedAt, seq: c.seq };
  return { at: c.failedAt, seq: 0 };
}
