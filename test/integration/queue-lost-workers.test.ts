/**
 * Lost workers and poison messages: a begun task's worker proves it is alive by heartbeats on a
 * short lease of its own (WORKER_LEASE_MS), apart from the hard limit. Silence means the worker
 * is lost: acks_late tasks are delivered again (at most MAX_DELIVERIES times), early-acked ones
 * end WorkerLostError; TimeLimitExceeded only for a task still alive at its limit. The test plays
 * the consumer (nobody consumes this project's Queue) and stands for silence by moving deadlines.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DELIVERIES, RETRY_PACE_MS, WORKER_LEASE_MS } from "../../src/protocol";
import type { TaskMessage } from "../../src/protocol/message";
import { getApp } from "../../src/runtime/app-registry";
import { applyQueueSchema } from "../../durable-objects/queue-schema";
import { beginItem, onlyLease, queue, result, row, rows, sql, success, taskMessage, uid } from "./helpers";

async function leaseOne(over: Partial<TaskMessage> = {}, task = "demo.noop") {
  const q = uid("q-lost");
  const m = taskMessage(q, task, over);
  await queue(q).enqueue([m]);
  const leased = await onlyLease(q);
  return { q, m, lease: leased.lease! };
}

/** Silence: the worker's liveness lease ran out `agoMs` ago; its lease's end stays where it is unless `endAgoMs`. */
async function silent(q: string, id: string, agoMs = 1, endAgoMs?: number): Promise<void> {
  if (endAgoMs === undefined) await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - agoMs, id);
  else await sql(q, "UPDATE messages SET deadline = ?, lease_end = ? WHERE id = ?", Date.now() - agoMs, Date.now() - endAgoMs, id);
}

describe("liveness lease", () => {
  it("a begun task without a time limit is leased for WORKER_LEASE_MS, not the visibility timeout", async () => {
    const { q, m, lease } = await leaseOne({ options: { acks_late: true } });
    const before = Date.now();
    await queue(q).begin([beginItem(lease, m.id)]);
    const r = (await row(q, m.id))!;
    expect(r.started).toBe(1);
    expect(r.deadline!).toBeLessThanOrEqual(Date.now() + WORKER_LEASE_MS);
    expect(r.deadline!).toBeGreaterThanOrEqual(before + WORKER_LEASE_MS);
    // The lease's end is the visibility timeout: a worker that lives keeps the task that long.
    expect(r.lease_end!).toBeGreaterThan(r.deadline!);
  });

  it("a time-limited task's liveness lease is shorter than its limit, and never reaches past it", async () => {
    const { q, m, lease } = await leaseOne({ options: { time_limit: 600 } });
    await queue(q).begin([beginItem(lease, m.id, 600_250)]);
    const r = (await row(q, m.id))!;
    expect(r.deadline!).toBeLessThan(r.lease_end!);
    await sql(q, "UPDATE messages SET deadline = ?, lease_end = ? WHERE id = ?", Date.now() + 10, Date.now() + 20, m.id);
    expect(await queue(q).heartbeat([{ id: m.id, lease }])).toEqual([]);
    const renewed = (await row(q, m.id))!;
    expect(renewed.deadline).toBe(renewed.lease_end);
  });

  it("a heartbeat renews the lease, even one whose deadline already passed: the alarm then leaves the task running", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    await silent(q, m.id, 5);
    const late = (await row(q, m.id))!.deadline!;
    expect(await stub.heartbeat([{ id: m.id, lease }])).toEqual([]);
    const renewed = (await row(q, m.id))!;
    expect(renewed.deadline!).toBeGreaterThan(late);
    expect(renewed.deadline!).toBeLessThanOrEqual(Date.now() + WORKER_LEASE_MS);
    await runDurableObjectAlarm(stub);
    expect(await row(q, m.id)).toMatchObject({ state: "leased", lease, started: 1 });
    expect((await stub.settle([success(lease, m.id, 7)])).accepted).toEqual([m.id]);
    expect((await result(m.id, q))?.state).toBe("SUCCESS");
  });

  it("a heartbeat with a wrong lease renews nothing", async () => {
    const { q, m, lease } = await leaseOne();
    await queue(q).begin([beginItem(lease, m.id)]);
    await silent(q, m.id, 5);
    const late = (await row(q, m.id))!.deadline;
    const wrong = `${crypto.randomUUID()}:${lease.slice(lease.lastIndexOf(":") + 1)}`;
    expect(await queue(q).heartbeat([{ id: m.id, lease: wrong }])).toEqual([wrong]);
    expect((await row(q, m.id))!.deadline).toBe(late);
  });
});

