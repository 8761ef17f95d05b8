/**
 * Runs one task with its request context, soft and hard time limits, and the retry policy,
 * and says how it ended. Never throws.
 */
import {
  HARD_LIMIT_GRACE_MS,
  SoftTimeLimitExceeded,
  TaskRevokedError,
  TimeLimitExceeded,
  serializeError,
  type Handle,
  type TaskErrorInfo,
  type WireSignature,
} from "../protocol/index.js";
import type { LeasedTask, TaskMessage } from "../protocol/message.js";
import type { BeginItem } from "../protocol/rpc.js";
import { notRegisteredEnding, timeLimitEnding, timeLimitError, type RunResult } from "../protocol/outcome.js";
import type { App } from "../app/app.js";
import { maxRetriesOf, runSettingsOf, type RunSettings } from "../app/task-settings.js";
import { Retry, autoretries, decideRetry, retryCountdown } from "./retry.js";
import type { TaskContext } from "../app/task-context.js";


/** Hooks the consumer gives a running task (state updates and acks go to its QueueDO). */
export interface ConsumerHooks {
  updateState(state: string, meta: unknown): Promise<void>;
  acknowledge(): Promise<void>;
}

/** Everything a running task awaits through edgery: the consumer's hooks, and sending subtasks. */
export interface RunHooks extends ConsumerHooks {
  apply(signature: WireSignature): Promise<Handle>;
}

/**
 * `start()` under the task's signal: rejects with the signal's reason (SoftTimeLimitExceeded,
 * TaskRevokedError) without starting when it has fired, and as soon as it fires while waiting.
 */
