/**
 * ChordDO: the join of a chord. Reports are idempotent per index, the body is applied once with
 * the header results in header order, a failed member fails the body with ChordError.
 * The chord is planned with the real planner (prepare), the body goes to its own paused queue.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { chordStub } from "../../src/runtime/stubs";
import { FIRST_FAILED_SQL, type ChordDO } from "../../durable-objects/chord-do";
import type { TaskMessage } from "../../src/protocol/message";
import { planned, queue, result, rows, uid } from "./helpers";

/** A chord of `n` demo.add members with its body (demo.echo) on a paused queue of its own. */
async function openChord(n: number, options: Record<string, unknown> = {}) {
  const bodyQ = uid("q-chord-body");
  await queue(bodyQ).configure(bodyQ, { paused: true });
  const p = planned({
    task: "celery.chord",
    subtask_type: "chord",
    options,
    kwargs: {
      header: Array.from({ length: n }, (_, i) => ({ task: "demo.add", args: [i, i] })),
      body: { task: "demo.echo", args: ["tail"], options: { queue: bodyQ } },
      kwargs: {},
    },
  });
  expect(p.chords).toHaveLength(1);
  const init = p.chords[0]!;
  const bodyId = p.handles[0]!.id;
  const members = p.messages; // header members, in header order
  expect(members.map((m) => m.chord?.index)).toEqual(Array.from({ length: n }, (_, i) => i));
  const stub = chordStub(env, init.id);
  await stub.open(init);
  return { stub, init, bodyId, bodyQ, members };
}

const ok = (m: TaskMessage, value: unknown) => ({ index: m.chord!.index, memberId: m.id, ok: true, value });

