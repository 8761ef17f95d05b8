/**
 * Task errors: what a failed or revoked task reports, with Celery's error names, and the classes
 * of the errors edgery names itself. Those classes are the Worker's (`edgery`) and the client's
 * (`edgery/client`) alike: one definition, here. The client's other errors (`EdgeryHttpError`,
 * `TimeoutError`: a request's, not a task's) are the client's own (client/errors.ts); the API's
 * `WireError` is the server's (wire-error.ts).
 */

/** The error names edgery itself produces, as Celery names them. */
export const TASK_ERROR_TYPES = [
  "SoftTimeLimitExceeded",
  "TimeLimitExceeded",
  "ChordError",
  "TaskRevokedError",
  "MaxRetriesExceededError",
  "NotRegistered",
  "WorkerLostError",
  "InvalidTaskError",
] as const;

/** A task error on the wire: `{"type", "message"}`. */
export interface TaskErrorInfo {
  /** The error's class name (`DemoError`, `TimeLimitExceeded`, ...). */
  type: string;
  /** Its message. */
  message: string;
}

/**
 * The longest error message kept, in characters; a longer one is cut, saying how long it was. An
 * error travels in the settle, the outbox row, the result and the events of its task, and the
 * errbacks and chord bodies after it: a 2.5 MB message failed the settle, and the task ended
 * WorkerLostError instead of its own error.
 */
export const MAX_ERROR_MESSAGE_CHARS = 16 * 1024;
/** The longest error type name kept, in characters. */
export const MAX_ERROR_TYPE_CHARS = 256;

/** `text` cut to `max` characters, saying so (never inside a surrogate pair). */
function capped(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = (text.charCodeAt(max - 1) & 0xfc00) === 0xd800 ? max - 1 : max;
  return `${text.slice(0, cut)}… (cut: ${text.length} characters)`;
}

/** Turns anything a task threw into the wire form, keeping the error's own name (both cut to their limits). */
export function serializeError(err: unknown): TaskErrorInfo {
  const info = (type: string, message: string): TaskErrorInfo => ({ type: capped(type, MAX_ERROR_TYPE_CHARS), message: capped(message, MAX_ERROR_MESSAGE_CHARS) });
  if (err instanceof Error) {
    const named = (err as { type?: unknown }).type;
    const type = typeof named === "string" && named ? named : err.name && err.name !== "Error" ? err.name : err.constructor?.name || "Error";
    return info(type, err.message);
  }
  if (err && typeof err === "object" && "type" in err && "message" in err) {
    const e = err as { type: unknown; message: unknown };
    return info(String(e.type), String(e.message));
  }
  return info("Error", String(err));
}

/** An error with a chosen name, so that `serializeError` reports that name. */
export class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** `info` as a wire error: a message alone is given the class's error `type`. */
function errorInfo(type: string, info: TaskErrorInfo | string): TaskErrorInfo {
  return typeof info === "string" ? { type, message: info } : info;
}

/**
 * A task's error under its Celery name, one class for both sides: edgery raises the subclasses
 * into a running task (`SoftTimeLimitExceeded` at the soft limit, ...), and the client's `get()`
 * raises a failed or revoked task's error again as the subclass of its `type` (or this class), so
 * `err instanceof TimeLimitExceeded` holds whether the class came from `edgery` or `edgery/client`.
 * `name` and `type` are the task's error type (`DemoError`, `TimeLimitExceeded`, ...).
 */
export class TaskFailedError extends Error {
  /** The error's type name as the task reported it. */
  readonly type: string;
  /**
   * @param info - The wire error `{type, message}`; a subclass also takes a message alone (the
   *   type is then the subclass's).
   * @param taskId - The id of the task that failed; empty for an error raised into a running task
   *   (the task knows its id as `ctx.id`).
   * @param state - Its final state (`FAILURE` or `REVOKED`).
   */
  constructor(
    info: TaskErrorInfo,
    readonly taskId: string = "",
    readonly state: string = "FAILURE",
  ) {
    super(info.message);
    this.type = info.type;
    this.name = info.type;
  }
}

/** The task's soft time limit passed (raised into the task, which may catch it and clean up). */
export class SoftTimeLimitExceeded extends TaskFailedError {
  constructor(info: TaskErrorInfo | string = "SoftTimeLimitExceeded()", taskId?: string, state?: string) {
    super(errorInfo("SoftTimeLimitExceeded", info), taskId, state);
  }
}

/** The task's hard time limit passed: it was stopped (or its late result dropped). */
export class TimeLimitExceeded extends TaskFailedError {
  constructor(info: TaskErrorInfo | string = "TimeLimitExceeded()", taskId?: string, state?: string) {
    super(errorInfo("TimeLimitExceeded", info), taskId, state);
  }
}

/** The task retried more often than its `max_retries`. */
export class MaxRetriesExceededError extends TaskFailedError {
  constructor(info: TaskErrorInfo | string = "MaxRetriesExceededError()", taskId?: string, state?: string) {
    super(errorInfo("MaxRetriesExceededError", info), taskId, state);
  }
}

/** The task was revoked, terminated or expired before it ran; its state is `REVOKED`. */
export class TaskRevokedError extends TaskFailedError {
  constructor(info: TaskErrorInfo | string = "revoked", taskId?: string, state = "REVOKED") {
    super(errorInfo("TaskRevokedError", info), taskId, state);
  }
}

/** A chord's header member failed, so its body did not run; the message names the member id. */
export class ChordError extends TaskFailedError {
  constructor(info: TaskErrorInfo | string = "ChordError()", taskId?: string, state?: string) {
    super(errorInfo("ChordError", info), taskId, state);
  }
}

/** No task of that name was registered where the message was delivered. */
export class NotRegistered extends TaskFailedError {
  constructor(info: TaskErrorInfo | string = "NotRegistered()", taskId?: string, state?: string) {
    super(errorInfo("NotRegistered", info), taskId, state);
  }
}
