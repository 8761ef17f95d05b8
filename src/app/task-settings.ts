/**
 * The effective value of every per-task setting, in one place: Celery's call-time options, task
 * options (`app.task(name, fn, defaults)`) and `task_*` settings (`new App({ defaults })`).
 *
 * Precedence, as in Celery: a call-time option beats the task's own default, which beats the
 * app's default, which beats the global default (src/protocol/constants.ts). A matching route
 * sits between: for where a task goes (`queue`, `priority`) it beats the task's and the app's
 * defaults (routing.ts); its `rate_limit`/`rate_limit_key` apply where the defaults set none; its
 * `backend` beats the app's default only (result-policy.ts).
 *
 * The planner writes the resolved values into each message ({@link placementOf}): the QueueDO
 * reads nothing but the message (acks_late, time limits, rate limits). The consumers read the
 * message back through {@link runSettingsOf}, which applies the same rule to a message planned
 * without them (an older message, or one another app planned).
 */
import { DEFAULT_MAX_RETRIES, DEFAULT_RESULT_EXPIRES_S, type Canvas } from "../protocol/index.js";
import type { MessageOptions, TaskMessage } from "../protocol/message.js";
import type { App } from "./app.js";
import type { TaskDefaults } from "./task-definition.js";
import { resolveRoute } from "./routing.js";

/** Where a task goes and the options its message carries. */
export interface Placement {
  queue: string;
  priority: number;
  options: MessageOptions;
}

/**
 * Message options the task's or the app's defaults fill in where the call set none: the QueueDO
 * reads acks_late and the time limits from the message alone, the consumers the rest.
 */
const DEFAULTED_OPTIONS = ["soft_time_limit", "time_limit", "max_retries", "acks_late", "ignore_result", "result_expires", "track_started"] as const;

/**
 * The queue, priority and message options of one call of `task`: `call` holds the call-time
 * queue/priority and `options` the call-time message options (neither changed).
 */
export function placementOf(app: App, task: string, call: { queue?: string; priority?: number }, options: MessageOptions): Placement {
  const defaults = app.defaultsOf(task);
  const { queue, priority, ...routed } = resolveRoute(app.routes, task, call, defaults);
  const out: MessageOptions = { ...routed };
  for (const k of DEFAULTED_OPTIONS) {
    // `max_retries: null` (no cap) is a value too; the others are never null in TaskDefaults.
    if (defaults[k] !== undefined) (out as Record<string, unknown>)[k] = defaults[k];
  }
  for (const [k, v] of Object.entries(options)) if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  return { queue, priority, options: out };
}

/** The queue a task goes to when the call names none (its route's, else its defaults', else `default`). */
export function queueOf(app: App, task: string): string {
  return resolveRoute(app.routes, task, {}, app.defaultsOf(task)).queue;
}

/** The settings a worker runs one message with. */
export interface RunSettings {
  /** The task's defaults over the app's: the retry policy (backoff, jitter, autoretry_for) reads them. */
  defaults: Readonly<TaskDefaults>;
  /** Soft and hard time limits in ms (null: none). */
  softMs: number | null;
  hardMs: number | null;
  acksLate: boolean;
  trackStarted: boolean;
  /** Retries allowed before a retry fails (null: no cap), before a `ctx.retry({ max_retries })`. */
  maxRetries: number | null;
  /** Seconds a final result is kept (`result_expires`), exactly as configured. */
  resultExpiresS: number;
}

const NO_DEFAULTS: Readonly<TaskDefaults> = Object.freeze({});

/**
 * The settings of a message as its worker applies them: the message's options (call-time, or
 * filled in by the planner) over the task's and the app's defaults, over the global defaults.
 * `app` may be absent (a Durable Object of a Worker that registered none): then the message and
 * the global defaults decide.
 */
export function runSettingsOf(app: App | undefined, m: Pick<TaskMessage, "task" | "options">): RunSettings {
  const defaults = app?.defaultsOf(m.task) ?? NO_DEFAULTS;
  const o = m.options;
  const soft = o.soft_time_limit ?? defaults.soft_time_limit;
  const hard = o.time_limit ?? defaults.time_limit;
  return {
    defaults,
    softMs: soft ? soft * 1000 : null,
    hardMs: hard ? hard * 1000 : null,
    acksLate: o.acks_late ?? defaults.acks_late ?? false,
    trackStarted: o.track_started ?? defaults.track_started ?? false,
    maxRetries: o.max_retries !== undefined ? o.max_retries : defaults.max_retries === undefined ? DEFAULT_MAX_RETRIES : defaults.max_retries,
    resultExpiresS: o.result_expires ?? defaults.result_expires ?? DEFAULT_RESULT_EXPIRES_S,
  };
}

/** The max_retries in force for one retry: the `ctx.retry({ max_retries })` call's, else the message's settings. */
export function maxRetriesOf(settings: Pick<RunSettings, "maxRetries">, callMax: number | null | undefined): number | null {
  return callMax !== undefined ? callMax : settings.maxRetries;
}

/**
 * The longest `result_expires` of the tasks in a canvas (each task's own option, else the one it
 * inherits from the canvas around it, else its settings): how long what the canvas records beside
 * its tasks' results (group records, a chord's header list in R2, an idempotency claim) is kept.
 */
export function canvasExpiresS(app: App | undefined, node: Canvas, inherited?: number): number {
  const here = node.options.result_expires ?? inherited;
  switch (node.kind) {
    case "task":
      return here ?? runSettingsOf(app, { task: node.name, options: {} }).resultExpiresS;
    case "map":
    case "starmap":
    case "chunks":
      return canvasExpiresS(app, node.task, here);
    case "chain":
    case "group":
      // An empty one (a group of nothing reads as a ready, empty GroupResult) lives as long as
      // the app keeps results.
      if (node.tasks.length === 0) return here ?? app?.defaults.result_expires ?? DEFAULT_RESULT_EXPIRES_S;
      return Math.max(0, ...node.tasks.map((t) => canvasExpiresS(app, t, here)));
    case "chord":
      return Math.max(canvasExpiresS(app, node.body, here), ...node.header.map((t) => canvasExpiresS(app, t, here)));
  }
}
