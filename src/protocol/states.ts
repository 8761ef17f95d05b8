/**
 * Task states, with Celery's names. A task may also set a custom state (e.g. `PROGRESS`).
 */

/** The built-in states, in the order a task normally moves through them. */
export const BUILTIN_STATES = ["PENDING", "RECEIVED", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"] as const;

/** One of Celery's built-in states. */
export type BuiltinState = (typeof BUILTIN_STATES)[number];

/** A task state: built-in, or a custom one set by the task through `updateState`. */
export type TaskState = BuiltinState | (string & {});

/** States after which a task never changes again. */
export const READY_STATES: ReadonlySet<string> = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

/** States that mean the task did not succeed. */
export const EXCEPTION_STATES: ReadonlySet<string> = new Set(["FAILURE", "REVOKED", "RETRY"]);

/** True when `state` is final (`SUCCESS`, `FAILURE` or `REVOKED`). */
export function isReady(state: string): boolean {
  return READY_STATES.has(state);
}
