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
  type TaskErrorInfo,
} from "../protocol/index.js";
import type { LeasedTask } from "../protocol/message.js";
import { notRegisteredEnding, timeLimitEnding, timeLimitError, type RunResult } from "../protocol/outcome.js";
import type { App } from "../app/app.js";
import { maxRetriesOf, runSettingsOf, type RunSettings } from "../app/task-settings.js";
import { Retry, decideRetry, retryCountdown } from "./retry.js";
import type { TaskContext } from "../app/task-context.js";


/** Hooks the consumer gives a running task (state updates and acks go to its QueueDO). */
export interface RunHooks {
  updateState(state: string, meta: unknown): Promise<void>;
  acknowledge(): Promise<void>;
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
    updateState: (state, meta) => hooks.updateState(state, meta ?? null),
    retry: (options = {}) => new Retry(options),
    acknowledge: () => hooks.acknowledge(),
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const t = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
      }),
    checkpoint: () => {
      if (signal.aborted) throw signal.reason;
    },
  };
  const started = Date.now();
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  if (softMs !== null) timers.push(setTimeout(() => controller.abort(new SoftTimeLimitExceeded(`SoftTimeLimitExceeded(${softMs / 1000})`)), softMs));
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
