/**
 * Task errors: what a failed or revoked task reports, with Celery's error names.
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

/** Raised into a task when its soft time limit passes; the task may catch it and clean up. */
export class SoftTimeLimitExceeded extends NamedError {
  constructor(message = "SoftTimeLimitExceeded()") {
    super("SoftTimeLimitExceeded", message);
  }
}

/** The hard time limit passed: the task was stopped (or its late result dropped). */
export class TimeLimitExceeded extends NamedError {
  constructor(message = "TimeLimitExceeded()") {
    super("TimeLimitExceeded", message);
  }
}

/** A task ran out of retries. */
export class MaxRetriesExceededError extends NamedError {
  constructor(message: string) {
    super("MaxRetriesExceededError", message);
  }
}

/** The task was revoked (or expired) and will not run, or was terminated. */
export class TaskRevokedError extends NamedError {
  constructor(message = "revoked") {
    super("TaskRevokedError", message);
  }
}

/** A chord's header member failed, so its body cannot run. */
export class ChordError extends NamedError {
  constructor(message: string) {
    super("ChordError", message);
  }
}
