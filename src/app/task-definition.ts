/**
 * What a task is: its function, and the per-task defaults an app or a task sets (Celery's task
 * options and `task_*` settings), with the checks those settings get when they are registered.
 */
import type { TaskContext } from "./task-context.js";
import { BACKEND_KINDS } from "../protocol/index.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/** A task function: positional args, then kwargs, then the request context. */
export type TaskFn = (ctx: TaskContext, args: unknown[], kwargs: Record<string, unknown>) => unknown;

/** Per-task defaults, overridable per call through options. */
export interface TaskDefaults {
  queue?: string;
  priority?: number;
  /** Celery's `rate_limit` ("10/s", "100/m", "1000/h"), enforced per queue at dispatch. */
  rate_limit?: string | number;
  /** A stamp or kwarg name: a separate rate limit per value. */
  rate_limit_key?: string;
  soft_time_limit?: number;
  time_limit?: number;
  max_retries?: number | null;
  default_retry_delay?: number;
  /** Exponential backoff for the automatic retries of `autoretry_for`: true (factor 1 s) or the factor in s. */
  retry_backoff?: boolean | number;
  /** Cap of the backoff, in seconds (Celery's default 600). */
  retry_backoff_max?: number;
  /** Full jitter on the backoff (Celery's default true). */
  retry_jitter?: boolean;
  /**
   * Errors that retry the task automatically, by name: an error's own name or that of any class
   * it inherits from (`"Error"`: every Error), as Celery matches subclasses; `"Exception"`
   * (Celery's base class): anything thrown.
   */
  autoretry_for?: string[];
  acks_late?: boolean;
  ignore_result?: boolean;
  track_started?: boolean;
  result_expires?: number;
  /** Result backend (Celery's `backend`): `kv` (default), `d1`, `r2` or `none`. See docs/result-backends.md. */
  backend?: string;
  /** Keep the result in D1 beyond `result_expires` (until forgotten). */
  result_persistent?: boolean;
  /** Store the task's args and kwargs with its result. */
  result_extended?: boolean;
  /** Values with more JSON bytes than this are stored in R2 (default 1 MiB). */
  result_r2_threshold?: number;
}

/** A Standard Schema of a task's positional arguments (a tuple or an array). */
export type ArgsSchema = StandardSchemaV1<readonly unknown[], readonly unknown[]>;
/** A Standard Schema of a task's kwargs (an object). */
export type KwargsSchema = StandardSchemaV1<object, object>;

/** The schemas a typed task checks its arguments with. */
export interface ArgSchemas {
  args: ArgsSchema;
  kwargs?: KwargsSchema | undefined;
}

/** A registered task. */
export interface TaskDefinition {
  name: string;
  fn: TaskFn;
  defaults: TaskDefaults;
  /** A typed task's schemas: the API checks a sent task's arguments with them (422). */
  schemas?: ArgSchemas;
}

/**
 * Checks a configured backend name.
 * @throws Error naming `where` and the unknown backend.
 */
export function checkBackend(where: string, backend: unknown): void {
  if (backend === undefined) return;
  if (typeof backend !== "string" || !(BACKEND_KINDS as readonly string[]).includes(backend)) {
    throw new Error(`edgery: ${where} names unknown result backend '${String(backend)}' (known: ${BACKEND_KINDS.join(", ")})`);
  }
}

/**
 * Checks the result settings of a task's (or the app's) defaults.
 * @throws Error naming `where`.
 */
export function checkResultDefaults(where: string, d: { backend?: unknown; result_r2_threshold?: unknown }): void {
  checkBackend(where, d.backend);
  const t = d.result_r2_threshold;
  if (t !== undefined && (typeof t !== "number" || !Number.isInteger(t) || t < 0)) {
    throw new Error(`edgery: ${where} has result_r2_threshold ${String(t)}: must be an integer number of bytes >= 0`);
  }
}
