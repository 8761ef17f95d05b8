/**
 * Shared helpers of the integration tests: stubs, hand-built task messages, and reads of a
 * QueueDO's SQLite rows (what its dispatcher and alarm work on).
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import type { QueueDO } from "../../durable-objects/queue-do";
import { message } from "../brokers/conformance.js";
import type { MessageRow } from "../../durable-objects/queue-schema";
import type { DeliveryBody, TaskMessage, WireLeasedTask } from "../../src/protocol/message";
import { queueStub, resultStub } from "../../src/runtime/stubs";
import type { BeginItem, SettleItem } from "../../src/protocol/rpc";
import type { TaskResult } from "../../src/protocol";

/** A name no other test uses. */
/** One call to the Worker's HTTP API with the test token; the answer's status and JSON body. */
export async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await SELF.fetch(`https://edgery.test${path}`, {
    method,
    headers: { authorization: "Bearer test-token", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Empties queue `name` of its one delayed message `id` (revoked, then drained) and runs its alarm
 * as though its idle time were up; answers whether an alarm ran. The queue then leaves the
 * directory of queues.
 */
export async function idleOut(name: string, id: string): Promise<boolean> {
  await queue(name).revoke([id], false);
  await queue(name).drain();
  await runInDurableObject(queue(name), (instance: QueueDO) => {
    (instance as unknown as { listing: { lastActive: number } }).listing.lastActive = 0;
  });
  return runDurableObjectAlarm(queue(name));
}

export function uid(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

/** The QueueDO of a queue. */
export function queue(name: string) {
  return queueStub(env, name);
}

/** A task message built by hand, as the planner writes one (src/protocol/message.ts). */
export function taskMessage(queueName: string, task: string, over: Partial<TaskMessage> = {}): TaskMessage {
  return message(queueName, task, over.args ?? [], { id: over.id ?? crypto.randomUUID(), ...over });
}

/** A row of the QueueDO's `messages` table. */
export type { MessageRow };

/**
 * Waits until the queue's background pump is idle: dispatch done into the free window and the
 * outbox (result writes, follow-up applies) carried out. The QueueDO answers right after its
 * commit and does that work afterwards.
 */
export async function drain(name: string): Promise<void> {
  await queue(name).drain();
}

/** Every message row of a queue, in seq order (after its pump went idle). */
export async function rows(name: string): Promise<MessageRow[]> {
  await drain(name);
  return runInDurableObject(queue(name), (_instance, state) =>
    state.storage.sql.exec<MessageRow>("SELECT * FROM messages ORDER BY seq").toArray(),
  );
}

/** The row of one message, or undefined. */
export async function row(name: string, id: string): Promise<MessageRow | undefined> {
  return (await rows(name)).find((r) => r.id === id);
}

/** Runs SQL inside a queue's Durable Object (to move a deadline or an eta). */
export async function sql(name: string, query: string, ...params: (string | number | null)[]): Promise<void> {
  await runInDurableObject(queue(name), (_instance, state) => {
    state.storage.sql.exec(query, ...params);
  });
}

/** The leased rows of a queue as the Queue message the dispatcher sent for them. */
export async function deliveryOf(name: string, ids?: string[]): Promise<DeliveryBody> {
  const leased = (await rows(name)).filter((r) => r.state === "leased" && (!ids || ids.includes(r.id)));
  // As the dispatcher packs them: the stored message JSON as it is.
  const tasks: WireLeasedTask[] = leased.map((r) => ({
    lease: r.lease!,
    deadline: r.deadline!,
    redelivered: r.redelivered === 1,
    body: r.body,
  }));
  return { queue: name, tasks };
}

/** The one leased row of a queue (fails the test when there is not exactly one). */
export async function onlyLease(name: string): Promise<MessageRow> {
  const leased = (await rows(name)).filter((r) => r.state === "leased");
  if (leased.length !== 1) throw new Error(`expected exactly one leased message in ${name}, found ${leased.length}`);
  return leased[0]!;
}

/**
 * The stored result of an id (null: unknown, the API answers PENDING). With `queueName`, first
 * waits until that queue has carried out its outbox (where the result write comes from).
 */
export async function result(id: string, queueName?: string): Promise<TaskResult | null> {
  if (queueName !== undefined) await drain(queueName);
  return (await resultStub(env, id).get(id)) as TaskResult | null;
}

/** A begin item for a lease. */
export function beginItem(lease: string, id: string, timeLimitMs: number | null = null): BeginItem {
  return { lease, id, timeLimitMs, trackStarted: false, worker: "itest" };
}

/** A successful settle item for a lease. */
export function success(lease: string, id: string, value: unknown): SettleItem {
  const now = Date.now();
  return { lease, id, outcome: { kind: "success", value }, worker: "itest", startedAt: now, doneAt: now, resultExpires: 3600 };
}

/** A failed settle item for a lease. */
export function failure(lease: string, id: string, type: string, message: string): SettleItem {
  const now = Date.now();
  return { lease, id, outcome: { kind: "failure", state: "FAILURE", error: { type, message } }, worker: "itest", startedAt: now, doneAt: now, resultExpires: 3600 };
}

/** Polls `check` until it returns a value other than undefined (no time threshold: the test timeout bounds it). */
export async function until<T>(check: () => Promise<T | undefined>, pauseMs = 20): Promise<T> {
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
}

import { App } from "../../src/app/app";
import { registerDemoTasks } from "../../src/demo/tasks";
import { prepare } from "../../src/apply/prepare";
import { parseSignature } from "../../src/protocol";

/** An app with the demo tasks always on, for the planner. */
export function demoApp(): App {
  const app = new App({ name: "itest" });
  registerDemoTasks(app);
  return app;
}

/** Plans a wire signature as the API would (ids assigned, messages, chords, groups), sending nothing. */
export function planned(signature: unknown) {
  return prepare(demoApp(), [{ canvas: parseSignature(signature), path: "" }]);
}