describe("ChordDO", () => {
  it("counts each index once and applies the body once, with results in header order", async () => {
    const { stub, init, bodyId, bodyQ, members } = await openChord(3);
    await stub.open(init); // a second open changes nothing
    const [m0, m1, m2] = members as [TaskMessage, TaskMessage, TaskMessage];
    expect(await stub.report([ok(m1, "one")])).toEqual({ fired: false });
    expect(await stub.report([ok(m1, "one-again")])).toEqual({ fired: false }); // same index: not a second member
    expect(await rows(bodyQ)).toEqual([]);
    expect(await stub.report([ok(m2, "two")])).toEqual({ fired: false });
    expect(await rows(bodyQ)).toEqual([]);
    expect(await stub.report([ok(m0, "zero")])).toEqual({ fired: true });
    const body = await rows(bodyQ);
    expect(body.map((r) => r.id)).toEqual([bodyId]);
    const msg = JSON.parse(body[0]!.body) as TaskMessage;
    expect(msg.task).toBe("demo.echo");
    expect(msg.args).toEqual([["zero", "one", "two"], "tail"]);
    // Late duplicates after firing change nothing.
    expect(await stub.report([ok(m0, "zero"), ok(m2, "two")])).toEqual({ fired: false });
    expect((await rows(bodyQ)).map((r) => r.id)).toEqual([bodyId]);
  });

  it("fires exactly once under concurrent and duplicate reports", async () => {
    const n = 6;
    const { stub, bodyId, bodyQ, members } = await openChord(n);
    // Every member reports three times, all at once, in reverse order.
    const calls = [...members].reverse().flatMap((m) => [0, 1, 2].map(() => stub.report([ok(m, m.chord!.index * 10)])));
    const answers = await Promise.all(calls);
    expect(answers.filter((a) => a.fired)).toHaveLength(1);
    const body = await rows(bodyQ);
    expect(body).toHaveLength(1);
    expect(body[0]!.id).toBe(bodyId);
    expect((JSON.parse(body[0]!.body) as TaskMessage).args[0]).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it("a member's report sent again after the firing's carry-out was cut short (process killed) applies the body", async () => {
    const { stub, init, bodyId, bodyQ, members } = await openChord(2);
    const [m0, m1] = members as [TaskMessage, TaskMessage];
    expect(await stub.report([ok(m0, "zero")])).toEqual({ fired: false });
    // The state a kill leaves between the firing's commit and the end of its carry-out: the last
    // member counted, the chord fired, its effects stored and never carried out.
    await runInDurableObject(stub, (instance, state) => {
      state.storage.sql.exec("INSERT INTO members (idx, member_id, ok, value) VALUES (?, ?, 1, ?)", m1.chord!.index, m1.id, JSON.stringify("one"));
      const effects = (instance as unknown as { bodyEffects: (i: typeof init) => unknown }).bodyEffects(init);
      state.storage.sql.exec("UPDATE spec SET fired = 1, effects = ? WHERE one = 1", JSON.stringify(effects));
    });
    expect(await rows(bodyQ)).toEqual([]);
    // The member's outbox sends its report again (its first send got no answer).
    expect(await stub.report([ok(m1, "one")])).toEqual({ fired: false });
    const body = await rows(bodyQ);
    expect(body.map((r) => r.id)).toEqual([bodyId]);
    expect((JSON.parse(body[0]!.body) as TaskMessage).args).toEqual([["zero", "one"], "tail"]);
    // Carried out once: a further report changes nothing.
    expect(await stub.report([ok(m1, "one")])).toEqual({ fired: false });
    expect((await rows(bodyQ)).map((r) => r.id)).toEqual([bodyId]);
  });

  it("a failed member fails the body with ChordError naming it; the body is never enqueued; errbacks fire once", async () => {
    const errQ = uid("q-chord-err");
    await queue(errQ).configure(errQ, { paused: true });
    const { stub, bodyId, bodyQ, members } = await openChord(3, { link_error: [{ task: "demo.identity", options: { queue: errQ } }] });
    const [m0, m1, m2] = members as [TaskMessage, TaskMessage, TaskMessage];
    expect(await stub.report([ok(m0, 0)])).toEqual({ fired: false });
    const failed = { index: m1.chord!.index, memberId: m1.id, ok: false, error: { type: "DemoError", message: "boom" } };
    const answers = await Promise.all([stub.report([failed]), stub.report([failed])]);
    expect(answers.filter((a) => a.fired)).toHaveLength(1);
    expect(await stub.report([ok(m2, 2)])).toEqual({ fired: false });

    expect(await rows(bodyQ)).toEqual([]);
    const r = await result(bodyId);
    expect(r?.state).toBe("FAILURE");
    expect(r?.error?.type).toBe("ChordError");
    expect(r?.error?.message).toContain(m1.id);
    expect(r?.error?.message).not.toContain(m0.id);

    const errbacks = await rows(errQ);
    expect(errbacks).toHaveLength(1);
    const eb = JSON.parse(errbacks[0]!.body) as TaskMessage;
    expect(eb.task).toBe("demo.identity");
    expect(eb.args[0]).toEqual({ id: bodyId });
    expect(eb.args[1]).toMatchObject({ type: "ChordError" });
  });
});

describe("ChordDO: header results too large for a task message", () => {
  const big = (i: number) => `${i}:${"x".repeat(50_000)}`;

  it("writes the list to R2 and gives the body a pointer to it, in header order", async () => {
    const { stub, init, bodyQ, members } = await openChord(3);
    expect(await stub.report(members.map((m, i) => ok(m, big(i))))).toEqual({ fired: true });
    const [body] = await rows(bodyQ);
    expect(body!.body.length).toBeLessThan(10_000);
    const msg = JSON.parse(body!.body) as TaskMessage;
    const pointer = msg.args[0] as Record<string, unknown>;
    expect(pointer.$edgery_r2).toMatch(new RegExp(`^chord-header/${init.id}/`));
    expect(msg.args[1]).toBe("tail");
    const stored = await env.RESULTS_R2!.get(pointer.$edgery_r2 as string);
    expect(JSON.parse(await stored!.text())).toEqual([big(0), big(1), big(2)]);
    expect(pointer.bytes).toBe(JSON.stringify([big(0), big(1), big(2)]).length);
    // Kept until the body's results expire; then the chord's alarm deletes it.
    const alarm = await runInDurableObject(stub, async (_i, state) => {
      const at = await state.storage.getAlarm();
      state.storage.sql.exec("UPDATE r2_args SET expires_at = 0");
      return at;
    });
    expect(alarm).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await env.RESULTS_R2!.get(pointer.$edgery_r2 as string)).toBeNull();
  });

  it("without an R2 bucket the body fails at once with PayloadTooLarge", async () => {
    const { stub, bodyId, members } = await openChord(3);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { env: Record<string, unknown> }).env = { ...env, RESULTS_R2: undefined };
    });
    expect(await stub.report(members.map((m, i) => ok(m, big(i))))).toEqual({ fired: true });
    const r = await result(bodyId);
    expect(r?.state).toBe("FAILURE");
    expect(r?.error?.type).toBe("PayloadTooLarge");
    expect(r?.error?.message).toContain("RESULTS_R2");
  });
});

describe("ChordDO forged reports", () => {
  it("a report at an index outside the header (size, -1, 1.5) is not counted: the chord fires on its real members, with only their results", async () => {
    const { stub, bodyId, bodyQ, members } = await openChord(2);
    const [m0, m1] = members as [TaskMessage, TaskMessage];
    expect(await stub.report([ok(m0, "zero")])).toEqual({ fired: false });
    // A peer's message may carry any chord ref: before, each of these counted as a member.
    const forged = [2, -1, 1.5, 1e9].map((index) => ({ index, memberId: "forged", ok: true, value: "forged" }));
    expect(await stub.report(forged)).toEqual({ fired: false });
    expect(await rows(bodyQ)).toEqual([]);
    expect(await stub.report([ok(m1, "one")])).toEqual({ fired: true });
    const body = await rows(bodyQ);
    expect(body.map((r) => r.id)).toEqual([bodyId]);
    expect((JSON.parse(body[0]!.body) as TaskMessage).args[0]).toEqual(["zero", "one"]);
  });

  it("a report to a chord that was never opened answers not fired (it threw, and the queue's outbox retried it ten times)", async () => {
    const stub = chordStub(env, uid("never-opened"));
    expect(await stub.report([{ index: 0, memberId: "m", ok: true, value: 1 }])).toEqual({ fired: false });
  });
});

