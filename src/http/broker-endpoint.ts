/**
 * The internal broker endpoint of an edgery app: what a `service` or `http` broker of another
 * app calls, mounted on the API at {@link BROKER_PATH}. Needs a Bearer token with the `peer` scope
 * (or `admin`): the token the peer app sends over its `service`/`http` broker.
 *
 * - `POST /enqueue {messages}`: this app routes each message by its own routes (the sender chose
 *   the app, this app chooses the queue, as Celery's per-app `task_routes`) and enqueues it on its
 *   own broker of that queue. Idempotent on the QueueDO (by id).
 * - `POST /cancel {messages}`: takes them back (undo of a failed apply).
 * - `POST /revoke {ids, terminate}`: revokes in this app's own queues.
 * - `GET /results/:id?wait=S`: a result this app holds.
 * - `GET|PUT /queues/:name`, `DELETE /queues/:name/messages`.
 *
 * Never forwards again: a queue this app would send to a remote broker is served by its own
 * QueueDO here, so a misrouted task fails visibly (NotRegistered) instead of looping.
 */
import { Hono } from "hono";
import { DEFAULT_QUEUE, MAX_CANVAS_TASKS, MAX_MESSAGE_BYTES, MAX_TASK_ID_CHARS, WireError, parseTaskMessages } from "../protocol/index.js";
import { readResult } from "../results/read.js";
import type { TaskMessage } from "../protocol/message.js";
import { directoryStub } from "../runtime/stubs.js";
import { fulfilled } from "../runtime/settled.js";
import { authenticated, need } from "./auth.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { queueOf } from "../app/task-settings.js";
import type { Broker } from "../brokers/broker.js";
import { registryOf } from "../brokers/registry.js";
import { queryParam, queueName, waitMs } from "./query.js";
import { readJson } from "./body.js";
import { oversizeBytes } from "../runtime/pack.js";
import { parseQueueSettings } from "./queue-settings.js";
import type { ApiEnv } from "./types.js";
import { pathParam } from "./path-param.js";

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

/**
 * The messages a peer app sent (parseTaskMessages: a message of another shape is never stored),
 * read as the API reads a body (readJson: at most MAX_BODY_BYTES, UTF-8 JSON), each at most
 * MAX_MESSAGE_BYTES as sent, as an apply checks it: a larger one reached SQLite whole (500
 * `SQLITE_TOOBIG` past about 2 MB) or failed PayloadTooLarge only once leased.
 * @throws WireError `invalid_json` (400), `payload_too_large` (413) at `messages.<i>`, or `invalid_request`.
 */
