/**
 * The client's errors, in the three layers of edgery: wire errors ({@link EdgeryHttpError}), task
 * errors ({@link TaskFailedError} and its Celery-named subclasses, defined once in
 * src/protocol/task-error.ts for the Worker and the client alike) and programmer errors (plain
 * `TypeError`s thrown by the builders). {@link taskErrorFrom} is the one mapper for task errors.
 */
import {
  ChordError,
  MaxRetriesExceededError,
  NotRegistered,
  SoftTimeLimitExceeded,
  TaskFailedError,
  TaskRevokedError,
  TimeLimitExceeded,
  type TaskErrorInfo,
  type WireErrorCode,
} from "../src/protocol/shared.js";

/**
 * The task errors are one definition shared with the Worker entry (src/protocol/task-error.ts):
 * `err instanceof TimeLimitExceeded` holds whichever of `edgery` and `edgery/client` the class
 * was imported from.
 */
export { ChordError, MaxRetriesExceededError, NotRegistered, SoftTimeLimitExceeded, TaskFailedError, TaskRevokedError, TimeLimitExceeded };

/** An HTTP answer that is not a success, with the contract's error `code` and `path`. */
export class EdgeryHttpError extends Error {
  override readonly name = "EdgeryHttpError";
  /**
   * @param status - The HTTP status (`401`, `422`, ...); 0 when no answer came (`network_error`).
   * @param code - The contract's error code (a newer server may add codes); `http_error` when the
   *   answer was not an edgery one (an error page, a 2xx without edgery's JSON); `network_error`
   *   when the request failed before any answer (connection refused, DNS, reset).
   * @param message - The server's message.
   * @param path - The dotted path of the field at fault, when one is (`options.priority`).
   * @param retryAfter - Seconds to wait before retrying, from `Retry-After` (for `503`).
   * @param options - `cause`: the underlying error, for `network_error`.
   */
  constructor(
    readonly status: number,
    readonly code: WireErrorCode | "http_error" | "network_error" | (string & {}),
    message: string,
    readonly path?: string,
    readonly retryAfter?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `get()` ran out of time before the task (or group) was ready; the task itself goes on. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

const ERROR_CLASSES: Readonly<Record<string, typeof TaskFailedError>> = {
  SoftTimeLimitExceeded,
  TimeLimitExceeded,
  ChordError,
  TaskRevokedError,
  MaxRetriesExceededError,
  NotRegistered,
};

/**
 * Turns a finished task's wire error into the matching error class (a `REVOKED` task with no
 * error becomes a {@link TaskRevokedError}).
 */
export function taskErrorFrom(info: TaskErrorInfo | null, taskId: string, state: string): TaskFailedError {
  const error = info ?? (state === "REVOKED" ? { type: "TaskRevokedError", message: "revoked" } : { type: "Error", message: `task ended in ${state}` });
  const ErrorClass = ERROR_CLASSES[error.type] ?? TaskFailedError;
  return new ErrorClass(error, taskId, state);
}