describe("ChordDO report cost", () => {
  it("a report reads the members it adds, not every member so far (no SCAN of members), and still fires on the last", async () => {
    const n = 200;
    const { stub, bodyId, bodyQ, members } = await openChord(n);
    // All but the last two, in a few batches (a batch counts each new index once).
    for (let i = 0; i < n - 2; i += 50) await stub.report(members.slice(i, Math.min(i + 50, n - 2)).map((m) => ok(m, m.chord!.index)));
    // The next-to-last report, on the instance, with the rows each of its statements read.
    const got = await runInDurableObject(stub, async (instance: ChordDO, state) => {
      const real = state.storage.sql;
      const cursors: Array<SqlStorageCursor<Record<string, SqlStorageValue>>> = [];
      const recording = { exec: (query: string, ...args: unknown[]) => (cursors.push(real.exec(query, ...args)), cursors.at(-1)) };
      (instance as unknown as { sql: unknown }).sql = recording;
      try {
        const answer = await instance.report([ok(members[n - 2]!, n - 2)]);
        return { answer, rowsRead: cursors.reduce((sum, c) => sum + c.rowsRead, 0) };
      } finally {
        (instance as unknown as { sql: unknown }).sql = real;
      }
    });
    expect(got.answer).toEqual({ fired: false });
    // A count or a scan of the 199 members would read ~200 rows; the report reads a handful.
    expect(got.rowsRead).toBeLessThan(10);
    expect(await rows(bodyQ)).toEqual([]);
    expect(await stub.report([ok(members[n - 2]!, "again")])).toEqual({ fired: false }); // counted once
    expect(await stub.report([ok(members[n - 1]!, n - 1)])).toEqual({ fired: true });
    const body = await rows(bodyQ);
    expect(body.map((r) => r.id)).toEqual([bodyId]);
    expect((JSON.parse(body[0]!.body) as TaskMessage).args[0]).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("a report of many members inserts them in one statement, each index once (a repeat in the batch or an earlier one is not counted), values as sent", async () => {
    const n = 60;
    const { stub, members } = await openChord(n);
    await stub.report([ok(members[0]!, "first")]);
    const got = await runInDurableObject(stub, async (instance: ChordDO, state) => {
      const real = state.storage.sql;
      const inserts: string[] = [];
      const recording = { exec: (query: string, ...args: unknown[]) => (query.includes("INSERT") && inserts.push(query), real.exec(query, ...args)) };
      (instance as unknown as { sql: unknown }).sql = recording;
      try {
        // Members 0-49 (0 reported before), with 7 twice and a value in non-ASCII and a large one.
        const batch = [...members.slice(0, 50).map((m, i) => ok(m, i === 3 ? "é ✓ \u2028 \"q\"" : i === 9 ? "z".repeat(70_000) : i)), ok(members[7]!, "seven again")];
        const answer = await instance.report(batch);
        const count = real.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members").one().n;
        const values = Object.fromEntries(real.exec<{ idx: number; value: string }>("SELECT idx, value FROM members WHERE idx IN (0, 3, 7, 9)").toArray().map((r) => [r.idx, r.value]));
        return { answer, inserts: inserts.length, count, values, reported: (instance as unknown as { reported: number }).reported };
      } finally {
        (instance as unknown as { sql: unknown }).sql = real;
      }
    });
    expect(got.answer).toEqual({ fired: false });
    // The small rows in one statement, the 70 KB one alone (one statement per member before: 51).
    expect(got.inserts).toBe(2);
    expect(got.count).toBe(50);
    expect(got.reported).toBe(50);
    expect(got.values[0]).toBe(JSON.stringify("first"));
    expect(got.values[3]).toBe(JSON.stringify("é ✓ \u2028 \"q\""));
    expect(got.values[7]).toBe(JSON.stringify(7));
    expect(got.values[9]).toBe(JSON.stringify("z".repeat(70_000)));
    // The rest fire the body once, with every value in header order.
    expect(await stub.report(members.slice(50).map((m, i) => ok(m, 50 + i)))).toEqual({ fired: true });
  });

  it("FIRST_FAILED_SQL finds the lowest failed index through the members_failed index, not a SCAN of members", async () => {
    const { stub } = await openChord(6);
    const got = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      const first = () => sql.exec<{ member_id: string; value: string }>(FIRST_FAILED_SQL).toArray();
      const none = first();
      for (const [idx, ok] of [[0, 1], [4, 0], [1, 1], [2, 0], [5, 1]] as const) {
        sql.exec("INSERT INTO members (idx, member_id, ok, value) VALUES (?, ?, ?, ?)", idx, `m${idx}`, ok, JSON.stringify(`v${idx}`));
      }
      return {
        none,
        failed: first(),
        plan: sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${FIRST_FAILED_SQL}`).toArray().map((r) => r.detail),
      };
    });
    expect(got.none).toEqual([]);
    expect(got.failed).toEqual([{ member_id: "m2", value: JSON.stringify("v2") }]);
    expect(got.plan.some((d) => d.startsWith("SCAN members"))).toBe(false);
    expect(got.plan.some((d) => d.includes("INDEX members_failed"))).toBe(true);
  });
});
