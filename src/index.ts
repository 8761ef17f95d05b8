/**
 * edgery, the server side: define an app, register tasks and routes, and export `edgery(app)`
 * as your Worker with the Durable Object classes.
 *
 * ```ts
 * import { App, edgery } from "edgery";
 * export { QueueDO, ResultDO, ChordDO } from "edgery";
 * const app = new App({ name: "my-app" });
 * app.task("emails.send", async (ctx, [to]) => sendEmail(to));
 * export default edgery(app);
 * ```
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { createApi } from "./http/api.js";
import { isDeliveryBody, type DeliveryBody } from "./protocol/message.js";
import { getApp, setApp } from "./runtime/app-registry.js";
import type { EdgeryEnv } from "./runtime/env.js";
import { chaosHooks } from "./runtime/chaos.js";
import type { App } from "./app/app.js";
import { consume } from "./worker/consumer.js";
import { brokerProblem } from "./brokers/registry.js";
import { isDirectBody } from "./brokers/cloudflare-queue-broker.js";
import { consumeDirect } from "./worker/direct-consumer.js";
import { scheduleStub } from "./runtime/stubs.js";
import { deliveryTarget, type HandOffReceipt } from "./runtime/direct-dispatch.js";

export { App } from "./app/app.js";
export type { AppConfig, TaskDefaults, TaskDefinition, TaskFn, TasksOf } from "./app/app.js";
export type { TypedTask, ArgIssue } from "./app/typed-task.js";
export type { ArgsSchema, KwargsSchema } from "./app/task-definition.js";
export type { StandardSchemaV1 } from "./app/standard-schema.js";
export type { Route } from "./app/routing.js";
export type { QueueConfig, LocationHint } from "./app/queue-config.js";
export type { Broker, BrokerKind, BrokerSpec, QueueSettings } from "./brokers/broker.js";
export type { TaskContext, RetryOptions, DeliveryInfo } from "./app/task-context.js";
export type { EdgeryEnv } from "./runtime/env.js";
export { QueueDO } from "../durable-objects/queue-do.js";
export { ResultDO } from "../durable-objects/result-do.js";
export { ChordDO } from "../durable-objects/chord-do.js";
export { EventsDO } from "../durable-objects/events-do.js";
export { ScheduleDO } from "../durable-objects/schedule-do.js";
export { DirectoryDO } from "../durable-objects/directory-do.js";
export { IdempotencyDO } from "../durable-objects/idempotency-do.js";
export type { ScheduleWhen, ScheduleInfo } from "./schedule/schedule.js";
export * from "./protocol/index.js";

/** Whether each registered app serves its optional tasks, as {@link edgery} was told. */
const optionalPolicy = new WeakMap<App, (env: EdgeryEnv) => boolean>();

/**
 * Consumer invocations reached by RPC through `ctx.exports` (or a service binding to this
 * entrypoint), never over HTTP, so nothing outside the Worker can call it: the queue handler's
 * hand-off in local dev (local Queues run one consumer at a time), and a nearly idle QueueDO's
 * direct dispatch (src/runtime/direct-dispatch.ts). Export it from the Worker's entry module,
 * next to the Durable Objects; without it deliveries run in the consumer's own invocation and
 * every dispatch goes through the Cloudflare Queue.
 */
export class EdgeryDelivery extends WorkerEntrypoint<EdgeryEnv> {
  /**
   * Starts one delivery (it runs on in `waitUntil`; leases fence it: a body with leases the
   * QueueDO did not hand out runs nothing). @throws TypeError for a body of another shape.
   */
  async deliver(body: unknown): Promise<void> {
    // The queue handler calls this once per copy under the fault harness.
    this.ctx.waitUntil(consumed(this.env, body, 1, false, undefined));
  }

  /**
   * Runs one delivery to its end, for a QueueDO's direct dispatch: the caller holds the call open
   * for the delivery's life, so the invocation is not cut short by a `waitUntil` limit. A failure
   * of the delivery itself is logged (its leases decide what becomes of its tasks, as on the Queue
   * path); the call rejects only when the hand-off failed. Under the fault harness the delivery is
   * processed twice at once, as a Queue message would be. The queue of a direct hand-off is nearly
   * idle, so its results are written ahead of the settle (src/worker/pre-write.ts). `receipt`:
   * the QueueDO's (src/runtime/direct-dispatch.ts), asked before anything runs which of the
   * delivery's tasks this invocation may run; the QueueDO began them as it handed them over.
   * @throws TypeError for a body of another shape.
   */
  async run(body: unknown, receipt?: unknown): Promise<void> {
    await consumed(this.env, body, chaosCopies(this.env), true, receipt);
  }
}

