/**
 * Results written ahead of the settle (src/worker/pre-write.ts): a direct hand-off's consumer
 * writes a finished task's result to its result shard itself, then settles with `stored`, and the
 * QueueDO's outbox carries out only the other follow-ups. Each test turns direct dispatch on for
 * its own queue's object with the Worker's real EdgeryDelivery entrypoint, and stops that
 * object's outbox where it must show what the outbox would (not) write.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import "../../src/demo/worker";
import type { Effect } from "../../src/canvas/effects";
import type { TaskMessage } from "../../src/protocol/message";
import type { SettleItem } from "../../src/protocol/rpc";
import { getApp } from "../../src/runtime/app-registry";
import { directDispatchLimit } from "../../src/runtime/direct-dispatch";
import type { EdgeryEnv } from "../../src/runtime/env";
import { runSettingsOf } from "../../src/app/task-settings";
import { preWrite, WRITE_AHEAD_HORIZON_MS } from "../../src/worker/pre-write";
import { beginItem, deliveryOf, planned, queue, result, row, rows, sql, success, taskMessage, uid, until } from "./helpers";

/** Turns direct dispatch on for a queue's object, handing deliveries to the Worker's own EdgeryDelivery. */
async function directOn(name: string): Promise<void> {
  const ok = await runInDurableObject(queue(name), (instance) => {
    const o = instance as unknown as { directLimit: number; directTarget: unknown };
    o.directLimit = directDispatchLimit({ EDGERY_DIRECT_DISPATCH: "8" });
    return o.directTarget !== undefined;
  });
  expect(ok).toBe(true);
}

/**
 * Stops (or restarts) a queue object's outbox: while stopped, its rows stay where the test can
 * read them; restarted, its alarm runs it (a pump, as after any transition).
 */
async function outboxStopped(name: string, stopped: boolean): Promise<void> {
  await runInDurableObject(queue(name), (instance) => {
    const outbox = (instance as unknown as { outbox: { flushOnce: (now: number) => Promise<boolean> } }).outbox as { flushOnce: (now: number) => Promise<boolean>; realFlush?: (now: number) => Promise<boolean> };
    outbox.realFlush ??= outbox.flushOnce;
    outbox.flushOnce = stopped ? async () => false : outbox.realFlush;
  });
  if (!stopped) {
    await runDurableObjectAlarm(queue(name));
    await queue(name).drain();
  }
}

/** The effects waiting in a queue object's outbox. */
async function outboxEffects(name: string): Promise<Effect[]> {
  await queue(name).drain();
  return runInDurableObject(queue(name), (_i, state) =>
    state.storage.sql.exec<{ effect: string }>("SELECT effect FROM outbox ORDER BY seq").toArray().flatMap((r) => JSON.parse(r.effect) as Effect[]),
  );
}

/** The result writes among effects, for an id. */
const storesOf = (effects: Effect[], id: string) => effects.filter((e) => e.kind === "store" && e.write.id === id);

/** Enqueues messages on a direct queue with its outbox stopped; waits until the queue holds none of them. */
async function runDirect(q: string, ms: TaskMessage[]): Promise<void> {
  await directOn(q);
  await outboxStopped(q, true);
  await queue(q).enqueue(ms);
  await until(async () => ((await rows(q)).some((r) => ms.some((m) => m.id === r.id)) ? undefined : true));
}

/** Enqueues a message, takes its delivery and begins it, as a consumer would: its lease. */
async function begun(q: string, m: TaskMessage): Promise<string> {
  await queue(q).enqueue([m]);
  const lease = (await deliveryOf(q, [m.id])).tasks[0]!.lease;
  await queue(q).begin([beginItem(lease, m.id)]);
  return lease;
}

