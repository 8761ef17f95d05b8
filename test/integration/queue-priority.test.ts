/**
 * QueueDO dispatch order and counts: strict priority, FIFO within a priority, the concurrency
 * window, delayed vs waiting, purge, stats. The TASKS producer of this project goes to a queue
 * nobody consumes, so every lease stays where the dispatcher put it.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { beginItem, drain, onlyLease, queue, result, rows, sql, success, taskMessage, uid } from "./helpers";
import { sentMessage } from "../../src/protocol/rpc";

describe("QueueDO priority and FIFO", () => {
  it("leases strictly by priority, FIFO within a priority, one at a time under concurrency 1", async () => {
    const q = uid("q-prio");
    const stub = queue(q);
    await stub.configure(q, { paused: true, concurrency: 1 });
    const plan: Array<[string, number]> = [
      ["a", 0],
      ["b", 5],
      ["c", 9],
      ["d", 5],
      ["e", 0],
      ["f", 9],
    ];
    const ids = new Map(plan.map(([name]) => [name, `${q}-${name}`]));
    const { added } = await stub.enqueue(plan.map(([name, priority]) => taskMessage(q, "demo.noop", { id: ids.get(name)!, priority })));
    expect(added).toBe(6);
    // Paused: nothing is leased.
    expect((await rows(q)).map((r) => r.state)).toEqual(["waiting", "waiting", "waiting", "waiting", "waiting", "waiting"]);

    await stub.configure(q, { paused: false });
    const order: string[] = [];
    let injected = false;
    for (;;) {
      const leased = (await rows(q)).filter((r) => r.state === "leased");
      if (leased.length === 0) break;
      expect(leased).toHaveLength(1); // the concurrency window
      const lease = leased[0]!;
      order.push(lease.id);
      if (!injected) {
        // A later priority-9 message goes after the earlier priority-9 one, before everything else.
        injected = true;
        expect((await stub.enqueue([taskMessage(q, "demo.noop", { id: `${q}-g`, priority: 9 })])).added).toBe(1);
        expect((await rows(q)).filter((r) => r.state === "leased").map((r) => r.id)).toEqual([lease.id]);
      }
      expect(await stub.begin([beginItem(lease.lease!, lease.id)])).toEqual([{ lease: lease.lease, action: "run" }]);
      expect((await stub.settle([success(lease.lease!, lease.id, order.length)])).accepted).toEqual([lease.id]);
    }
    expect(order).toEqual(["c", "f", "g", "b", "d", "a", "e"].map((n) => `${q}-${n}`));
    const stats = await stub.stats(q);
    expect(stats).toEqual({ name: q, waiting: 0, delayed: 0, leased: 0, paused: false, concurrency: 1, prefetch: 100, completed: 7, failed: 0 });
    expect((await result(`${q}-c`, q))?.state).toBe("SUCCESS");
  });

  it("a wider window leases the top priorities first", async () => {
    const q = uid("q-window");
    const stub = queue(q);
    await stub.configure(q, { paused: true, concurrency: 2 });
    await stub.enqueue([1, 7, 3, 7, 9].map((priority, i) => taskMessage(q, "demo.noop", { id: `${q}-${i}`, priority })));
    await stub.configure(q, { paused: false });
    const leased = (await rows(q)).filter((r) => r.state === "leased").map((r) => r.id);
    expect(leased.sort()).toEqual([`${q}-1`, `${q}-4`].sort()); // priority 9, then the first 7
    const stats = await stub.stats(q);
    expect(stats.leased).toBe(2);
    expect(stats.waiting).toBe(3);
  });

  it("enqueue is idempotent by id: a replayed message is stored once", async () => {
    const q = uid("q-idem");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const m = taskMessage(q, "demo.noop");
    expect((await stub.enqueue([m])).added).toBe(1);
    await stub.enqueue([m, m]);
    expect((await rows(q)).map((r) => r.id)).toEqual([m.id]);
    expect((await stub.stats(q)).waiting).toBe(1);
  });

  // workerd's SQLite reports rowsWritten = 1 for `INSERT ... ON CONFLICT DO NOTHING` even when it
  // conflicts, so enqueue counts the rows its `RETURNING` gives back.
  it("enqueue answers added: 0 for ids it already holds", async () => {
    const q = uid("q-idem-count");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const m = taskMessage(q, "demo.noop");
    expect((await stub.enqueue([m])).added).toBe(1);
    expect((await stub.enqueue([m, m])).added).toBe(0);
  });
});

describe("QueueDO delayed messages", () => {
  it("a future eta counts as delayed, never waiting, and is not leased; it becomes waiting when due", async () => {
    const q = uid("q-delay");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const later = taskMessage(q, "demo.noop", { eta: Date.now() + 3_600_000, priority: 9 });
    const now = taskMessage(q, "demo.noop", { priority: 0 });
    const past = taskMessage(q, "demo.noop", { eta: Date.now() - 1000 });
    await stub.enqueue([later, now, past]);
    let stats = await stub.stats(q);
    expect(stats.delayed).toBe(1);
    expect(stats.waiting).toBe(2);

    await stub.configure(q, { paused: false, concurrency: 10 });
    await drain(q);
    stats = await stub.stats(q);
    expect(stats).toMatchObject({ delayed: 1, waiting: 0, leased: 2 });
    expect((await rows(q)).find((r) => r.id === later.id)?.state).toBe("delayed");

    // Due now: the alarm promotes it (paused, so it stays waiting where we can see it).
    await stub.configure(q, { paused: true });
    await sql(q, "UPDATE messages SET eta = ? WHERE id = ?", Date.now() - 1, later.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    stats = await stub.stats(q);
    expect(stats).toMatchObject({ delayed: 0, waiting: 1, leased: 2 });
  });

  it("an expires already past is accepted and ends REVOKED, never enqueued", async () => {
    const q = uid("q-expired");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const m = taskMessage(q, "demo.noop", { expires: Date.now() - 1000 });
    expect((await stub.enqueue([m])).added).toBe(0);
    expect(await rows(q)).toEqual([]);
    const r = await result(m.id, q);
    expect(r?.state).toBe("REVOKED");
    expect(r?.error?.type).toBe("TaskRevokedError");
  });
});

describe("QueueDO enqueueSent (what the durable-object broker sends)", () => {
  it("stores each message's JSON as sent, with its priority, eta and time limit; a past expires ends REVOKED", async () => {
    const q = uid("q-sent");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const plain = taskMessage(q, "demo.noop", { priority: 7, kwargs: { note: "é ✓ \u2028" } });
    const later = taskMessage(q, "demo.noop", { eta: Date.now() + 3_600_000 });
    const limited = taskMessage(q, "demo.noop", { options: { time_limit: 5 } });
    const gone = taskMessage(q, "demo.noop", { expires: Date.now() - 1000 });
    const sent = [plain, later, limited, gone].map((m) => sentMessage(m));
    expect(sent[2]).toEqual([limited.id, 0, null, null, 1, JSON.stringify(limited)]);
    expect((await stub.enqueueSent(q, sent)).added).toBe(3);
    const stored = new Map((await rows(q)).map((r) => [r.id, r]));
    expect(stored.get(plain.id)).toMatchObject({ priority: 7, state: "waiting", time_limited: 0, body: JSON.stringify(plain) });
    expect(stored.get(later.id)).toMatchObject({ state: "delayed", eta: later.eta });
    expect(stored.get(limited.id)).toMatchObject({ time_limited: 1 });
    expect(stored.has(gone.id)).toBe(false);
    expect((await result(gone.id, q))?.state).toBe("REVOKED");
    // Sent again (a replayed enqueue): nothing is added twice.
    expect((await stub.enqueueSent(q, sent)).added).toBe(0);
  });
});

describe("QueueDO purge and stats", () => {
  it("purge drops waiting messages, leaves leased (and delayed) ones", async () => {
    const q = uid("q-purge");
    const stub = queue(q);
    await stub.configure(q, { concurrency: 1 });
    const a = taskMessage(q, "demo.noop", { priority: 5 });
    const b = taskMessage(q, "demo.noop");
    const c = taskMessage(q, "demo.noop", { eta: Date.now() + 3_600_000 });
    await stub.enqueue([a, b, c]);
    await drain(q);
    expect(await stub.stats(q)).toMatchObject({ waiting: 1, delayed: 1, leased: 1 });
    // The contract: "waiting messages dropped, leased ones untouched"; a message with a future
    // eta is `delayed`, never `waiting` (as Celery's purge, which does not reach ETA tasks).
    expect(await stub.purge(q)).toEqual({ purged: 1 });
    expect(await stub.stats(q)).toMatchObject({ waiting: 0, delayed: 1, leased: 1 });
    expect((await rows(q)).map((r) => r.id).sort()).toEqual([a.id, c.id].sort());
    const left = await onlyLease(q);
    expect(left.id).toBe(a.id);
    // The leased one still settles.
    expect((await stub.settle([success(left.lease!, a.id, 1)])).accepted).toEqual([a.id]);
  });

  it("stats: completed counts SUCCESS, failed counts FAILURE (not REVOKED)", async () => {
    const q = uid("q-stats");
    const stub = queue(q);
    const fresh = await stub.stats(q);
    expect(fresh).toEqual({ name: q, waiting: 0, delayed: 0, leased: 0, paused: false, concurrency: 1000, prefetch: 100, completed: 0, failed: 0 });
    await stub.configure(q, { concurrency: 5 });
    const ok = taskMessage(q, "demo.noop");
    const bad = taskMessage(q, "demo.noop");
    const gone = taskMessage(q, "demo.noop");
    await stub.enqueue([ok, bad]);
    const byId = new Map((await rows(q)).map((r) => [r.id, r]));
    const { accepted } = await stub.settle([
      success(byId.get(ok.id)!.lease!, ok.id, 1),
      { ...success(byId.get(bad.id)!.lease!, bad.id, null), outcome: { kind: "failure", state: "FAILURE", error: { type: "DemoError", message: "x" } } },
    ]);
    expect(accepted.sort()).toEqual([ok.id, bad.id].sort());
    await stub.configure(q, { paused: true });
    await stub.enqueue([gone]);
    expect((await stub.revoke([gone.id], false)).revoked).toEqual([gone.id]);
    expect(await stub.stats(q)).toEqual({ name: q, waiting: 0, delayed: 0, leased: 0, paused: true, concurrency: 5, prefetch: 100, completed: 1, failed: 1 });
  });
});