/**
 * A delivery handed to EdgeryDelivery, consumed `copies` times at once (a module function: an
 * entrypoint's methods are all callable by RPC); `handedOff` as in ConsumeOptions; `receipt`
 * (a HandOffReceipt) is asked first. Never rejects once a task may have run.
 * @throws TypeError for a body of another shape.
 */
function consumed(env: EdgeryEnv, body: unknown, copies: number, handedOff: boolean, receipt: unknown): Promise<void> {
  if (!isDeliveryBody(body)) throw new TypeError("edgery: not a delivery body");
  const app = getApp();
  app.enableOptional(optionalPolicy.get(app)?.(env) ?? false);
  // A receipt that fails rejects the hand-off before anything ran: its QueueDO gives the tasks back.
  return confirmedLeases(receipt).then((confirmed) => {
    const runs = Array.from({ length: copies }, () => consume(env, app, body, { handedOff, confirmed }).catch((err) => console.error("edgery: delivery failed", err)));
    return Promise.all(runs).then(() => undefined);
  });
}

/**
 * Asks a direct hand-off's QueueDO (HandOffReceipt, over the hand-off's own RPC session) which of
 * its tasks this consumer may run; undefined without a receipt (the consumer then begins them
 * itself, as for a Queue message). @throws what the receipt's call throws.
 */
async function confirmedLeases(receipt: unknown): Promise<string[] | undefined> {
  const r = receipt as Partial<HandOffReceipt> | null | undefined;
  if (typeof r?.received !== "function") return undefined;
  const leases: unknown = await r.received();
  if (!Array.isArray(leases) || !leases.every((l): l is string => typeof l === "string")) throw new TypeError("edgery: a hand-off receipt answered no leases");
  return leases;
}

/**
 * Fault harness (scripts/chaos): in local dev only, EDGERY_CHAOS_DUPLICATE=true processes every
 * delivery twice at once, as an at-least-once Queue may. How many times a delivery is processed.
 */
function chaosCopies(env: EdgeryEnv): number {
  return chaosHooks(env).duplicateDeliveries ? 2 : 1;
}

/** Options of {@link edgery}. */
export interface EdgeryOptions {
  /** Serve the app's optional (demo) tasks: default, only in local dev (`EDGERY_DEV=true`). */
  optionalTasks?: (env: EdgeryEnv) => boolean;
}

/**
 * The Worker for an app: the HTTP API (`fetch`) and the Queue consumer (`queue`).
 * Registers the app for the Durable Objects exported next to it.
 */
export function edgery<E extends EdgeryEnv = EdgeryEnv>(app: App, options: EdgeryOptions = {}): ExportedHandler<E, DeliveryBody> {
  setApp(app);
  const api = createApi(app);
  const optionalOn = options.optionalTasks ?? ((env: EdgeryEnv) => env.EDGERY_DEV === "true" || (env as { EDGERY_DEMO_TASKS?: string }).EDGERY_DEMO_TASKS === "true");
  optionalPolicy.set(app, optionalOn);
  return {
    async fetch(request, env, ctx) {
      app.enableOptional(optionalOn(env));
      return api.fetch(request, env, ctx);
    },
    /** Cron Trigger (every minute): applies the app's schedules that are due. */
    async scheduled(_controller, env, ctx) {
      app.enableOptional(optionalOn(env));
      if (app.schedules().length === 0) return;
      const stub = scheduleStub(env);
      if (!stub) return console.error("edgery: app.schedule() needs the SCHEDULE_DO binding (see wrangler.toml)");
      ctx.waitUntil(stub.tick().then(() => undefined));
    },
    async queue(batch, env, ctx) {
      app.enableOptional(optionalOn(env));
      const handoff = env.EDGERY_DEV === "true" ? deliveryTarget(ctx, env) : undefined;
      const problem = brokerProblem(app, env);
      if (problem) throw new Error(`edgery: ${problem}`);
      const copies = chaosCopies(env);
      await Promise.all(
        batch.messages.flatMap((msg) => Array.from({ length: copies }, () => msg)).map(async (msg) => {
          if (isDirectBody(msg.body)) {
            // A cloudflare-queue broker's message: run here, ack once results are written.
            try {
              await consumeDirect(env, app, msg.body, msg.attempts);
              msg.ack();
            } catch (err) {
              console.error("edgery: direct batch failed; the Queue delivers it again", err);
              msg.retry({ delaySeconds: 1 });
            }
            return;
          }
          if (handoff) {
            // Local Queues run one consumer at a time: hand each delivery to its own invocation
            // so that one long task does not hold up the rest.
            const handed = await handoff.deliver(msg.body).then(
              () => true,
              (err) => (console.error("edgery: hand-off failed; running the delivery here", err), false),
            );
            if (handed) return msg.ack();
          }
          await consume(env, app, msg.body);
          msg.ack();
        }),
      );
    },
  };
}
