/**
 * QueueDO leases and fencing: begin/settle with right and wrong leases, hard-limit deadlines,
 * expired leases (redelivered or lost), revoke and terminate. The TASKS producer of this project
 * goes to a queue nobody consumes: the test plays the consumer.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TaskMessage } from "../../src/protocol/message";
import { beginItem, onlyLease, queue, result, row, rows, sql, success, taskMessage, uid, type MessageRow } from "./helpers";

/** Moves a begun time-limited row past its hard limit, its worker alive to the end (deadline = lease_end). */
async function pastHardLimit(q: string, id: string, byMs = 1): Promise<void> {
  await sql(q, "UPDATE messages SET deadline = ?, lease_end = ? WHERE id = ?", Date.now() - byMs, Date.now() - byMs, id);
}

/** A fresh queue with one message leased to nobody yet. */
async function leaseOne(over: Partial<TaskMessage> = {}): Promise<{ q: string; m: TaskMessage; lease: string; leased: MessageRow }> {
  const q = uid("q-lease");
  const stub = queue(q);
  const m = taskMessage(q, "demo.noop", over);
  await stub.enqueue([m]);
  const leased = await onlyLease(q);
  expect(leased.id).toBe(m.id);
  expect(leased.started).toBe(0);
  return { q, m, lease: leased.lease!, leased };
}

describe("QueueDO fencing", () => {
  it("refuses a settle with a wrong lease and keeps the message leased", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    const answer = await stub.settle([success(crypto.randomUUID(), m.id, 1)]);
    expect(answer).toEqual({ accepted: [], refused: [m.id] });
    expect(await row(q, m.id)).toMatchObject({ state: "leased", lease });
    expect(await result(m.id, q)).toBeNull();
  });

  it("a lease that names the right row with another dispatch token is refused, as is a malformed one", async () => {
    const { q, m, lease } = await leaseOne();
    const forged = `${crypto.randomUUID()}:${lease.slice(lease.lastIndexOf(":") + 1)}`;
    expect(await queue(q).begin([beginItem(forged, m.id), beginItem("not-a-lease", m.id)])).toEqual([
      { lease: forged, action: "skip" },
      { lease: "not-a-lease", action: "skip" },
    ]);
    expect(await queue(q).settle([success(forged, m.id, 1)])).toEqual({ accepted: [], refused: [m.id] });
    expect(await row(q, m.id)).toMatchObject({ state: "leased", lease, started: 0 });
    expect(await result(m.id, q)).toBeNull();
  });

  it("a begin with a wrong lease is skipped", async () => {
    const { q, m, lease } = await leaseOne();
    const wrong = crypto.randomUUID();
    expect(await queue(q).begin([beginItem(wrong, m.id)])).toEqual([{ lease: wrong, action: "skip" }]);
    expect(await row(q, m.id)).toMatchObject({ state: "leased", lease, started: 0 });
  });

  it("begin then settle is accepted once; a second settle is refused and changes nothing", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    expect(await stub.begin([beginItem(lease, m.id)])).toEqual([{ lease, action: "run" }]);
    expect(await row(q, m.id)).toMatchObject({ state: "leased", started: 1 });
    expect(await stub.settle([success(lease, m.id, 42)])).toEqual({ accepted: [m.id], refused: [] });
    expect(await stub.settle([success(lease, m.id, 43)])).toEqual({ accepted: [], refused: [m.id] });
    expect(await rows(q)).toEqual([]);
    const r = await result(m.id, q);
    expect(r).toMatchObject({ id: m.id, state: "SUCCESS", result: 42, error: null, queue: q, task: "demo.noop", worker: "itest" });
    expect(await stub.stats(q)).toMatchObject({ completed: 1, failed: 0, leased: 0 });
  });

  it("acknowledge is fenced by the lease", async () => {
    const { q, m, lease } = await leaseOne({ options: { acks_late: true } });
    const stub = queue(q);
    expect(await stub.acknowledge(m.id, crypto.randomUUID())).toBe(false);
    expect((await row(q, m.id))?.acked).toBe(0);
    expect(await stub.acknowledge(m.id, lease)).toBe(true);
    expect((await row(q, m.id))?.acked).toBe(1);
  });
});

