/**
 * What both consumers do with one delivered task, written once: read large arguments back from
 * R2, run the task, and put a large value into R2. Each consumer keeps only what differs: the leased one begins and settles through its
 * QueueDO (src/worker/consumer.ts), the direct one writes results itself and acks the Queue
 * message (src/worker/direct-consumer.ts).
 */
import { hasExpired, type LeasedTask } from "../protocol/message.js";
import { revokedEnding, type RunResult } from "../protocol/outcome.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { resultPolicyOf } from "../app/result-policy.js";
import { offloadResult, resolveArgs } from "../results/offload.js";
import { applyWire } from "../apply/apply-wire.js";
import { runTask, type ConsumerHooks, type TaskAbort } from "./execute.js";
import type { RunSettings } from "../app/task-settings.js";

/** How one delivered task ran: its result (a large value already a pointer) and when. */
export interface Ran {
  result: RunResult;
  startedAt: number;
  doneAt: number;
}

/**
 * Runs one delivered task to its result. Large arguments (pointers) are read from R2 first; a
 * value too large to settle inline goes to R2 and the result carries its pointer. `rawJson`, the
 * message as delivered, is tested for pointers (without it the args are encoded for the test);
 * `settings`, the task's run settings when the caller has read them already.
 * The task sends subtasks through the Worker's own apply path (`ctx.send`, `ctx.apply`). Never throws.
 */
export async function runDelivered(env: EdgeryEnv, app: App, leased: LeasedTask, controller: TaskAbort, hooks: ConsumerHooks, rawJson?: string, settings?: RunSettings): Promise<Ran> {
  const m = leased.message;
  const startedAt = Date.now();
  // The task runs on its large arguments read back from R2; `leased.message` keeps them as sent
  // (pointers): a result_extended result's args and a retried message are written from it, and a
  // value read back may be larger than a Durable Object value (2 MB) or a Queue message holds.
  const run: LeasedTask = { ...leased, message: { ...m } };
  const resolved = await resolveArgs(env, run.message, rawJson);
  // Celery checks `expires` as a task is about to run: a delivery's tasks were begun together,
  // and CPU-bound ones run one after another, so a later one may reach its turn past its expiry.
  if (!resolved && hasExpired(m.expires, Date.now())) return { result: revokedEnding("expired"), startedAt, doneAt: Date.now() };
  const ran = resolved ?? (await runTask(app, run, controller, {
    updateState: hooks.updateState,
    acknowledge: hooks.acknowledge,
    apply(s) {
      return applyWire(env, app, s, { id: m.id, rootId: m.root_id });
    },
  }, settings));
  // A value its chain's next step or its callbacks receive must fit their messages.
  const result = await offloadResult(env, resultPolicyOf(app, m.task), m.id, ran, m.chain.length > 0 || m.link.length > 0);
  return { result, startedAt, doneAt: Date.now() };
}
