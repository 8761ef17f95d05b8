/**
 * What both consumers do with one delivered task, written once: decide track_started and the
 * result's expiry, read large arguments back from R2, run the task, and put a large value into
 * R2. Each consumer keeps only what differs: the leased one begins and settles through its
 * QueueDO (src/worker/consumer.ts), the direct one writes results itself and acks the Queue
 * message (src/worker/direct-consumer.ts).
 */
import { DEFAULT_RESULT_EXPIRES_S, KV_MIN_TTL_S } from "../protocol/index.js";
import type { LeasedTask, TaskMessage } from "../protocol/message.js";
import type { RunResult } from "../protocol/outcome.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { resultPolicyOf } from "../app/result-policy.js";
import { offloadResult, resolveArgs } from "../results/offload.js";
import { runTask, type RunHooks } from "./execute.js";

/** True when the task reports STARTED before it runs (the call's `track_started`, else the task's). */
export function trackStartedOf(app: App, m: TaskMessage): boolean {
  return m.options.track_started ?? app.defaultsOf(m.task).track_started ?? false;
}

/** Seconds to keep the task's final result: the call's `result_expires`, else the task's (at least KV's minimum TTL). */
export function resultExpiresOf(app: App, m: TaskMessage): number {
  return Math.max(KV_MIN_TTL_S, m.options.result_expires ?? app.defaultsOf(m.task).result_expires ?? DEFAULT_RESULT_EXPIRES_S);
}

/** How one delivered task ran: its result (a large value already a pointer) and when. */
export interface Ran {
  result: RunResult;
  startedAt: number;
  doneAt: number;
}

/**
 * Runs one delivered task to its result. Large arguments (pointers) are read from R2 first; a
 * value too large to settle inline goes to R2 and the result carries its pointer. `rawJson`, the
 * message as delivered, is tested for pointers (without it the args are encoded for the test).
 * Never throws.
 */
export async function runDelivered(env: EdgeryEnv, app: App, leased: LeasedTask, controller: AbortController, hooks: RunHooks, rawJson?: string): Promise<Ran> {
  const m = leased.message;
  const startedAt = Date.now();
  const ran = (await resolveArgs(env, m, rawJson)) ?? (await runTask(app, leased, controller, hooks));
  const result = await offloadResult(env, resultPolicyOf(app, m.task), m.id, ran);
  return { result, startedAt, doneAt: Date.now() };
}