describe("results written ahead of the settle (direct hand-off)", () => {
  it("the result is in its shard without the outbox, which holds no second write of it", async () => {
    const q = uid("q-ahead");
    const m = taskMessage(q, "demo.add", { args: [2, 3] });
    await runDirect(q, [m]);
    // The outbox never ran, yet the result is there: the consumer wrote it.
    expect(await result(m.id)).toMatchObject({ state: "SUCCESS", result: 5, worker: "edgery", task: "demo.add", queue: q });
    expect(storesOf(await outboxEffects(q), m.id)).toEqual([]);
    expect(await queue(q).stats(q)).toMatchObject({ completed: 1, leased: 0 });
    await outboxStopped(q, false);
  });

  it("a task's own FAILURE is written ahead too", async () => {
    const q = uid("q-ahead-fail");
    const m = taskMessage(q, "demo.fail", { args: ["kaput"] });
    await runDirect(q, [m]);
    expect(await result(m.id)).toMatchObject({ state: "FAILURE", error: { type: "DemoError", message: "kaput" } });
    expect(storesOf(await outboxEffects(q), m.id)).toEqual([]);
    await outboxStopped(q, false);
  });

  it("a chain's next step still goes through the outbox, and the written result names it as a child", async () => {
    const q = uid("q-ahead-chain");
    const p = planned({
      task: "celery.chain",
      subtask_type: "chain",
      kwargs: { tasks: [{ task: "demo.add", args: [1, 2], options: { queue: q } }, { task: "demo.mul", args: [10], options: { queue: q } }] },
    });
    const [m] = p.messages;
    const next = p.handles[0]!;
    await runDirect(q, [m!]);
    const first = await result(m!.id);
    expect(first).toMatchObject({ state: "SUCCESS", result: 3, children: [next.id] });
    const effects = await outboxEffects(q);
    expect(storesOf(effects, m!.id)).toEqual([]);
    expect(effects.filter((e) => e.kind === "apply")).toHaveLength(1);
    // Once the outbox runs, the next step is enqueued and runs with the first step's value.
    await outboxStopped(q, false);
    // The next step is handed over directly too, and its result written ahead.
    const done = await until(async () => {
      const r = await result(next.id);
      return r?.state === "SUCCESS" ? r : undefined;
    });
    expect(done).toMatchObject({ result: 30, parent_id: m!.id });
  });

  it("RETRY and a retried message's final result are not written ahead: the settles write them, in order", async () => {
    const q = uid("q-ahead-retry");
    const m = taskMessage(q, "demo.retry_until", { args: [3] });
    await runDirect(q, [m]);
    // Two retries (countdown 0, each run handed over directly again), then SUCCESS: none ahead.
    expect(await result(m.id)).toBeNull();
    const states = storesOf(await outboxEffects(q), m.id).map((e) => (e.kind === "store" ? [e.write.state, e.write.retries] : null));
    // Each RETRY record carries the retries of the attempt that asked for it (Celery's).
    expect(states).toEqual([["RETRY", 0], ["RETRY", 1], ["SUCCESS", 2]]);
    await outboxStopped(q, false);
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: 2, retries: 2 });
  });

  it("a task with a hard time limit is not written ahead: past its lease_end it still ends TimeLimitExceeded", async () => {
    const q = uid("q-ahead-limit");
    const m = taskMessage(q, "demo.sleep", { args: [300], options: { time_limit: 60 } as TaskMessage["options"] });
    await directOn(q);
    await queue(q).enqueue([m]);
    // Once begun, its lease_end is moved into the past: the consumer's SUCCESS arrives too late.
    await until(async () => ((await row(q, m.id))?.started === 1 ? true : undefined));
    await sql(q, "UPDATE messages SET lease_end = ? WHERE id = ?", Date.now() - 1, m.id);
    const r = await until(async () => {
      const x = await result(m.id, q);
      return x && x.state !== "PENDING" ? x : undefined;
    });
    expect(r).toMatchObject({ state: "FAILURE", error: { type: "TimeLimitExceeded" } });
  });

  it("ignore_result: nothing is written, ahead or after", async () => {
    const q = uid("q-ahead-ignore");
    const m = taskMessage(q, "demo.add", { args: [1, 1], options: { ignore_result: true } as TaskMessage["options"] });
    await runDirect(q, [m]);
    expect(await result(m.id)).toBeNull();
    expect(storesOf(await outboxEffects(q), m.id)).toEqual([]);
    await outboxStopped(q, false);
    expect(await result(m.id, q)).toBeNull();
  });
});

