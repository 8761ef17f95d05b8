/**
 * The outbox carries effects out in batches; one effect that keeps failing (here a canvas that
 * cannot be planned) must not hold up the others that were due with it. A row that keeps
 * failing is tried a bounded number of times with backoff; then its tasks end FAILURE.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Effect } from "../../src/canvas/effects";
import { rootInherit } from "../../src/canvas/plan";
import { OUTBOX_MAX_ATTEMPTS } from "../../src/protocol/index.js";
import type { DeadLetter } from "../../src/protocol/rpc";
import { queue, result, sql, taskMessage, uid } from "./helpers";
import { OUTBOX_DUE_SQL, OUTBOX_NEXT_DUE_SQL } from "../../durable-objects/queue-outbox";

describe("QueueDO outbox", () => {
  it("a failing row is backed off on its own; the rows beside it are carried out", async () => {
    const q = uid("q-outbox");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const good = uid("good");
    // A canvas without ids cannot be planned: carrying this effect out always throws.
    const poison: Effect[] = [{ kind: "apply", canvas: { kind: "task", name: "demo.noop", args: [], kwargs: {}, options: {}, immutable: false }, inherit: rootInherit() }];
    const fine: Effect[] = [{ kind: "store", write: { id: good, state: "SUCCESS", result: 42, task: "demo.identity" } }];
    await runInDurableObject(stub, async (instance, state) => {
      outboxOf(instance).add(poison);
      outboxOf(instance).add(fine);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await result(good, q))?.result).toBe(42);
    const left = await runInDurableObject(stub, async (_instance, state) =>
      state.storage.sql.exec<{ attempts: number; not_before: number }>("SELECT attempts, not_before FROM outbox").toArray(),
    );
    expect(left).toHaveLength(1);
    expect(left[0]!.attempts).toBe(1);
    expect(left[0]!.not_before).toBeGreaterThan(0);
  });
});

/**
 * A QueueDO's outbox, to write rows as a transition does: the object keeps in memory whether its
 * outbox is empty (durable-objects/queue-outbox.ts), so rows inserted behind its back would go unseen.
 */
function outboxOf(instance: unknown): { add(effects: Effect[]): void } {
  return (instance as { outbox: { add(effects: Effect[]): void } }).outbox;
}

/** The outbox rows of a queue (attempts and effects). */
async function outboxRows(name: string) {
  return runInDurableObject(queue(name), async (_instance, state) =>
    state.storage.sql.exec<{ attempts: number; effect: string }>("SELECT attempts, effect FROM outbox").toArray(),
  );
}

/** A follow-up (the next step of a finished task) as the outbox holds it. */
function followUp(id: string, name: string, args: unknown[], queueName?: string): Effect {
  return {
    kind: "apply",
    canvas: { kind: "task", name, args, kwargs: {}, options: { task_id: id, ...(queueName ? { queue: queueName } : {}) }, immutable: true },
    inherit: rootInherit({ parentId: "parent", rootId: "parent" }),
  };
}

