/**
 * Endings a QueueDO makes itself (revoked, expired, terminated, timed out, lost) and the effects
 * of a message that ends here, with the task's own settings read from the app.
 */
import { DEFAULT_RESULT_EXPIRES_S } from "../src/protocol/index.js";
import type { TaskMessage } from "../src/protocol/message.js";
import { queueEnded, revokedEnding, type Outcome, type REVOKED_MESSAGES } from "../src/protocol/outcome.js";
import { outcomeEffects, type Effect } from "../src/canvas/effects.js";
import { getApp } from "../src/runtime/app-registry.js";
import { resultPolicyOf } from "../src/app/result-policy.js";

/** True when the task's result is stored with its args and kwargs (`result_extended`). */
export function extendedResult(task: string): boolean {
  try {
    return resultPolicyOf(getApp(), task).extended;
  } catch {
    return false;
  }
}

/** The hard time limit in seconds a message ran under: its own, else its task's; null if none is known. */
export function hardLimitS(m: TaskMessage): number | null {
  if (m.options.time_limit) return m.options.time_limit;
  try {
    return getApp().defaultsOf(m.task).time_limit ?? null;
  } catch {
    return null;
  }
}

/** True when the message is acknowledged late: its own `acks_late`, else its task's. */
export function acksLateOf(m: TaskMessage): boolean {
  if (m.options.acks_late !== undefined) return m.options.acks_late;
  try {
    return getApp().defaultsOf(m.task).acks_late ?? false;
  } catch {
    return false;
  }
}

/**
 * The effects of a message that ends here (revoked, expired, too big, timed out, lost), with its
 * own `result_expires` and the task's `result_extended`.
 */
export function endEffects(m: TaskMessage, outcome: Outcome): Effect[] {
  return outcomeEffects(m, outcome, m.options.result_expires ?? DEFAULT_RESULT_EXPIRES_S, extendedResult(m.task));
}

/** REVOKED at `now`, by the queue, for a task no worker finished. */
export function revokedOutcome(why: keyof typeof REVOKED_MESSAGES, now: number): Outcome {
  return queueEnded(revokedEnding(why), now);
}
