/**
 * How many shard objects a queue's operations must reach: its layout's count, or more when the
 * queue once had more (its `shards` lowered by a deploy). Tasks in a dropped shard keep being
 * dispatched and settled by that shard itself; stats, settings (pause, resume), purge, revoke,
 * inspect and dead letters reach them through this count.
 */
import type { QueueLayout } from "../app/queue-config.js";
import type { EdgeryEnv } from "./env.js";
import { isMissingRpcMethod, queueShardStub } from "./stubs.js";

/** How long an isolate trusts what a queue's shard 0 said (a shard count changes only with a deploy). */
const SEEN_TTL_MS = 30_000;

const seenOf = new Map<string, { n: number; at: number }>();

/**
 * The shard objects a queue's operations ask: `max(layout.shards, the most shard 0 was told)`,
 * the latter read from shard 0 at most once per SEEN_TTL_MS per isolate (a shard of an older
 * version that cannot say counts as the layout). One extra request per queue and half minute,
 * for operations only: a send never asks.
 */
export async function queueShardCount(env: EdgeryEnv, queue: string, layout: QueueLayout, now = Date.now()): Promise<number> {
  // By layout too: a count read while this isolate's layout was another may predate the change.
  const key = `${layout.shards}:${queue}`;
  const cached = seenOf.get(key);
  if (cached && now - cached.at < SEEN_TTL_MS) return Math.max(layout.shards, cached.n);
  let n = layout.shards;
  try {
    n = await queueShardStub(env, queue, 0, layout).shardsSeen();
  } catch (err) {
    if (!isMissingRpcMethod(err, "shardsSeen")) throw err;
  }
  seenOf.set(key, { n, at: now });
  return Math.max(layout.shards, n);
}
