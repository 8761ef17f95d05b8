/**
 * Celery's `rate_limit` syntax: "10/s", "100/m", "1000/h", or a number (per second). One parser
 * for the API's validation and the queue's enforcement. Pure.
 */

const PERIOD_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * The longest spacing a rate limit may ask for: one task a day. A slower one ("0.0001/h", 1e-300)
 * would put a bucket's next turn centuries ahead and hold its tasks for good.
 */
export const MAX_RATE_INTERVAL_MS = 86_400_000;

/** What a rate limit must be: the message of every refusal of one. */
export const RATE_LIMIT_RULE = 'must look like "10/s", "100/m" or "1000/h" (or a number per second) and allow at least one task a day';

/**
 * A rate limit as tasks per period, or null when `limit` is not one (a form other than the
 * above, or slower than one task in MAX_RATE_INTERVAL_MS). 0 means "no limit".
 */
export function parseRateLimit(limit: unknown): { count: number; periodMs: number } | null {
  let rate: { count: number; periodMs: number } | null = null;
  if (typeof limit === "number") rate = limit >= 0 && Number.isFinite(limit) ? { count: limit, periodMs: 1000 } : null;
  else if (typeof limit === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(limit);
    rate = m ? { count: Number(m[1]), periodMs: PERIOD_MS[(m[2] ?? "s") as keyof typeof PERIOD_MS] } : null;
  }
  if (rate && rate.count > 0 && rate.periodMs / rate.count > MAX_RATE_INTERVAL_MS) return null;
  return rate;
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