async function messagesOf(request: Request): Promise<TaskMessage[]> {
  const body = (await readJson(request)) as { messages?: unknown } | null;
  const messages = parseTaskMessages(typeof body === "object" && body !== null ? body.messages : undefined);
  messages.forEach((m, i) => {
    const bytes = oversizeBytes(m);
    if (bytes !== null) {
      throw new WireError("payload_too_large", `messages.${i}: task '${m.task}' is ${bytes} bytes as sent; one message may be at most ${MAX_MESSAGE_BYTES}`, `messages.${i}`);
    }
  });
  return messages;
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

/** Enqueues (or cancels) messages on this app's own brokers, each queue at once. */
async function enqueueLocally(env: EdgeryEnv, app: App, request: Request, cancel: boolean): Promise<number> {
  const groups = routed(app, await messagesOf(request));
  const results = await Promise.allSettled(
    [...groups].map(([queue, msgs]) => {
      const b = localBroker(env, app, queue);
      return cancel ? (b.cancel?.(msgs) ?? Promise.resolve()) : b.enqueue(msgs);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  // The sender keeps the messages and sends them again: the QueueDO skips ids it holds.
  if (failed) throw failed.reason;
  return [...groups.values()].reduce((n, l) => n + l.length, 0);
}

/**
 * A peer's revoke: task ids (1 to MAX_TASK_ID_CHARS characters each, as a task_id; at most MAX_CANVAS_TASKS, the
 * members of the largest group) and whether to terminate running ones.
 * @throws WireError `invalid_request` at `ids` or `terminate`.
 */
function revokeOf(body: unknown): { ids: string[]; terminate: boolean } {
  const { ids, terminate } = (typeof body === "object" && body !== null ? body : {}) as { ids?: unknown; terminate?: unknown };
  if (!Array.isArray(ids) || ids.length > MAX_CANVAS_TASKS || ids.some((id) => typeof id !== "string" || id.length === 0 || id.length > MAX_TASK_ID_CHARS)) {
    throw new WireError("invalid_request", `ids: must be a list of at most ${MAX_CANVAS_TASKS} task ids`, "ids");
  }
  if (terminate !== undefined && typeof terminate !== "boolean") throw new WireError("invalid_request", "terminate: must be true or false", "terminate");
  return { ids: ids as string[], terminate: terminate === true };
}

/** A queue operation this queue's broker does not have: as an unknown route. */
function missing(c: { req: { method: string; path: string } }): never {
  throw new WireError("not_found", `no broker route ${c.req.method} ${c.req.path}`);
}

/** The broker endpoint as a sub-app of the API (mounted at BROKER_PATH). */
export function brokerEndpoint(): Hono<ApiEnv> {
  const b = new Hono<ApiEnv>();
  // Auth before routing, as on /v1: an unknown broker path without a token is 401 too. Only a
  // peer app's token (scope `peer`, or `admin`) reaches it: never an enqueue or read token.
  b.use("*", authenticated, need("peer"));

  b.post("/enqueue", async (c) => c.json({ accepted: await enqueueLocally(c.env, c.get("app"), c.req.raw, false) }, 202));
  b.post("/cancel", async (c) => c.json({ accepted: await enqueueLocally(c.env, c.get("app"), c.req.raw, true) }, 202));

  b.post("/revoke", async (c) => {
    const { ids, terminate } = revokeOf(await readJson(c.req.raw));
    const app = c.get("app");
    // Their place here is unknown: the directory remembers them for a queue that joins later.
    const known = await directoryStub(c.env).rememberRevokes(ids);
    const queues = [...new Set([DEFAULT_QUEUE, ...app.routedQueues(), ...known])];
    // One damaged queue must not fail the revoke in every other.
    const answers = fulfilled(
      await Promise.allSettled(queues.map(async (q) => (await localBroker(c.env, app, q).revoke?.(q, ids, terminate)) ?? { revoked: [] })),
      (i, reason) => console.error(`edgery: revoke in queue '${queues[i]}' failed`, reason),
    );
    return c.json({ revoked: [...new Set(answers.flatMap((a) => a.revoked))] });
  });

  // Another app reading a result this app holds (its `http` broker sent the task here).
  b.get("/results/:id", async (c) => c.json(await readResult(c.env, pathParam(c, "id"), waitMs(queryParam(c, "wait")), () => undefined)));

  b.get("/queues/:name", async (c) => {
    const name = queueName(pathParam(c, "name"));
    const broker = localBroker(c.env, c.get("app"), name);
    return broker.stats ? c.json(await broker.stats(name)) : missing(c);
  });
  b.put("/queues/:name", async (c) => {
    const name = queueName(pathParam(c, "name"));
    const broker = localBroker(c.env, c.get("app"), name);
    if (!broker.configure) return missing(c);
    const settings = parseQueueSettings(await readJson(c.req.raw));
    return c.json(await broker.configure(name, settings));
  });
  b.delete("/queues/:name/messages", async (c) => {
    const name = queueName(pathParam(c, "name"));
    const broker = localBroker(c.env, c.get("app"), name);
    return c.json(broker.purge ? await broker.purge(name) : { purged: 0 });
  });
  return b;
}
