/**
 * Celery's `rate_limit` ("10/s", "100/m", "1000/h", or a number per second), enforced where
 * tasks are dispatched: each (task, key value) gets a virtual clock (GCRA, capacity 1), so tasks
 * leave evenly spaced; one that is early waits as a delayed message until its turn. Pure.
 */
import type { TaskMessage } from "./message.js";

const PERIOD_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** The spacing between two tasks under `limit`, in ms; null for no limit (or "0"). */
export function rateInterval(limit: unknown): number | null {
  if (typeof limit === "number") return limit > 0 ? 1000 / limit : null;
  if (typeof limit !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(limit);
  if (!m) return null;
  const n = Number(m[1]);
  if (!(n > 0)) return null;
  return PERIOD_MS[(m[2] ?? "s") as keyof typeof PERIOD_MS] / n;
}

/** True for a well-formed rate limit. */
export function isRateLimit(limit: unknown): boolean {
  return rateInterval(limit) !== null || limit === 0 || limit === "0";
}

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
  const at = Math.max(clocks.get(bucket) ?? now, now);
  clocks.set(bucket, at + interval);
  return at;
}
