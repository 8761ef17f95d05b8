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
import { createApi } from "./http/api.js";
import type { DeliveryBody } from "./protocol/message.js";
import { setApp } from "./runtime/app-registry.js";
import type { EdgeryEnv } from "./runtime/env.js";
import type { App } from "./app/app.js";
import { consume } from "./worker/consumer.js";
import { brokerProblem } from "./brokers/registry.js";
import { handleBrokerRequest, isBrokerRequest } from "./http/broker-endpoint.js";
import { isDirectBody } from "./brokers/cloudflare-queue-broker.js";
import { consumeDirect } from "./worker/direct-consumer.js";
import { scheduleStub } from "./runtime/stubs.js";

export { App } from "./app/app.js";
export type { AppConfig, TaskDefaults, TaskDefinition, TaskFn } from "./app/app.js";
export type { Route } from "./app/routing.js";
export type { Broker, BrokerKind, BrokerSpec, QueueSettings } from "./brokers/broker.js";
export type { TaskContext, RetryOptions, DeliveryInfo } from "./app/task-context.js";
export type { EdgeryEnv } from "./runtime/env.js";
export { QueueDO } from "../durable-objects/queue-do.js";
export { ResultDO } from "../durable-objects/result-do.js";
export { ChordDO } from "../durable-objects/chord-do.js";
export { EventsDO } from "../durable-objects/events-do.js";
export { ScheduleDO } from "../durable-objects/schedule-do.js";
export type { ScheduleWhen, ScheduleInfo } from "./schedule/schedule.js";
export * from "./protocol/index.js";

/** 503 not_configured naming what is missing (a broker's binding or secret). */
function notConfigured(message: string): Response {
  return new Response(JSON.stringify({ error: { code: "not_configured", message: `edgery: ${message}` } }), {
    status: 503,
    headers: { "content-type": "application/json", "retry-after": "1" },
  });
}

/** Internal path on which a consumer hands a delivery to a fresh invocation of the Worker. */
const DELIVER_PATH = "/__edgery/deliver";

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
  return {
    async fetch(request, env, ctx) {
      app.enableOptional(optionalOn(env));
      // A route whose broker binding or secret is missing: every request says so, by name.
      const problem = brokerProblem(app, env);
      if (problem) return notConfigured(problem);
      const url = new URL(request.url);
      if (isBrokerRequest(url)) return handleBrokerRequest(request, env, app);
      if (url.pathname === DELIVER_PATH && request.method === "POST" && request.headers.get("x-edgery-internal") === "deliver") {
        // Leases fence this: a body with leases the QueueDO did not hand out runs nothing.
        const body = (await request.json()) as DeliveryBody;
        ctx.waitUntil(consume(env, app, body).catch((err) => console.error("edgery: delivery failed", err)));
        return new Response(null, { status: 202 });
      }
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
      // ctx.exports (compat flag enable_ctx_exports) reaches this Worker without a network hop.
      const self = ((ctx as unknown as { exports?: { default?: Fetcher } }).exports?.default ?? env.SELF) as Fetcher | undefined;
      const handoff = self && env.EDGERY_DEV === "true"
      const problem = brokerProblem(app, env);
      if (problem) throw new Error(`edgery: ${problem}`);
      // Fault harness (scripts/chaos): in local dev only, EDGERY_CHAOS_DUPLICATE=true processes
      // every delivery twice at once, as an at-least-once Queue may.
      const copies = env.EDGERY_DEV === "true" && env.EDGERY_CHAOS_DUPLICATE === "true" ? 2 : 1;
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
            const res = await self!.fetch(`https://edgery.internal${DELIVER_PATH}`, {
              method: "POST",
              headers: { "content-type": "application/json", "x-edgery-internal": "deliver" },
              body: JSON.stringify(msg.body),
            }).catch(() => null);
            if (res?.status === 202) return msg.ack();
          }
          await consume(env, app, msg.body);
          msg.ack();
        }),
      );
    },
  };
}
