/**
 * The internal broker endpoint of an edgery app: what a `service` or `http` broker of another
 * app calls. Authenticated with this app's token (Bearer; `dev-token` in local dev).
 *
 * - `POST {BROKER_PATH}/enqueue {messages}`: this app routes each message by its own routes
 *   (the sender chose the app, this app chooses the queue, as Celery's per-app `task_routes`)
 *   and enqueues it on its own broker of that queue. Idempotent on the QueueDO (by id).
 * - `POST {BROKER_PATH}/cancel {messages}`: takes them back (undo of a failed apply).
 * - `POST {BROKER_PATH}/revoke {ids, terminate}`: revokes in this app's own queues.
 * - `GET|PUT {BROKER_PATH}/queues/:name`, `DELETE {BROKER_PATH}/queues/:name/messages`.
 *
 * Never forwards again: a queue this app would send to a remote broker is served by its own
 * QueueDO here, so a misrouted task fails visibly (NotRegistered) instead of looping.
 */
import { DEFAULT_QUEUE, MAX_WAIT_S, WireError } from "../protocol/index.js";
import { readResult } from "../results/read.js";
import type { TaskMessage } from "../protocol/message.js";
import { directoryStub } from "../runtime/stubs.js";
import { fulfilled } from "../runtime/settled.js";
import { checkAuth } from "./auth.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { queueOf } from "../app/task-settings.js";
import type { Broker, QueueSettings } from "../brokers/broker.js";
import { registryOf } from "../brokers/registry.js";
import { BROKER_PATH } from "../brokers/remote-broker.js";

const QUEUE_NAME = /^[A-Za-z0-9._:-]{1,128}$/;

/** The queue this app routes a task to (a map/starmap by the task it wraps). */
export function localQueueOf(app: App, m: TaskMessage): string {
  const inner = m.task === "celery.map" || m.task === "celery.starmap" ? (m.kwargs.task as { name?: unknown } | undefined)?.name : undefined;
  const name = typeof inner === "string" ? inner : m.task;
  return queueOf(app, name);
}

/** This app's own broker for a queue: never a remote one (no forwarding loops). */
function localBroker(env: EdgeryEnv, app: App, queue: string): Broker {
  const registry = registryOf(env, app);
  const kind = registry.specOf(queue)?.kind;
  return kind === "service" || kind === "http" ? registry.default : registry.brokerOf(queue);
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function errorResponse(err: unknown): Response {
  if (err instanceof WireError) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (err.code === "overloaded" || err.code === "not_configured") headers["retry-after"] = "1";
    return new Response(JSON.stringify(err.toJSON()), { status: err.status, headers });
  }
  console.error("edgery: broker endpoint failed", err);
  return new Response(JSON.stringify({ error: { code: "overloaded", message: "the broker could not take this now; try again" } }), {
    status: 503,
    headers: { "content-type": "application/json", "retry-after": "1" },
  });
}

async function messagesOf(request: Request): Promise<TaskMessage[]> {
  const body = (await request.json().catch(() => null)) as { messages?: unknown } | null;
  const list = body?.messages;
  if (!Array.isArray(list) || list.some((m) => typeof m !== "object" || m === null || typeof (m as TaskMessage).id !== "string" || typeof (m as TaskMessage).task !== "string")) {
    throw new WireError("invalid_request", "messages: must be a list of task messages", "messages");
  }
  return list as TaskMessage[];
}

/** Messages re-routed by this app, grouped by queue. */
function routed(app: App, messages: TaskMessage[]): Map<string, TaskMessage[]> {
  const out = new Map<string, TaskMessage[]>();
  for (const m of messages) {
    const queue = localQueueOf(app, m);
    const msg = queue === m.queue ? m : { ...m, queue };
    const list = out.get(queue);
    if (list) list.push(msg);
    else out.set(queue, [msg]);
  }
  return out;
}

/** True for a request to the broker endpoint. */
export function isBrokerRequest(url: URL): boolean {
  return url.pathname.startsWith(BROKER_PATH + "/");
}

/** Answers a request to the broker endpoint. */
export async function handleBrokerRequest(request: Request, env: EdgeryEnv, app: App): Promise<Response> {
  try {
    checkAuth(env, request.headers.get("authorization"));
    const url = new URL(request.url);
    const path = url.pathname.slice(BROKER_PATH.length);
    const method = request.method;
    if (method === "POST" && (path === "/enqueue" || path === "/cancel")) {
      const groups = routed(app, await messagesOf(request));
      const cancel = path === "/cancel";
      const results = await Promise.allSettled(
        [...groups].map(([queue, msgs]) => {
          const b = localBroker(env, app, queue);
          return cancel ? (b.cancel?.(msgs) ?? Promise.resolve()) : b.enqueue(msgs);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      // The sender keeps the messages and sends them again: the QueueDO skips ids it holds.
      if (failed) throw failed.reason;
      return json({ accepted: [...groups.values()].reduce((n, l) => n + l.length, 0) }, 202);
    }
    if (method === "POST" && path === "/revoke") {
      const body = (await request.json().catch(() => null)) as { ids?: unknown; terminate?: unknown } | null;
      if (!Array.isArray(body?.ids) || body.ids.some((id) => typeof id !== "string")) throw new WireError("invalid_request", "ids: must be a list of task ids", "ids");
      const ids = body.ids as string[];
      const known = await directoryStub(env).listQueues();
      const queues = [...new Set([DEFAULT_QUEUE, ...app.routedQueues(), ...known])];
      // One damaged queue must not fail the revoke in every other.
      const answers = fulfilled(
        await Promise.allSettled(queues.map(async (q) => (await localBroker(env, app, q).revoke?.(q, ids, body.terminate === true)) ?? { revoked: [] })),
        (i, reason) => console.error(`edgery: revoke in queue '${queues[i]}' failed`, reason),
      );
      return json({ revoked: [...new Set(answers.flatMap((a) => a.revoked))] });
    }
    const r = /^\/results\/([^/]+)$/.exec(path);
    if (r && method === "GET") {
      // Another app reading a result this app holds (its `http` broker sent the task here).
      const wait = Math.min(Number(url.searchParams.get("wait") ?? 0) || 0, MAX_WAIT_S) * 1000;
      return json(await readResult(env, decodeURIComponent(r[1]!), wait, () => undefined));
    }
    const m = /^\/queues\/([^/]+)(\/messages)?$/.exec(path);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      if (!QUEUE_NAME.test(name)) throw new WireError("invalid_request", `'${name}' is not a queue name`, "name");
      const b = localBroker(env, app, name);
      if (m[2] && method === "DELETE") return json(b.purge ? await b.purge(name) : { purged: 0 });
      if (!m[2] && method === "GET" && b.stats) return json(await b.stats(name));
      if (!m[2] && method === "PUT" && b.configure) return json(await b.configure(name, (await request.json()) as QueueSettings));
    }
    throw new WireError("not_found", `no broker route ${method} ${url.pathname}`);
  } catch (err) {
    return errorResponse(err);
  }
}
