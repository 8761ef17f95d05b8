/**
 * Celery's `rate_limit` syntax: "10/s", "100/m", "1000/h", or a number (per second). One parser
 * for the API's validation and the queue's enforcement. Pure.
 */

const PERIOD_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A rate limit as tasks per period, or null when `limit` is not one. 0 means "no limit". */
export function parseRateLimit(limit: unknown): { count: number; periodMs: number } | null {
  if (typeof limit === "number") return limit >= 0 && Number.isFinite(limit) ? { count: limit, periodMs: 1000 } : null;
  if (typeof limit !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(limit);
  return m ? { count: Number(m[1]), periodMs: PERIOD_MS[(m[2] ?? "s") as keyof typeof PERIOD_MS] } : null;
}

/** True for a well-formed rate limit (including 0, no limit). */
export function isRateLimit(limit: unknown): boolean {
  return parseRateLimit(limit) !== null;
}

/** The spacing between two tasks under `limit`, in ms; null for no limit (0) or not a limit. */
export function rateInterval(limit: unknown): number | null {
  const rate = parseRateLimit(limit);
  return rate && rate.count > 0 ? rate.periodMs / rate.count : null;
}