describe("QueueDO outbox bounds", () => {
  it("a follow-up its broker refuses for good (too large for the direct Queue) ends FAILURE PayloadTooLarge at once, as a dead letter", async () => {
    const q = uid("q-outbox-big");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const id = uid("body");
    // 70,000 '"': 140,000 bytes as sent, more than one Queue message carries.
    await runInDurableObject(stub, async (instance, state) => {
      outboxOf(instance).add([followUp(id, "direct.noop", ['"'.repeat(70_000)])]);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const r = await result(id, q);
    expect([r?.state, r?.error?.type]).toStrictEqual(["FAILURE", "PayloadTooLarge"]);
    expect(((await stub.deadLetter(q, id)) as DeadLetter | null)?.error.type).toBe("PayloadTooLarge");
    expect(await outboxRows(q)).toStrictEqual([]);
  });

  /**
   * A paused queue whose outbox holds one follow-up bound for a queue that refuses every enqueue
   * (it holds one message and takes one at most), tried once by the alarm.
   */
  async function followUpToFullQueue(prefix: string) {
    const q = uid(prefix);
    const full = uid("q-full");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await queue(full).configure(full, { paused: true, max_waiting: 1 });
    await queue(full).enqueue([taskMessage(full, "demo.noop")]);
    const id = uid("next");
    await runInDurableObject(stub, async (instance, state) => {
      outboxOf(instance).add([followUp(id, "demo.identity", [1], full)]);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    return { q, id, stub };
  }

  it(`a follow-up that keeps failing is given up after ${OUTBOX_MAX_ATTEMPTS} attempts: FAILURE EnqueueError, a dead letter, an empty outbox`, async () => {
    const { q, id, stub } = await followUpToFullQueue("q-outbox-bounded");
    const first = await outboxRows(q);
    expect(first.map((r) => r.attempts)).toStrictEqual([1]);
    // Its backoff doubles each time; skip the waits: the row is due again now, with one attempt left.
    await sql(q, "UPDATE outbox SET attempts = ?, not_before = 0", OUTBOX_MAX_ATTEMPTS - 1);
    await runInDurableObject(stub, async (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const r = await result(id, q);
    expect([r?.state, r?.error?.type]).toStrictEqual(["FAILURE", "EnqueueError"]);
    expect(r?.error?.message).toMatch(/max_waiting/);
    expect(((await stub.deadLetter(q, id)) as DeadLetter | null)?.error.type).toBe("EnqueueError");
    expect(await outboxRows(q)).toStrictEqual([]);
  });

  it("a follow-up given up that this queue knows revoked ends REVOKED, not EnqueueError, and is no dead letter", async () => {
    const { q, id, stub } = await followUpToFullQueue("q-outbox-revoked");
    // Revoked while its place was unknown: every listed queue is asked, this one too.
    await stub.revoke([id], false);
    await sql(q, "UPDATE outbox SET attempts = ?, not_before = 0", OUTBOX_MAX_ATTEMPTS - 1);
    await runInDurableObject(stub, async (_instance, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await result(id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
    expect(await stub.deadLetter(q, id)).toBeNull();
    expect(await outboxRows(q)).toStrictEqual([]);
  });

  it("the alarm is due when a backed-off row's next try is, not every few seconds", async () => {
    const q = uid("q-outbox-alarm");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const notBefore = Date.now() + 3_600_000;
    await runInDurableObject(stub, async (instance, state) => {
      // A row written by a transition, then backed off five times.
      outboxOf(instance).add([{ kind: "store", write: { id: uid("backed-off"), state: "SUCCESS", result: 1, task: "demo.identity" } }]);
      state.storage.sql.exec("UPDATE outbox SET attempts = 5, not_before = ?", notBefore);
    });
    // Any transition sets the alarm again.
    await stub.configure(q, { paused: false });
    await stub.drain();
    const alarm = await runInDurableObject(stub, async (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBe(notBefore);
  });

});

describe("QueueDO outbox: the alarm's due time", () => {
  it("OUTBOX_NEXT_DUE_SQL reads a row or two of a long fresh outbox, and answers the earlier of the fresh time and the next backed-off try", async () => {
    const q = uid("q-outbox-due");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await stub.drain();
    const got = await runInDurableObject(stub, (_instance, state) => {
      const db = state.storage.sql;
      const due = (fresh: number) => {
        const cursor = db.exec<{ t: number | null }>(OUTBOX_NEXT_DUE_SQL, fresh);
        return { t: cursor.one().t, rowsRead: cursor.rowsRead };
      };
      const empty = due(1_000);
      // 500 fresh rows (what a burst of transitions leaves while the pump is busy).
      db.exec("INSERT INTO outbox (effect) SELECT '[]' FROM json_each(?)", JSON.stringify(Array.from({ length: 500 }, (_, i) => i)));
      const fresh = due(1_000);
      // Three of them backed off (their tries at 600, 700 and 800), the rest still fresh.
      db.exec("UPDATE outbox SET attempts = 2, not_before = 600 + seq % 3 * 100 WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT 3)");
      const mixed = due(1_000);
      const freshEarlier = due(500);
      db.exec("DELETE FROM outbox WHERE attempts = 0");
      const backedOff = due(500);
      const plan = db.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${OUTBOX_NEXT_DUE_SQL}`, 0).toArray().map((r) => r.detail);
      db.exec("DELETE FROM outbox");
      return { empty, fresh, mixed, freshEarlier, backedOff, plan };
    });
    expect(got.empty.t).toBeNull();
    expect(got.fresh.t).toBe(1_000);
    // One MIN over every row read all 500; the fresh test stops at the first fresh row.
    expect(got.fresh.rowsRead).toBeLessThan(10);
    expect(got.mixed.t).toBe(600);
    expect(got.freshEarlier.t).toBe(500);
    expect(got.backedOff.t).toBe(600);
    expect(got.plan.some((d) => d.includes("INDEX outbox_backoff"))).toBe(true);
  });
});

describe("QueueDO outbox: what a flush reads", () => {
  it("OUTBOX_DUE_SQL reads the fresh rows and the due backed-off ones, not the thousands of backed-off rows still waiting (an outage), in seq order", async () => {
    const q = uid("q-outbox-flush");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    await stub.drain();
    const now = Date.now();
    const got = await runInDurableObject(stub, (instance, state) => {
      const db = state.storage.sql;
      const store = (n: number): Effect[] => [{ kind: "store", write: { id: `r-${n}`, state: "SUCCESS", result: n, task: "demo.identity" } }];
      // 2,000 rows written by transitions, then backed off during an outage: next tries an hour away.
      for (let i = 0; i < 2000; i++) outboxOf(instance).add(store(i));
      db.exec("UPDATE outbox SET attempts = 3, not_before = ?", now + 3_600_000);
      // One of them is due again; then five fresh rows.
      const dueSeq = db.exec<{ seq: number }>("SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET 7").one().seq;
      db.exec("UPDATE outbox SET not_before = ? WHERE seq = ?", now - 1, dueSeq);
      for (let i = 0; i < 5; i++) outboxOf(instance).add(store(10_000 + i));
      const cursor = db.exec<{ seq: number; attempts: number }>(OUTBOX_DUE_SQL, now, 200);
      const rows = cursor.toArray();
      const fresh = db.exec<{ seq: number }>("SELECT seq FROM outbox WHERE attempts = 0 ORDER BY seq").toArray().map((r) => r.seq);
      db.exec("DELETE FROM outbox");
      return { seqs: rows.map((r) => r.seq), attempts: rows.map((r) => r.attempts), rowsRead: cursor.rowsRead, dueSeq, fresh };
    });
    expect(got.seqs).toEqual([got.dueSeq, ...got.fresh]);
    expect(got.attempts).toEqual([3, 0, 0, 0, 0, 0]);
    // One `not_before <= ? ORDER BY seq` over the table read all 2,005.
    expect(got.rowsRead).toBeLessThan(50);
  });
});
