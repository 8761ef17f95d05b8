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

/** Turns anything a task threw into the wire form, keeping the error's own name. */
export function serializeError(err: unknown): TaskErrorInfo {
  if (err instanceof Error) {
    const named = (err as { type?: unknown }).type;
    const type = typeof named === "string" && named ? named : err.name && err.name !== "Error" ? err.name : err.constructor?.name || "Error";
    return { type, message: err.message };
  }
  if (err && typeof err === "object" && "type" in err && "message" in err) {
    const e = err as { type: unknown; message: unknown };
    return { type: String(e.type), message: String(e.message) };
  }
  return { type: "Error", message: String(err) };
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
