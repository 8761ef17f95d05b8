/**
 * Retry policy: Celery's countdown, exponential backoff with full jitter, and max_retries.
 */
import { DEFAULT_RETRY_DELAY_S, type TaskErrorInfo } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import type { TaskDefaults } from "../app/app.js";
import type { RetryOptions } from "../app/task-context.js";

/** Thrown (via `throw ctx.retry(...)`) to ask for a retry. */
export class Retry extends Error {
  constructor(readonly options: RetryOptions) {
    super("Retry in progress");
    this.name = "Retry";
  }
}

/**
 * Seconds to wait before retry number `retries + 1`: the requested countdown; else, for an
 * automatic retry (`auto`: an error named by `autoretry_for`), the exponential backoff when
 * `retry_backoff` is set; else `default_retry_delay`. As in Celery, backoff is a setting of
 * automatic retries only: a `ctx.retry()` without a countdown waits `default_retry_delay`.
 * `random` is injectable for tests.
 */
export function retryCountdown(defaults: TaskDefaults, retries: number, requested: number | undefined, auto: boolean, random: () => number = Math.random): number {
  if (requested !== undefined) return Math.max(0, requested);
  const backoff = auto ? defaults.retry_backoff : undefined;
  if (backoff) {
    const factor = typeof backoff === "number" ? backoff : 1;
    const cap = defaults.retry_backoff_max ?? 600;
    const value = Math.min(cap, factor * 2 ** retries);
    return defaults.retry_jitter === false ? value : Math.floor(random() * (value + 1));
  }
  return defaults.default_retry_delay ?? DEFAULT_RETRY_DELAY_S;
}

/** The decision on a retry request. */
export type RetryDecision = { kind: "retry"; countdownS: number; error: TaskErrorInfo } | { kind: "fail"; error: TaskErrorInfo };

/** Decides a retry: within max_retries → retry after the countdown; else fail with exc or MaxRetriesExceededError. */
export function decideRetry(opts: {
  task: string;
  id: string;
  retries: number;
  maxRetries: number | null;
  countdownS: number;
  exc: TaskErrorInfo | null;
}): RetryDecision {
  if (opts.maxRetries !== null && opts.retries >= opts.maxRetries) {
    return {
      kind: "fail",
      error: opts.exc ?? { type: "MaxRetriesExceededError", message: `Can't retry ${opts.task}[${opts.id}] args and kwargs: max_retries ${opts.maxRetries} exceeded` },
    };
  }
  return { kind: "retry", countdownS: opts.countdownS, error: opts.exc ?? { type: "Retry", message: `Retry in ${opts.countdownS}s` } };
}

/**
 * The message of a retry: the same id with `retries + 1`, due after `countdownS` (from `now`),
 * without the rate-limit slot its last run was given (the retry queues for a new one).
 */
export function retriedMessage(m: TaskMessage, countdownS: number, now: number): TaskMessage {
  const { rate_slot: _slot, ...options } = m.options;
  return { ...m, options, retries: m.retries + 1, eta: countdownS > 0 ? now + countdownS * 1000 : null };
}

/**
 * True when `autoretry_for` names the thrown error: by its type (`info.type`, the name it is
 * serialized with) or by any class it inherits from, as Celery's `except autoretry_for` matches
 * subclasses: `["Error"]` retries on every Error, `["Exception"]` (Celery's base class) on
 * anything thrown.
 */
export function autoretries(autoretryFor: readonly string[] | undefined, err: unknown, info: TaskErrorInfo): boolean {
  if (!autoretryFor || autoretryFor.length === 0) return false;
  if (autoretryFor.includes("Exception") || autoretryFor.includes(info.type)) return true;
  for (let p = err !== null && typeof err === "object" ? (Object.getPrototypeOf(err) as object | null) : null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const name = (p as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string" && autoretryFor.includes(name)) return true;
  }
  return false;
}