function observing<T>(signal: AbortSignal, start: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    start()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * A running task's abort: the `AbortSignal` the task sees (`ctx.signal`) is made only when the
 * task or edgery asks for it (an AbortController and an event listener per task cost workerd
 * more than a no-op task's own run), while `aborted` and `reason` answer without one. The
 * consumer aborts with TaskRevokedError (revoke with terminate), the time limits with theirs.
 */
export class TaskAbort {
  /** Whether the task was aborted, and why. */
  aborted = false;
  reason: unknown = undefined;
  private controller: AbortController | null = null;
  /** Told once of a TaskRevokedError abort (runTask ends the task's race with it). */
  onRevoked: ((reason: TaskRevokedError) => void) | null = null;

  /** The task's signal (made on first use; already aborted when the task was). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the task with `reason` (a second abort changes nothing, as AbortController's). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    if (reason instanceof TaskRevokedError) this.onRevoked?.(reason);
  }
}

/** The error of a soft time limit of `softMs`. */
function softError(softMs: number | null): SoftTimeLimitExceeded {
  return new SoftTimeLimitExceeded(`SoftTimeLimitExceeded(${(softMs ?? 0) / 1000})`);
}

/**
 * The soft limit by the clock: a busy loop keeps the timer from firing, so every call the task
 * makes into edgery first checks whether the limit (`softMs` after `started`) has passed, and
 * fires it if so.
 */
function pastSoft(controller: TaskAbort, softMs: number | null, started: number): void {
  if (softMs !== null && !controller.aborted && Date.now() - started >= softMs) controller.abort(softError(softMs));
}

/** An awaitable handed to the task: it observes the soft limit (and terminate). */
function awaitable<T>(controller: TaskAbort, softMs: number | null, started: number, start: () => Promise<T>): Promise<T> {
  pastSoft(controller, softMs, started);
  return observing(controller.signal, start);
}

/** The lease length a consumer asks for when it begins the task (hard limit plus grace). */
export function leaseMsOf(hardMs: number | null): number | null {
  return hardMs === null ? null : hardMs + HARD_LIMIT_GRACE_MS;
}

/**
 * How a task is begun at its QueueDO, by its consumer or by the queue itself as it hands a
 * delivery over (direct dispatch): the lease its hard limit asks for, and whether it reports
 * STARTED, from the task's run settings.
 */
export function beginItemOf(lease: string, message: TaskMessage, settings: RunSettings, worker: string): BeginItem {
  return { lease, id: message.id, timeLimitMs: leaseMsOf(settings.hardMs), trackStarted: settings.trackStarted, worker };
}

/**
 * Runs the task of `leased`. `controller` aborts it: the consumer aborts with TaskRevokedError
 * when a heartbeat finds the lease revoked (terminate). `settings`: the task's run settings
 * (runSettingsOf) when the caller has read them already.
 */
export async function runTask(app: App, leased: LeasedTask, controller: TaskAbort, hooks: RunHooks, settings = runSettingsOf(app, leased.message)): Promise<RunResult> {
  const m = leased.message;
  const def = app.get(m.task);
  if (!def) return notRegisteredEnding(m.task);
  const { softMs, hardMs, defaults } = settings;
  const started = Date.now();
  // The ids of what the task sends itself (its result's children, as Celery's trail).
  const spawned: string[] = [];
  const sent = (handle: Handle): Handle => (spawned.push(handle.id), handle);
  // Methods, not arrow-valued properties: a bundle built with keepNames (wrangler's default) names
  // every arrow function assigned to a property or variable, a call per function per task.
  const ctx: TaskContext = {
    id: m.id,
    task: m.task,
    queue: m.queue,
    priority: m.priority,
    retries: m.retries,
    groupId: m.group_id,
    parentId: m.parent_id,
    rootId: m.root_id,
    stamps: m.stamps,
    deliveryInfo: { exchange: "", routing_key: m.options.routing_key ?? m.queue, priority: m.priority, redelivered: leased.redelivered },
    get signal() {
      return controller.signal;
    },
    updateState(state, meta) {
      return awaitable(controller, softMs, started, () => hooks.updateState(state, meta ?? null));
    },
    retry(options = {}) {
      return new Retry(options);
    },
    acknowledge() {
      return awaitable(controller, softMs, started, () => hooks.acknowledge());
    },
    sleep(ms) {
      let t: ReturnType<typeof setTimeout> | undefined;
      return awaitable(controller, softMs, started, () => new Promise<void>((resolve) => (t = setTimeout(resolve, ms)))).finally(() => t !== undefined && clearTimeout(t));
    },
    checkpoint() {
      pastSoft(controller, softMs, started);
      if (controller.aborted) throw controller.reason;
    },
    send(name, call = {}) {
      return awaitable(controller, softMs, started, () => hooks.apply({ task: name, args: call.args, kwargs: call.kwargs, options: call.options }).then(sent));
    },
    apply(signature) {
      return awaitable(controller, softMs, started, () => hooks.apply(signature).then(sent));
    },
  };
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  if (softMs !== null) timers.push(setTimeout(() => controller.abort(softError(softMs)), softMs));
  let hardFired = false;
  const hard = new Promise<never>((_, reject) => {
    if (hardMs === null) return;
    timers.push(
      setTimeout(() => {
        hardFired = true;
        const err = new TimeLimitExceeded(timeLimitError(hardMs / 1000).message);
        controller.abort(err);
        reject(err);
      }, hardMs),
    );
  });
  const terminated = new Promise<never>((_, reject) => {
    if (controller.aborted && controller.reason instanceof TaskRevokedError) reject(controller.reason);
    else controller.onRevoked = reject;
  });
  hard.catch(() => undefined);
  terminated.catch(() => undefined);
  try {
    const value = await Promise.race([Promise.resolve().then(() => def.fn(ctx, m.args, m.kwargs)), hard, terminated]);
    // A busy loop cannot be interrupted: past the hard limit its result is dropped.
    if (hardMs !== null && Date.now() - started > hardMs) return timeLimitEnding(hardMs / 1000);
    return { kind: "success", value: value === undefined ? null : value, ...(spawned.length > 0 ? { children: spawned } : {}) };
  } catch (err) {
    if (hardFired || (hardMs !== null && Date.now() - started > hardMs)) return timeLimitEnding(hardMs === null ? null : hardMs / 1000);
    if (err instanceof TaskRevokedError) return { kind: "failure", state: "REVOKED", error: serializeError(err) };
    if (err instanceof Retry) return retryOf(m.task, m.id, m.retries, settings, err, false);
    const info = serializeError(err);
    if (autoretries(defaults.autoretry_for, err, info)) {
      return retryOf(m.task, m.id, m.retries, settings, new Retry({ exc: err }), true);
    }
    return { kind: "failure", state: "FAILURE", error: info, ...(spawned.length > 0 ? { children: spawned } : {}) };
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

/** A retry asked for by the task (`auto` false) or by `autoretry_for` (`auto` true), decided. */
function retryOf(task: string, id: string, retries: number, settings: RunSettings, r: Retry, auto: boolean): RunResult {
  const decision = decideRetry({
    task,
    id,
    retries,
    maxRetries: maxRetriesOf(settings, r.options.maxRetries),
    countdownS: retryCountdown(settings.defaults, retries, r.options.countdown, auto),
    exc: r.options.exc === undefined ? null : serializeError(r.options.exc),
  });
  return decision.kind === "retry" ? { kind: "retry", countdownS: decision.countdownS, error: decision.error } : { kind: "failure", state: "FAILURE", error: decision.error };
}
