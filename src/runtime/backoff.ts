/**
 * The backoff of a failing step that is tried again later (an outbox row, a Queue send, a chord
 * body): doubling from RETRY_BACKOFF_FIRST_MS up to RETRY_BACKOFF_MAX_MS.
 */
import { RETRY_BACKOFF_FIRST_MS, RETRY_BACKOFF_MAX_MS } from "../protocol/index.js";

/** The wait before try `attempts + 1`, after `attempts` (>= 1) failed tries. Pure. */
export function retryBackoffMs(attempts: number): number {
  const doublings = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_FIRST_MS * 2 ** doublings);
}
