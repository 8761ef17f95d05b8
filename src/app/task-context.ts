/**
 * The request context a task receives: Celery's `self.request` plus `update_state`, `retry`,
 * `acknowledge`, sending subtasks, and the soft-time-limit helpers.
 */
import type { Handle, WireSignature } from "../protocol/index.js";

/** Delivery details, as Celery's `request.delivery_info`. */
export interface DeliveryInfo {
  exchange: string;
  routing_key: string;
  priority: number;
  redelivered: boolean;
}

/** What `ctx.retry()` takes. */
export interface RetryOptions {
  /** Seconds before the retry runs; default: `default_retry_delay` (backoff is for `autoretry_for`'s retries, as in Celery). */
  countdown?: number;
  /** The error that caused the retry: raised instead of MaxRetriesExceededError at the end. */
  exc?: unknown;
  /** Overrides the task's `max_retries` for this call. */
  maxRetries?: number | null;
}

/** What `ctx.send(name, call)` takes: as the body of `POST /v1/tasks/:name`. */
export interface SubtaskCall {
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Signature options under their wire names (checked as the API checks them). */
  options?: Record<string, unknown>;
}

/**
 * A running task's request and controls.
 *
 * The soft time limit is cooperative: JavaScript cannot interrupt running code, so
 * `SoftTimeLimitExceeded` is raised only where the task gives control back to edgery: at
 * `sleep`, `checkpoint`, `updateState`, `acknowledge`, `send` and `apply` (each throws it once
 * the limit has passed, also when the limit passed during a busy loop that no timer could
 * interrupt, and rejects with it when the limit passes while it waits), and in whatever the
 * task hands `signal` to (`fetch(url, { signal: ctx.signal })`). A loop that never awaits and
 * never calls `checkpoint` runs on to the hard limit.
 */
export interface TaskContext {
  id: string;
  task: string;
  queue: string;
  priority: number;
  retries: number;
  groupId: string | null;
  parentId: string | null;
  rootId: string;
  stamps: Record<string, unknown>;
  deliveryInfo: DeliveryInfo;
  /**
   * Aborted on the soft time limit (reason SoftTimeLimitExceeded) or on revoke with terminate:
   * pass it on (`fetch(url, { signal: ctx.signal })`) so that waiting is cut short.
   */
  signal: AbortSignal;
  /** Sets a custom state with meta (e.g. `PROGRESS`), readable while the task runs (a `task-progress` event). */
  updateState(state: string, meta?: unknown): Promise<void>;
  /** Asks for a retry: throw what it returns (`throw ctx.retry({ countdown: 5 })`). */
  retry(options?: RetryOptions): Error;
  /** Manual acknowledgement (acks_late tasks): after this the message will not be redelivered. */
  acknowledge(): Promise<void>;
  /** Waits `ms`, throwing SoftTimeLimitExceeded (or TaskRevokedError) if the signal fires first. */
  sleep(ms: number): Promise<void>;
  /** Throws SoftTimeLimitExceeded (or TaskRevokedError) once the limit has passed: call it in loops. */
  checkpoint(): void;
  /** Sends a task, as `POST /v1/tasks/:name` would, with this task as its parent (and root); answers its handle. */
  send(name: string, call?: SubtaskCall): Promise<Handle>;
  /** Applies a signature or canvas in Celery's wire JSON, as `POST /v1/apply` would, under this task as parent; answers its handle. */
  apply(signature: WireSignature): Promise<Handle>;
}
