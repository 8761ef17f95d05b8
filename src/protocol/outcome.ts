/**
 * How a task ended: one type family for every place that learns it (a consumer running the
 * task, a QueueDO settling it or ending it itself), one conversion between them, and one builder
 * for each ending that edgery produces on its own (revoked, expired, terminated, time limit,
 * worker lost, not registered, payload too large).
 */
import type { TaskErrorInfo } from "./task-error.js";

/**
 * A final ending: success, or failure/revocation with its error. `children`: the ids of the
 * tasks and groups the task sent itself while it ran (`ctx.send`, `ctx.apply`), which its result
 * lists among its children, as Celery's `trail`.
 */
export type Ending = ({ kind: "success"; value: unknown } | { kind: "failure"; state: "FAILURE" | "REVOKED"; error: TaskErrorInfo }) & { children?: string[] };

/** How a run ended, as a consumer reports it before the queue settles it: an ending or a retry. */
export type RunResult = Ending | { kind: "retry"; countdownS: number; error: TaskErrorInfo };

/** Where and when an ending happened. */
export interface EndStamp {
  /** The worker that ran it; null when it never ran (revoked, expired) or its worker is unknown. */
  worker: string | null;
  startedAt: number | null;
  doneAt: number;
}

/** An ending with its stamp: what the result write and the follow-ups are built from. */
export type Outcome = Ending & EndStamp;

/** The one conversion from an ending (a consumer's report or a builder below) to an outcome. */
export function stamped(ending: Ending, stamp: EndStamp): Outcome {
  return { ...ending, worker: stamp.worker, startedAt: stamp.startedAt, doneAt: stamp.doneAt };
}

/** An ending the queue makes itself at `now`, for a task no worker finished. */
export function queueEnded(ending: Ending, now: number): Outcome {
  return stamped(ending, { worker: null, startedAt: null, doneAt: now });
}

/** Why a task was revoked: the messages its TaskRevokedError carries. */
export const REVOKED_MESSAGES = {
  revoked: "the task was revoked",
  expired: "the task expired before it started",
  terminated: "the task was terminated",
} as const;

/** REVOKED TaskRevokedError: revoked before it ran, expired before it started, or terminated while running. */
export function revokedEnding(why: keyof typeof REVOKED_MESSAGES): Ending {
  return { kind: "failure", state: "REVOKED", error: { type: "TaskRevokedError", message: REVOKED_MESSAGES[why] } };
}

/** The error of a task stopped by its hard time limit (`limitS` seconds; null when unknown). */
export function timeLimitError(limitS: number | null): TaskErrorInfo {
  return { type: "TimeLimitExceeded", message: `TimeLimitExceeded(${limitS ?? ""})` };
}

/** FAILURE TimeLimitExceeded: the task was still running past its hard limit. */
export function timeLimitEnding(limitS: number | null): Ending {
  return { kind: "failure", state: "FAILURE", error: timeLimitError(limitS) };
}

/**
 * FAILURE WorkerLostError: the worker running the task stopped proving it was alive. With
 * `deliveries`, the task was delivered that many times (acks_late) and lost each time.
 */
export function workerLostEnding(deliveries?: number): Ending {
  const message =
    deliveries === undefined
      ? "the worker running this task was lost before it finished"
      : `the task was delivered ${deliveries} times and its worker was lost each time`;
  return { kind: "failure", state: "FAILURE", error: { type: "WorkerLostError", message } };
}

/** FAILURE NotRegistered: no task of that name in the worker's app. */
export function notRegisteredEnding(task: string): Ending {
  return { kind: "failure", state: "FAILURE", error: { type: "NotRegistered", message: `'${task}'` } };
}

/** FAILURE PayloadTooLarge: the task's message (`bytes` long) cannot be carried (at most `max`). */
export function payloadTooLargeEnding(bytes: number, max: number): Ending {
  return { kind: "failure", state: "FAILURE", error: { type: "PayloadTooLarge", message: `the task's message is ${bytes} bytes; a Queue message carries at most ${max}` } };
}

/**
 * FAILURE InvalidTaskError (Celery's name for a message a worker cannot read): a queue held a
 * message whose stored JSON is not a task message, and ended it instead of running it.
 */
export function invalidTaskEnding(): Ending {
  return { kind: "failure", state: "FAILURE", error: { type: "InvalidTaskError", message: "the queue could not read this task's stored message; it was dropped" } };
}

/** A follow-up task the queue could not enqueue, after its bounded attempts (or refused for good). */
export function enqueueFailedEnding(reason: string, attempts: number, tooLarge: boolean): Ending {
  const error = tooLarge
    ? { type: "PayloadTooLarge", message: reason }
    : { type: "EnqueueError", message: `the task could not be enqueued (${attempts} attempts): ${reason}` };
  return { kind: "failure", state: "FAILURE", error };
}