describe("QueueDO hard time limits", () => {
  it("a settle after the hard-limit deadline is refused and the task reads FAILURE TimeLimitExceeded", async () => {
    const { q, m, lease } = await leaseOne({ options: { time_limit: 1 } });
    const stub = queue(q);
    expect(await stub.begin([beginItem(lease, m.id, 1250)])).toEqual([{ lease, action: "run" }]);
    expect(await row(q, m.id)).toMatchObject({ started: 1, time_limited: 1 });
    await pastHardLimit(q, m.id, 1000);
    expect(await stub.settle([success(lease, m.id, "late")])).toEqual({ accepted: [], refused: [m.id] });
    const r = await result(m.id, q);
    expect(r?.state).toBe("FAILURE");
    expect(r?.error).toEqual({ type: "TimeLimitExceeded", message: "TimeLimitExceeded(1)" });
    expect(r?.result).toBeNull();
    expect(await rows(q)).toEqual([]);
    expect(await stub.stats(q)).toMatchObject({ failed: 1, completed: 0 });
  });

  it("the alarm fails a begun hard-limited lease past its deadline; its late settle is refused", async () => {
    const { q, m, lease } = await leaseOne({ options: { time_limit: 2 } });
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id, 2250)]);
    // Its heartbeats kept coming: its liveness lease reached the hard limit's end.
    await pastHardLimit(q, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(q)).toEqual([]);
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "TimeLimitExceeded", message: "TimeLimitExceeded(2)" } });
    expect(await stub.settle([success(lease, m.id, "late")])).toEqual({ accepted: [], refused: [m.id] });
    expect((await result(m.id, q))?.state).toBe("FAILURE");
    expect((await stub.stats(q)).failed).toBe(1);
  });
});

describe("QueueDO expired leases", () => {
  it("an expired begun lease of an acks_late task without time limit goes back to waiting (redelivered)", async () => {
    const { q, m, lease } = await leaseOne({ options: { acks_late: true } });
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    await stub.configure(q, { paused: true }); // so the redelivery stays visible as waiting
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row(q, m.id)).toMatchObject({ state: "waiting", lease: null, started: 0, redelivered: 1 });
    expect(await result(m.id, q)).toBeNull();
    // The old consumer's late settle is fenced off.
    expect((await stub.settle([success(lease, m.id, 1)])).refused).toEqual([m.id]);
    // Unpaused, it is leased again under a new lease.
    await stub.configure(q, { paused: false });
    const again = await onlyLease(q);
    expect(again.id).toBe(m.id);
    expect(again.lease).not.toBe(lease);
    expect(again.redelivered).toBe(1);
  });

  it("an expired begun lease of a task without acks_late ends FAILURE WorkerLostError", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(q)).toEqual([]);
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "WorkerLostError" } });
    expect((await stub.stats(q)).failed).toBe(1);
  });

  it("an acks_late task that acknowledged early is not redelivered: WorkerLostError", async () => {
    const { q, m, lease } = await leaseOne({ options: { acks_late: true } });
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    expect(await stub.acknowledge(m.id, lease)).toBe(true);
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await rows(q)).toEqual([]);
    expect((await result(m.id, q))?.error?.type).toBe("WorkerLostError");
  });

  it("a lease never begun returns to waiting when its pickup deadline passes", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row(q, m.id)).toMatchObject({ state: "waiting", lease: null, deadline: null, redelivered: 1 });
    expect(await stub.begin([beginItem(lease, m.id)])).toEqual([{ lease, action: "skip" }]);
    expect(await result(m.id, q)).toBeNull();
  });
});

describe("QueueDO revoke", () => {
  it("revoking a waiting message removes it and ends it REVOKED; a later enqueue of that id is dropped", async () => {
    const q = uid("q-revoke");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const m = taskMessage(q, "demo.noop");
    const other = taskMessage(q, "demo.noop");
    await stub.enqueue([m, other]);
    expect(await stub.revoke([m.id], false)).toEqual({ revoked: [m.id] });
    expect((await rows(q)).map((r) => r.id)).toEqual([other.id]);
    expect(await result(m.id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
    await stub.enqueue([m]);
    expect((await rows(q)).map((r) => r.id)).toEqual([other.id]);
    expect((await result(m.id, q))?.state).toBe("REVOKED");
  });

  it("revoking a leased message without terminate leaves it leased, and its begin is skipped", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    expect(await stub.revoke([m.id], false)).toEqual({ revoked: [] });
    expect((await row(q, m.id))?.state).toBe("leased");
    expect(await stub.heartbeat([{ id: m.id, lease }])).toEqual([]);
    expect(await stub.begin([beginItem(lease, m.id)])).toEqual([{ lease, action: "skip" }]);
    expect(await rows(q)).toEqual([]);
    expect(await result(m.id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
  });

  it("revoke with terminate of a running message: its heartbeat reports the lease lost, its settle is refused", async () => {
    const { q, m, lease } = await leaseOne();
    const stub = queue(q);
    await stub.begin([beginItem(lease, m.id)]);
    expect(await stub.heartbeat([{ id: m.id, lease }])).toEqual([]);
    expect(await stub.revoke([m.id], true)).toEqual({ revoked: [m.id] });
    expect(await stub.heartbeat([{ id: m.id, lease }])).toEqual([lease]);
    expect((await stub.settle([success(lease, m.id, 1)])).refused).toEqual([m.id]);
    expect(await result(m.id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError", message: "the task was terminated" } });
    expect(await rows(q)).toEqual([]);
  });
});
