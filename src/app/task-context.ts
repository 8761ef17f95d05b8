/**
 * The request context a task receives: Celery's `self.request` plus `update_state`, `retry`,
 * `acknowledge` and the soft-time-limit helpers.
 */

/** Delivery details, as Celery's `request.delivery_info`. */
export interface DeliveryInfo {
  exchange: string;
  routing_key: string;
  priority: number;
  redelivered: boolean;
}

/** What `ctx.retry()` takes. */
export interface RetryOptions {
  /** Seconds before the retry runs; default: backoff if configured, else `default_retry_delay`. */
  countdown?: number;
  /** The error that caused the retry: raised instead of MaxRetriesExceededError at the end. */
  exc?: unknown;
  /** Overrides the task's `max_retries` for this call. */
  maxRetries?: number | null;
}

/** A running task's request and controls. */
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
  /** Aborted on the soft time limit (reason SoftTimeLimitExceeded) or on revoke with terminate. */
  signal: AbortSignal;
  /** Sets a custom state with meta (e.g. `PROGRESS`), readable while the task runs. */
  updateState(state: string, meta?: unknown): Promise<void>;
  /** Asks for a retry: throw what it returns (`throw ctx.retry({ countdown: 5 })`). */
  retry(options?: RetryOptions): Error;
  /** Manual acknowledgement (acks_late tasks): after this the message will not be redelivered. */
  acknowledge(): Promise<void>;
  /** Waits `ms`, throwing SoftTimeLimitExceeded (or TaskRevokedError) if the signal fires first. */
  sleep(ms: number): Promise<void>;
  /** Throws SoftTimeLimitExceeded (or TaskRevokedError) if the signal has fired: call it in loops. */
  checkpoint(): void;
}