describe("lost workers", () => {
  it("an acks_late task with a time limit whose worker went silent is delivered again, also when the alarm runs after its limit", async () => {
    // The server was killed while it ran: its heartbeats stopped, and the queue woke after the limit.
    const { q, m, lease } = await leaseOne({ options: { acks_late: true, time_limit: 60 } });
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id, 60_250)]);
    await stub.configure(q, { paused: true });
    await silent(q, m.id, 60_000, 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row(q, m.id)).toMatchObject({ state: "waiting", lease: null, started: 0, redelivered: 1, deliveries: 1 });
    expect(await result(m.id, q)).toBeNull();
  });

  it("a time-limited task without acks_late whose worker went silent before its limit ends WorkerLostError, not TimeLimitExceeded", async () => {
    const { q, m, lease } = await leaseOne({ options: { time_limit: 60 } });
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id, 60_250)]);
    await silent(q, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(q)).toEqual([]);
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "WorkerLostError" } });
    expect(await stub.deadLetter(q, m.id)).toMatchObject({ id: m.id, error: { type: "WorkerLostError" } });
  });

  it("a task whose acks_late is its task's own default is delivered again", async () => {
    const task = uid("itest.late");
    getApp().task(task, () => null, { acks_late: true });
    const { q, m, lease } = await leaseOne({}, task);
    expect(m.options.acks_late).toBeUndefined();
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    await stub.configure(q, { paused: true });
    await silent(q, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row(q, m.id)).toMatchObject({ state: "waiting", redelivered: 1 });
    expect(await result(m.id, q)).toBeNull();
  });
});

describe("poison messages", () => {
  it(`an acks_late task whose worker is lost every time is delivered ${MAX_DELIVERIES} times, then fails WorkerLostError as a dead letter`, async () => {
    const { q, m } = await leaseOne({ options: { acks_late: true } });
    const stub = queue(q);
    for (let delivery = 1; delivery <= MAX_DELIVERIES; delivery++) {
      const leased = await onlyLease(q);
      expect(leased.id).toBe(m.id);
      // A repeated begin of the same lease (the consumer's retry) counts once.
      await stub.begin([beginItem(leased.lease!, m.id)]);
      await stub.begin([beginItem(leased.lease!, m.id)]);
      expect((await row(q, m.id))?.deliveries).toBe(delivery);
      await silent(q, m.id);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      if (delivery < MAX_DELIVERIES) expect(await result(m.id, q)).toBeNull();
    }
    expect(await rows(q)).toEqual([]);
    const r = await result(m.id, q);
    expect(r).toMatchObject({ state: "FAILURE", error: { type: "WorkerLostError" } });
    expect(r?.error?.message).toContain(`${MAX_DELIVERIES} times`);
    expect(await stub.deadLetter(q, m.id)).toMatchObject({ id: m.id, error: { type: "WorkerLostError" } });
    expect((await stub.stats(q)).failed).toBe(1);
  });

  it("a delivery whose consumer never began it does not count (a slow Queue is not a poison)", async () => {
    const { q, m } = await leaseOne({ options: { acks_late: true } });
    const stub = queue(q);
    for (let i = 0; i < MAX_DELIVERIES + 1; i++) {
      await onlyLease(q);
      await silent(q, m.id);
      await runDurableObjectAlarm(stub);
    }
    expect((await onlyLease(q)).deliveries).toBe(0);
    expect(await result(m.id, q)).toBeNull();
  });

  it("a retry starts a fresh count", async () => {
    const { q, m, lease } = await leaseOne({ options: { acks_late: true } });
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    await stub.configure(q, { paused: true });
    const now = Date.now();
    await stub.settle([{ lease, id: m.id, outcome: { kind: "retry", countdownS: 0, error: { type: "E", message: "again" } }, worker: "itest", startedAt: now, doneAt: now, resultExpires: 60 }]);
    // Due at once, it waits RETRY_PACE_MS (delayed) before the queue dispatches it again. Read
    // after its eta (a slow machine), the alarm may have made it waiting already (the queue is
    // paused, so it stays): delayed is required only while its eta is ahead.
    const r = (await row(q, m.id))!;
    expect(r).toMatchObject({ deliveries: 0 });
    expect(r.eta).toBeGreaterThanOrEqual(now + RETRY_PACE_MS);
    if (Date.now() < r.eta!) expect(r.state).toBe("delayed");
    else expect(["delayed", "waiting"]).toContain(r.state);
  });
});

describe("schema upgrade", () => {
  it("a queue created before leases had two times gets lease_end and deliveries; its begun rows keep their deadline as their lease's end", async () => {
    const q = uid("q-upgrade");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    // Real messages: the object's alarm reads these rows (the leased one is long past its deadline).
    const [a, b] = ["a", "b"].map((id) => JSON.stringify(taskMessage(q, "demo.noop", { id })));
    const cols = await runInDurableObject(stub, (_instance, state) => {
      const s = state.storage.sql;
      s.exec("DROP TABLE messages");
      s.exec(`CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, priority INTEGER NOT NULL, state TEXT NOT NULL,
        eta INTEGER, expires INTEGER, lease TEXT, deadline INTEGER, started INTEGER NOT NULL DEFAULT 0,
        acked INTEGER NOT NULL DEFAULT 0, redelivered INTEGER NOT NULL DEFAULT 0, time_limited INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL)`);
      s.exec("INSERT INTO messages (id, priority, state, lease, deadline, started, time_limited, body) VALUES ('a', 0, 'leased', 't:1', 12345, 1, 1, ?)", a);
      s.exec("INSERT INTO messages (id, priority, state, body) VALUES ('b', 0, 'waiting', ?)", b);
      applyQueueSchema(s);
      applyQueueSchema(s); // again: a no-op
      return s.exec<{ id: string; deadline: number | null; lease_end: number | null; deliveries: number }>("SELECT id, deadline, lease_end, deliveries FROM messages ORDER BY seq").toArray();
    });
    expect(cols).toEqual([
      { id: "a", deadline: 12345, lease_end: 12345, deliveries: 0 },
      { id: "b", deadline: null, lease_end: null, deliveries: 0 },
    ]);
  });
});
