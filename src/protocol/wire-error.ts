/**
 * Wire errors: what the API answers for a request it will not carry out.
 */

/** Every error code of the HTTP contract, with its status. */
export const WIRE_ERRORS = {
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  /** A second apply with an `idempotency_key` whose first apply is still enqueueing. */
  idempotency_in_progress: 409,
  /** A task of a canvas sent with a `task_id` its queue still holds (an earlier task's, not ended). */
  task_id_in_use: 409,
  payload_too_large: 413,
  invalid_signature: 422,
  unknown_task: 422,
  invalid_request: 422,
  internal: 500,
  not_configured: 503,
  overloaded: 503,
} as const;

/** A contract error code. */
export type WireErrorCode = keyof typeof WIRE_ERRORS;

/** The JSON body of an error answer. */
export interface WireErrorBody {
  error: { code: WireErrorCode; message: string; path?: string };
}

/** A request the API refuses; thrown inside the API and turned into JSON at one place. */
export class WireError extends Error {
  /** The HTTP status that goes with `code`. */
  readonly status: number;
  constructor(
    readonly code: WireErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = "WireError";
    this.status = WIRE_ERRORS[code];
  }

  /** The answer body. */
  toJSON(): WireErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.path ? { path: this.path } : {}) } };
  }
}
