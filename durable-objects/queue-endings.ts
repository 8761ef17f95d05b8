/**
 * Endings a QueueDO makes itself (revoked, expired, terminated, timed out, lost) and the effects
 * of a message that ends here, with the task's own settings read from the app.
 */
import type { TaskMessage } from "../src/protocol/message.js";
import { queueEnded, revokedEnding, type Outcome, type REVOKED_MESSAGES } from "../src/protocol/outcome.js";
import { claimedEnding, outcomeEffects, type Effect } from "../src/canvas/effects.js";
import { findApp, getApp } from "../src/runtime/app-registry.js";
import { runSettingsOf } from "../src/app/task-settings.js";
import { resultPolicyOf } from "../src/app/result-policy.js";

/** True when the task's result is stored with its args and kwargs (`result_extended`). */
export function extendedResult(task: string): boolean {
  try {
    return resultPolicyOf(getApp(), task).extended;
  } catch {
    return false;
  }
}

/** The hard time limit in seconds a message ran under: its own, else its task's or app's; null if none. */
export function hardLimitS(m: TaskMessage): number | null {
  const { hardMs } = runSettingsOf(findApp(), m);
  return hardMs === null ? null : hardMs / 1000;
}

/** True when the message is acknowledged late: its own `acks_late`, else its task's or app's. */
export function acksLateOf(m: TaskMessage): boolean {
  return runSettingsOf(findApp(), m).acksLate;
}

/**
 * The effects of a message that ends here (revoked, expired, too big, timed out, lost), with the
 * task's `result_expires` and `result_extended`.
 */
export function endEffects(m: TaskMessage, outcome: Outcome): Effect[] {
  return outcomeEffects(m, outcome, runSettingsOf(findApp(), m).resultExpiresS, extendedResult(m.task));
}

/**
 * The effects of a message that ends here while a consumer held it begun (terminated, its worker
 * lost): claimed, as that consumer may have written its own final result ahead (see
 * EndingEffect in src/canvas/effects.ts).
 */
export function begunEndEffects(m: TaskMessage, outcome: Outcome): Effect[] {
  return claimedEnding(m, outcome, runSettingsOf(findApp(), m).resultExpiresS, extendedResult(m.task));
}

/** REVOKED at `now`, by the queue, for a task no worker finished. */
export function revokedOutcome(why: keyof typeof REVOKED_MESSAGES, now: number): Outcome {
  return queueEnded(revokedEnding(why), now);
}
