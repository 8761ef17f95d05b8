/**
 * Task and app defaults reach the QueueDO: a message planned for a task registered with
 * `acks_late`, a time limit, a rate limit, a priority or a queue as its own (or the app's)
 * default behaves as if the call had set it; a call-time option still wins. The TASKS producer
 * of this project goes to a queue nobody consumes: the test plays the consumer.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { App } from "../../src/app/app";
import { prepare } from "../../src/apply/prepare";
import { parseSignature, type TaskOptions } from "../../src/protocol";
import type { TaskMessage } from "../../src/protocol/message";
import { beginItem, onlyLease, queue, result, row, rows, sql, uid } from "./helpers";

const noop = () => null;

/** The one message of a call of `task` planned by `app`, routed to a fresh queue unless `queue` is given. */
function plannedFor(app: App, task: string, options: TaskOptions = {}): TaskMessage {
  const p = prepare(app, [{ canvas: parseSignature({ task, options }), path: "" }]);
  expect(p.messages).toHaveLength(1);
  return p.messages[0]!;
}

/** Enqueues the message, begins its lease and lets the lease run out (the worker was lost). */
async function loseWorker(m: TaskMessage): Promise<void> {
  const stub = queue(m.queue);
  await stub.enqueue([m]);
  const leased = await onlyLease(m.queue);
  await stub.begin([beginItem(leased.lease!, m.id)]);
  await stub.configure(m.queue, { paused: true }); // so a redelivery stays visible as waiting
  await sql(m.queue, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

describe("acks_late as a default", () => {
  it("the task's own acks_late: a lost worker's task is delivered again", async () => {
    const app = new App({ name: "t" }).task("late.own", noop, { acks_late: true });
    const m = plannedFor(app, "late.own", { queue: uid("q-late") });
    await loseWorker(m);
    expect(await row(m.queue, m.id)).toMatchObject({ state: "waiting", redelivered: 1 });
  });

  it("the app's acks_late: the same", async () => {
    const app = new App({ name: "t", defaults: { acks_late: true } }).task("late.app", noop);
    const m = plannedFor(app, "late.app", { queue: uid("q-late") });
    await loseWorker(m);
    expect(await row(m.queue, m.id)).toMatchObject({ state: "waiting", redelivered: 1 });
  });

  it("a call-time acks_late: false beats the task's: WorkerLostError", async () => {
    const app = new App({ name: "t" }).task("late.own", noop, { acks_late: true });
    const m = plannedFor(app, "late.own", { queue: uid("q-late"), acks_late: false });
    await loseWorker(m);
    expect(await rows(m.queue)).toEqual([]);
    expect(await result(m.id, m.queue)).toMatchObject({ state: "FAILURE", error: { type: "WorkerLostError" } });
  });

  it("demo.add_late is registered with acks_late as its own default", async () => {
    const app = new App({ name: "t" });
    const { registerDemoTasks } = await import("../../src/demo/tasks");
    registerDemoTasks(app);
    const m = plannedFor(app, "demo.add_late", { queue: uid("q-late") });
    expect(m.options.acks_late).toBe(true);
    await loseWorker(m);
    expect(await row(m.queue, m.id)).toMatchObject({ state: "waiting", redelivered: 1 });
  });
});

describe("time limits as defaults", () => {
  it("the task's time_limit makes the QueueDO fail a task still running past its limit with TimeLimitExceeded", async () => {
    const app = new App({ name: "t" }).task("slow", noop, { time_limit: 2 });
    const m = plannedFor(app, "slow", { queue: uid("q-limit") });
    const stub = queue(m.queue);
    await stub.enqueue([m]);
    const leased = await onlyLease(m.queue);
    expect(leased.time_limited).toBe(1);
    await stub.begin([beginItem(leased.lease!, m.id, 2250)]);
    // Past the hard limit (the lease's end), its worker alive to the end: TimeLimitExceeded.
    await sql(m.queue, "UPDATE messages SET deadline = ?, lease_end = ? WHERE id = ?", Date.now() - 1, Date.now() - 1, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await result(m.id, m.queue)).toMatchObject({ state: "FAILURE", error: { type: "TimeLimitExceeded", message: "TimeLimitExceeded(2)" } });
  });

  it("the app's time_limit, and a call-time one that beats it", async () => {
    const app = new App({ name: "t", defaults: { time_limit: 50, soft_time_limit: 40 } }).task("slow", noop);
    expect(plannedFor(app, "slow").options).toMatchObject({ time_limit: 50, soft_time_limit: 40 });
    expect(plannedFor(app, "slow", { time_limit: 3 }).options).toMatchObject({ time_limit: 3, soft_time_limit: 40 });
  });
});

describe("rate_limit, priority and queue as defaults", () => {
  it("the task's rate_limit holds the second message back at dispatch", async () => {
    const app = new App({ name: "t" }).task("limited", noop, { rate_limit: "1/m" });
    const q = uid("q-rate");
    const a = plannedFor(app, "limited", { queue: q });
    const b = plannedFor(app, "limited", { queue: q });
    await queue(q).enqueue([a, b]);
    const states = Object.fromEntries((await rows(q)).map((r) => [r.id, r.state]));
    expect(states).toEqual({ [a.id]: "leased", [b.id]: "delayed" });
  });

  it("the task's priority and queue place the message; the call's win", async () => {
    const q = uid("q-own");
    const app = new App({ name: "t", defaults: { priority: 2 } }).task("placed", noop, { queue: q, priority: 7 }).task("plain", noop);
    expect(plannedFor(app, "placed")).toMatchObject({ queue: q, priority: 7 });
    expect(plannedFor(app, "plain")).toMatchObject({ queue: "default", priority: 2 });
    expect(plannedFor(app, "placed", { queue: "other", priority: 1 })).toMatchObject({ queue: "other", priority: 1 });
    const m = plannedFor(app, "placed");
    await queue(q).configure(q, { paused: true });
    await queue(q).enqueue([m]);
    expect(await row(q, m.id)).toMatchObject({ priority: 7, state: "waiting" });
  });
});
