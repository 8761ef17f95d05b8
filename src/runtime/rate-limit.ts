/**
 * Celery's `rate_limit` ("10/s", "100/m", "1000/h", or a number per second), enforced where
 * tasks are dispatched: each (task, key value) gets a virtual clock (GCRA, capacity 1), so tasks
 * leave evenly spaced; one that is early waits as a delayed message until its turn. Pure.
 */
import type { TaskMessage } from "../protocol/message.js";
import { MAX_ETA_EPOCH_MS } from "../protocol/constants.js";

export { isRateLimit, rateInterval } from "../protocol/rate-limit.js";

/** The bucket a message counts against: its task, and the value of its `rate_limit_key`. */
export function rateBucket(m: TaskMessage): string {
  const keyName = m.options.rate_limit_key;
  if (!keyName) return m.task;
  const value = keyName in m.stamps ? m.stamps[keyName] : m.kwargs[keyName];
  return `${m.task}\u0000${JSON.stringify(value ?? null)}`;
}

/**
 * Decides a message's turn: `at` is when it may run (≤ now: now), and the bucket's clock moves
 * on by one interval. `clocks` maps a bucket to the earliest time its next task may start.
 */
export function takeTurn(clocks: Map<string, number>, bucket: string, interval: number, now: number): number {
  // A clock past any time a task may be held to (left by a rate no longer accepted, slower than
  // MAX_RATE_INTERVAL_MS) holds nothing back.
  const clock = clocks.get(bucket);
  const at = clock !== undefined && clock <= MAX_ETA_EPOCH_MS ? Math.max(clock, now) : now;
  clocks.set(bucket, at + interval);
  return at;
}

/**
 * Most clocks a queue caches in memory (each is in its storage too, `rate_clocks`): past it, the
 * cache is pruned at dispatch, so one clock per `rate_limit_key` value ever seen cannot pile up.
 */
export const RATE_CLOCKS_IN_MEMORY = 10_000;

/**
 * Drops the cached clocks whose time has passed (a clock at or before now holds nothing back,
 * so no turn changes); if the cache is still at `max`, empties it (storage has every clock).
 */
export function pruneClocks(clocks: Map<string, number>, now: number, max = RATE_CLOCKS_IN_MEMORY): void {
  for (const [bucket, at] of clocks) if (at <= now) clocks.delete(bucket);
  if (clocks.size >= max) clocks.clear();
}
