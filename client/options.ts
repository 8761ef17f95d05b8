/**
 * Signature options: the camelCase TypeScript form and its conversion to Celery's snake_case
 * wire names (`routingKey` → `routing_key`, a `Date` → ISO-8601).
 */
import { MAX_PRIORITY, MIN_PRIORITY, type OptionName } from "../src/protocol/shared.js";
import type { CanvasNode, WireOptions } from "./types.js";

/**
 * The options edgery knows, camelCase: what a typed client's `send` takes (a misspelled one
 * does not compile).
 */
export interface KnownSignatureOptions {
  /** Queue to send to (default: the task's route, else `default`). */
  queue?: string;
  routingKey?: string;
  /** 0-9, 9 most urgent. */
  priority?: number;
  /** Seconds to wait before the task may run. */
  countdown?: number;
  /** Earliest time to run (not together with `countdown`). */
  eta?: Date | string;
  /** Seconds from now, or a time, after which the task is revoked instead of run. */
  expires?: number | Date | string;
  /** The id to give the task (default: a new UUID). */
  taskId?: string;
  /** Seconds before `SoftTimeLimitExceeded` is raised into the task. */
  softTimeLimit?: number;
  /** Seconds before the task is stopped (`TimeLimitExceeded`). */
  timeLimit?: number;
  maxRetries?: number | null;
  acksLate?: boolean;
  /** Store nothing: the id reads `PENDING` forever. */
  ignoreResult?: boolean;
  /** Seconds the result is kept. */
  resultExpires?: number;
  trackStarted?: boolean;
  /** A second apply with the same key returns the first handle. */
  idempotencyKey?: string;
  /** Callbacks run with the result; replaces any already set (use `.link()` to add one). */
  link?: CanvasNode | CanvasNode[];
  /** Errbacks run with `(request, exc)`; replaces any already set (use `.linkError()` to add one). */
  linkError?: CanvasNode | CanvasNode[];
  /** A stamp or kwarg name: a separate rate limit per value. */
  rateLimitKey?: string;
}

/**
 * Options of a call or a signature: the camelCase ones, or any option under its wire name
 * (`routing_key`, `rate_limit_key`, and the names Celery 5 writes, such as `shadow` or
 * `headers`; see OptionName). The set is closed: a name the server would refuse
 * (`countdwn`, `backend`) does not compile.
 */
export type SignatureOptions = KnownSignatureOptions & { [K in OptionName]?: unknown };

const WIRE_NAMES: Readonly<Record<string, string>> = {
  routingKey: "routing_key",
  taskId: "task_id",
  softTimeLimit: "soft_time_limit",
  timeLimit: "time_limit",
  maxRetries: "max_retries",
  acksLate: "acks_late",
  ignoreResult: "ignore_result",
  resultExpires: "result_expires",
  trackStarted: "track_started",
  idempotencyKey: "idempotency_key",
  rateLimitKey: "rate_limit_key",
  linkError: "link_error",
};

/**
 * Converts camelCase options to wire names, dates to ISO-8601 and single callbacks to lists;
 * `undefined` values are dropped.
 * @throws TypeError for a priority outside 0-9, a negative countdown or an invalid date.
 */
export function toWireOptions(options: SignatureOptions | KnownSignatureOptions | undefined): WireOptions {
  const out: WireOptions = {};
  if (!options) return out;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const name = WIRE_NAMES[key] ?? key;
    out[name] = convert(name, value);
  }
  return out;
}

function convert(name: string, value: unknown): unknown {
  switch (name) {
    case "priority":
      if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
        throw new TypeError(`priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${String(value)}`);
      }
      return value;
    case "countdown":
      if (typeof value !== "number" || !(value >= 0)) throw new TypeError(`countdown must be a number >= 0, got ${String(value)}`);
      return value;
    case "eta":
    case "expires":
      return value instanceof Date ? isoDate(name, value) : value;
    case "link":
    case "link_error":
      return Array.isArray(value) ? [...value] : [value];
    default:
      return value;
  }
}

function isoDate(name: string, date: Date): string {
  if (Number.isNaN(date.getTime())) throw new TypeError(`${name} is an invalid Date`);
  return date.toISOString();
}
