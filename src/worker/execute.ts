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
import type { LeasedTask } from "../protocol/message.js";
import { notRegisteredEnding, timeLimitEnding, timeLimitError, type RunResult } from "../protocol/outcome.js";
import type { App } from "../app/app.js";
import { maxRetriesOf, runSettingsOf, type RunSettings } from "../app/task-settings.js";
import { Retry, decideRetry, retryCountdown } from "./retry.js";
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

/** The lease length a consumer asks for when it begins the task (hard limit plus grace). */
export function leaseMsOf(hardMs: number | null): number | null {
  return hardMs === null ? null : hardMs + HARD_LIMIT_GRACE_MS;
}

/**
 * Runs the task of `leased`. `controller` aborts it: the consumer aborts with TaskRevokedError
 * when a heartbeat finds the lease revoked (terminate).
 */
export async function runTask(app: App, leased: LeasedTask, controller: AbortController, hooks: RunHooks): Promise<RunResult> {
  const m = leased.message;
  const def = app.get(m.task);
  if (!def) return notRegisteredEnding(m.task);
  const settings = runSettingsOf(app, m);
  const { softMs, hardMs, defaults } = settings;
  const signal = controller.signal;
  const started = Date.now();
  const softError = () => new SoftTimeLimitExceeded(`SoftTimeLimitExceeded(${(softMs ?? 0) / 1000})`);
  /**
   * The soft limit by the clock: a busy loop keeps the timer from firing, so every call the task
   * makes into edgery first checks whether the limit has passed, and fires it if so.
   */
  const pastSoft = (): void => {
    if (softMs !== null && !signal.aborted && Date.now() - started >= softMs) controller.abort(softError());
  };
  /** An awaitable handed to the task: it observes the soft limit (and terminate). */
  const awaitable = <T>(start: () => Promise<T>): Promise<T> => {
    pastSoft();
    return observing(signal, start);
  };
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
    signal,
    updateState: (state, meta) => awaitable(() => hooks.updateState(state, meta ?? null)),
    retry: (options = {}) => new Retry(options),
    acknowledge: () => awaitable(() => hooks.acknowledge()),
    sleep: (ms) => {
      let t: ReturnType<typeof setTimeout> | undefined;
      return awaitable(() => new Promise<void>((resolve) => (t = setTimeout(resolve, ms)))).finally(() => t !== undefined && clearTimeout(t));
    },
    checkpoint: () => {
      pastSoft();
      if (signal.aborted) throw signal.reason;
    },
    send: (name, call = {}) => awaitable(() => hooks.apply({ task: name, args: call.args, kwargs: call.kwargs, options: call.options })),
    apply: (signature) => awaitable(() => hooks.apply(signature)),
  };
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  if (softMs !== null) timers.push(setTimeout(() => controller.abort(softError()), softMs));
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
    signal.addEventListener("abort", () => {
      if (signal.reason instanceof TaskRevokedError) reject(signal.reason);
    });
  });
  hard.catch(() => undefined);
  terminated.catch(() => undefined);
  try {
    const value = await Promise.race([Promise.resolve().then(() => def.fn(ctx, m.args, m.kwargs)), hard, terminated]);
    // A busy loop cannot be interrupted: past the hard limit its result is dropped.
    if (hardMs !== null && Date.now() - started > hardMs) return timeLimitEnding(hardMs / 1000);
    return { kind: "success", value: value === undefined ? null : value };
  } catch (err) {
    if (hardFired || (hardMs !== null && Date.now() - started > hardMs)) return timeLimitEnding(hardMs === null ? null : hardMs / 1000);
    if (err instanceof TaskRevokedError) return { kind: "failure", state: "REVOKED", error: serializeError(err) };
    if (err instanceof Retry) return retryOf(m.task, m.id, m.retries, settings, err);
    const info = serializeError(err);
    if (defaults.autoretry_for?.includes(info.type)) {
      return retryOf(m.task, m.id, m.retries, settings, new Retry({ exc: err }));
    }
    return { kind: "failure", state: "FAILURE", error: info };
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

function retryOf(task: string, id: string, retries: number, settings: RunSettings, r: Retry): RunResult {
  const decision = decideRetry({
    task,
    id,
    retries,
    maxRetries: maxRetriesOf(settings, r.options.maxRetries),
    countdownS: retryCountdown(settings.defaults, retries, r.options.countdown),
    exc: r.options.exc === undefined ? null : serializeError(r.options.exc),
  });
  return decision.kind === "retry" ? { kind: "retry", countdownS: decision.countdownS, error: decision.error } : { kind: "failure", state: "FAILURE", error: decision.error };
}
