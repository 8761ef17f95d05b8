/**
 * The fault harness's hooks (scripts/chaos, `npm run chaos`). They are read from the Worker's
 * variables only in local dev (`EDGERY_DEV` is `"true"`); anywhere else every hook is off,
 * whatever the variables say. This is the one place that rule lives.
 */
import type { EdgeryEnv } from "./env.js";

/** The longest delay EDGERY_CHAOS_SLOW_RESULTS_MS may ask for (a larger value is cut to it). */
export const MAX_CHAOS_SLOW_RESULTS_MS = 60_000;

/** What the fault harness turned on. */
export interface ChaosHooks {
  /** EDGERY_CHAOS_DUPLICATE `"true"`: the queue consumer processes every delivery twice at once. */
  duplicateDeliveries: boolean;
  /**
   * EDGERY_CHAOS_SLOW_RESULTS_MS: every write to the result backend (ResultDO.write, through
   * which the consumers, the queue outbox and the kv backend store results) waits this many ms
   * first. 0: off.
   */
  slowResultsMs: number;
}

/** The variables the hooks read. */
export type ChaosVars = Pick<EdgeryEnv, "EDGERY_DEV" | "EDGERY_CHAOS_DUPLICATE" | "EDGERY_CHAOS_SLOW_RESULTS_MS">;

const OFF: ChaosHooks = Object.freeze({ duplicateDeliveries: false, slowResultsMs: 0 });

/** The fault harness's hooks for `env`: all off unless `EDGERY_DEV` is `"true"`. */
export function chaosHooks(env: ChaosVars): ChaosHooks {
  if (env.EDGERY_DEV !== "true") return OFF;
  const ms = Number(env.EDGERY_CHAOS_SLOW_RESULTS_MS ?? 0);
  return {
    duplicateDeliveries: env.EDGERY_CHAOS_DUPLICATE === "true",
    slowResultsMs: Number.isFinite(ms) && ms > 0 ? Math.min(Math.floor(ms), MAX_CHAOS_SLOW_RESULTS_MS) : 0,
  };
}