describe("settle with `stored`", () => {
  it("a write ahead that failed leaves `stored` unset, and the settle's outbox writes the result", async () => {
    const q = uid("q-ahead-down");
    const m = taskMessage(q, "demo.add", { args: [4, 4] });
    const lease = await begun(q, m);
    // Every result shard refuses: the write ahead fails.
    const down = { ...env, RESULT_DO: { idFromName: (n: string) => n, get: () => ({ write: () => Promise.reject(new Error("shard down (test)")) }) } } as unknown as EdgeryEnv;
    const [item] = await preWrite(down, getApp(), [{ item: success(lease, m.id, 8), message: m, settings: runSettingsOf(getApp(), m), leaseLost: false }], Date.now());
    expect(item!.stored).toBeUndefined();
    expect(await queue(q).settle([item!])).toEqual({ accepted: [m.id], refused: [] });
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: 8 });
  });

  it("past the horizon since the lease was last confirmed, the shard writes nothing and the settle decides", async () => {
    const q = uid("q-ahead-stalled");
    const m = taskMessage(q, "demo.add", { args: [5, 5] });
    const lease = await begun(q, m);
    // A consumer whose QueueDO last answered it longer ago than the horizon (it stalled).
    const stalledSince = Date.now() - WRITE_AHEAD_HORIZON_MS - 1000;
    const [item] = await preWrite(env as EdgeryEnv, getApp(), [{ item: success(lease, m.id, 10), message: m, settings: runSettingsOf(getApp(), m), leaseLost: false }], stalledSince);
    expect(item!.stored).toBeUndefined();
    expect(await result(m.id)).toBeNull();
    await outboxStopped(q, true);
    expect(await queue(q).settle([item!])).toEqual({ accepted: [m.id], refused: [] });
    expect(storesOf(await outboxEffects(q), m.id)).toHaveLength(1);
    await outboxStopped(q, false);
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: 10 });
  });

  it("a task aborted for a lost lease is not written ahead", async () => {
    const m = taskMessage(uid("q-ahead-lost"), "demo.add", { args: [1, 1] });
    const item: SettleItem = { ...success("x:1", m.id, 2), outcome: { kind: "failure", state: "REVOKED", error: { type: "TaskRevokedError", message: "terminated" } } };
    const settings = runSettingsOf(getApp(), m);
    const [lost] = await preWrite(env as EdgeryEnv, getApp(), [{ item: success("x:1", m.id, 2), message: m, settings, leaseLost: true }], Date.now());
    const [revoked] = await preWrite(env as EdgeryEnv, getApp(), [{ item, message: m, settings, leaseLost: false }], Date.now());
    expect(lost!.stored).toBeUndefined();
    expect(revoked!.stored).toBeUndefined();
    expect(await result(m.id)).toBeNull();
  });

  it("an accepted settle with `stored` records everything but the result write", async () => {
    const q = uid("q-stored");
    const m = taskMessage(q, "demo.add", { args: [1, 2] });
    const lease = await begun(q, m);
    await outboxStopped(q, true);
    expect(await queue(q).settle([{ ...success(lease, m.id, 3), stored: true }])).toEqual({ accepted: [m.id], refused: [] });
    expect(storesOf(await outboxEffects(q), m.id)).toEqual([]);
    expect(await queue(q).stats(q)).toMatchObject({ completed: 1, leased: 0 });
    await outboxStopped(q, false);
  });
});
