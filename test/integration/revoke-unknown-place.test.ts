/**
 * A revoke reaches a task wherever it lands: an id whose place is unknown when it is revoked
 * (never applied yet, a chain's later step, a task routed to a queue that is not listed) is
 * remembered by the directory, and a queue that joins the directory later takes those ids in
 * before it enqueues anything, so the task ends REVOKED without running.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QueueDO } from "../../durable-objects/queue-do";
import type { DirectoryDO } from "../../durable-objects/directory-do";
import { DIRECTORY_REVOKES_SCHEMA, recordRevokes, revokesSince } from "../../durable-objects/directory-revokes";
import { DIRECTORY_REVOKES_MAX, REVOKED_MEMORY_S } from "../../src/protocol";
import { directoryStub, resultStub } from "../../src/runtime/stubs";
import { stateWrite } from "../../src/canvas/effects";
import { revokeTargets } from "../../src/http/revoke-targets";
import { BROKER_PATH } from "../../src/brokers/remote-broker";
import { api, beginItem, idleOut, demoApp, onlyLease, queue, result, rows, success, taskMessage, uid } from "./helpers";


describe("a revoke of an id whose place is unknown", () => {
  it("an id revoked before it is applied ends REVOKED when it is applied to a queue never used before", async () => {
    const id = crypto.randomUUID();
    const revoked = await api("POST", `/v1/results/${id}/revoke`, {});
    expect(revoked.status).toBe(202);
    const q = uid("q-new");
    expect(await directoryStub(env).listQueues()).not.toContain(q);
    const applied = await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, task_id: id } });
    expect(applied.status).toBe(202);
    expect(applied.body.id).toBe(id);
    // Not enqueued: nothing waits to run, and its result says REVOKED.
    expect(await rows(q)).toHaveLength(0);
    expect(await result(id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
  });

  it("a chain's second step, routed to a queue not listed, revoked while the first step runs, ends REVOKED and never runs", async () => {
    const first = uid("q-first");
    const second = uid("q-second");
    const applied = await api("POST", "/v1/apply", {
      task: "celery.chain",
      subtask_type: "chain",
      kwargs: {
        tasks: [
          { task: "demo.add", args: [2, 2], options: { queue: first } },
          { task: "demo.mul", args: [10], options: { queue: second } },
        ],
      },
    });
    expect(applied.status).toBe(202);
    const stepTwo: string = applied.body.id;
    const stepOne: string = applied.body.parent.id;
    expect(await directoryStub(env).listQueues()).not.toContain(second);
    // Step one is leased (dispatched, not settled); step two is nowhere yet.
    const lease = await onlyLease(first);
    expect(lease.id).toBe(stepOne);
    const revoked = await api("POST", `/v1/results/${stepTwo}/revoke`, {});
    expect(revoked.status).toBe(202);
    // Step one ends; its follow-up applies step two to the second queue.
    expect(await queue(first).begin([beginItem(lease.lease!, stepOne)])).toHaveLength(1);
    await queue(first).settle([success(lease.lease!, stepOne, 4)]);
    expect(await result(stepOne, first)).toMatchObject({ state: "SUCCESS", result: 4 });
    expect(await rows(second)).toHaveLength(0);
    expect(await result(stepTwo, second)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
  });

  it("a queue that left the directory (idle and empty) drops an id revoked meanwhile when it joins again", async () => {
    const q = uid("q-left");
    const m = taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 });
    await queue(q).enqueue([m]);
    expect(await idleOut(q, m.id)).toBe(true);
    expect(await directoryStub(env).listQueues()).not.toContain(q);
    // Revoked while the queue is not listed: the queue is not asked.
    const later = taskMessage(q, "demo.add");
    expect((await api("POST", `/v1/results/${later.id}/revoke`, {})).status).toBe(202);
    await runInDurableObject(queue(q), (_i: QueueDO, state) => {
      expect(state.storage.sql.exec("SELECT id FROM revoked WHERE id = ?", later.id).toArray()).toHaveLength(0);
    });
    expect((await queue(q).enqueue([later])).added).toBe(0);
    expect(await rows(q)).toHaveLength(0);
    expect(await result(later.id, q)).toMatchObject({ state: "REVOKED" });
  });

  it("with terminate too: the id is remembered, and the task applied later ends REVOKED without running", async () => {
    const id = crypto.randomUUID();
    expect((await api("POST", `/v1/results/${id}/revoke`, { terminate: true })).status).toBe(202);
    const q = uid("q-new");
    expect((await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, task_id: id } })).status).toBe(202);
    expect(await rows(q)).toHaveLength(0);
    expect(await result(id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
  });

  it("a revoke from a peer app (its broker's /revoke) is remembered too: the id applied here later ends REVOKED", async () => {
    const id = crypto.randomUUID();
    const peer = await api("POST", `${BROKER_PATH}/revoke`, { ids: [id] });
    expect(peer.status).toBe(200);
    const q = uid("q-new");
    expect((await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, task_id: id } })).status).toBe(202);
    expect(await rows(q)).toHaveLength(0);
    expect(await result(id, q)).toMatchObject({ state: "REVOKED" });
  });

  it("an enqueue that arrives while another one's join is under way waits for it, and checks the ids it brought", async () => {
    const q = uid("q-join");
    const other = taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 });
    const revokedLater = taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 });
    expect((await api("POST", `/v1/results/${revokedLater.id}/revoke`, {})).status).toBe(202);
    // Both sent at once: the second reaches the queue while the first's join is awaited.
    const [a, b] = await Promise.all([queue(q).enqueue([other]), queue(q).enqueue([revokedLater])]);
    expect([a.added, b.added]).toEqual([1, 0]);
    expect((await rows(q)).map((r) => r.id)).toEqual([other.id]);
    expect(await result(revokedLater.id, q)).toMatchObject({ state: "REVOKED" });
  });

  it("a queue that joins again is handed only the ids revoked since its last join", async () => {
    const q = uid("q-cursor");
    const before = crypto.randomUUID();
    expect((await api("POST", `/v1/results/${before}/revoke`, {})).status).toBe(202);
    await queue(q).enqueue([taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 })]);
    const seen = await runInDurableObject(queue(q), (_i: QueueDO, state) =>
      Number(state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'revokes_seen'").one().value),
    );
    expect(seen).toBeGreaterThan(0);
    const after = crypto.randomUUID();
    expect((await api("POST", `/v1/results/${after}/revoke`, {})).status).toBe(202);
    const join = await directoryStub(env).registerQueue(q, seen);
    expect(join.revokes.map((r) => r.id)).toEqual([after]);
    expect(join.seq).toBeGreaterThan(seen);
    // A cursor from no join this directory gave (past its newest number) gets everything.
    const all = await directoryStub(env).registerQueue(q, join.seq + 1_000_000);
    expect(all.revokes.map((r) => r.id)).toEqual(expect.arrayContaining([before, after]));
  });
});

describe("the directory's memory of revokes", () => {
  /** A directory of its own (not the app's), to run the memory's rules on its SQLite. */
  function scratch() {
    return env.DIRECTORY_DO.get(env.DIRECTORY_DO.idFromName(uid("directory")));
  }

  it("keeps each id until REVOKED_MEMORY_S after its revoke; an expired one is neither handed out nor kept", async () => {
    await runInDurableObject(scratch(), (_i: DirectoryDO, state) => {
      const sql = state.storage.sql;
      sql.exec(DIRECTORY_REVOKES_SCHEMA);
      const t0 = 1_000_000;
      recordRevokes(sql, ["a", "b"], t0);
      expect(revokesSince(sql, 0, t0).revokes).toEqual([
        { id: "a", until: t0 + REVOKED_MEMORY_S * 1000 },
        { id: "b", until: t0 + REVOKED_MEMORY_S * 1000 },
      ]);
      const late = t0 + REVOKED_MEMORY_S * 1000;
      expect(revokesSince(sql, 0, late).revokes).toEqual([]);
      recordRevokes(sql, ["c"], late);
      expect(sql.exec<{ id: string }>("SELECT id FROM revokes ORDER BY seq").toArray().map((r) => r.id)).toEqual(["c"]);
    });
  });

  it("holds at most its bound: past it the oldest revoked are forgotten first; one revoked again counts as the newest", async () => {
    await runInDurableObject(scratch(), (_i: DirectoryDO, state) => {
      const sql = state.storage.sql;
      sql.exec(DIRECTORY_REVOKES_SCHEMA);
      const now = Date.now();
      recordRevokes(sql, ["a", "b", "c"], now, 3);
      recordRevokes(sql, ["a"], now, 3);
      recordRevokes(sql, ["d"], now, 3);
      expect(revokesSince(sql, 0, now).revokes.map((r) => r.id)).toEqual(["c", "a", "d"]);
    });
  });

  it("a revoke of tens of thousands of ids of the longest length a task id may have keeps the newest DIRECTORY_REVOKES_MAX (more than one SQL parameter holds)", async () => {
    await runInDurableObject(scratch(), (_i: DirectoryDO, state) => {
      const sql = state.storage.sql;
      sql.exec(DIRECTORY_REVOKES_SCHEMA);
      const ids = Array.from({ length: 40_000 }, (_, i) => String(i).padStart(255, "x"));
      const now = Date.now();
      recordRevokes(sql, ids, now);
      expect(revokesSince(sql, 0, now).revokes.map((r) => r.id)).toEqual(ids.slice(-DIRECTORY_REVOKES_MAX));
    });
  });

  it("a revoke of more ids than the bound keeps the last ones", async () => {
    await runInDurableObject(scratch(), (_i: DirectoryDO, state) => {
      const sql = state.storage.sql;
      sql.exec(DIRECTORY_REVOKES_SCHEMA);
      const now = Date.now();
      recordRevokes(sql, ["a", "b", "c", "d", "e"], now, 2);
      expect(revokesSince(sql, 0, now).revokes.map((r) => r.id)).toEqual(["d", "e"]);
    });
  });

  it("a revoke of known and unknown places remembers only the unknown ones", async () => {
    const q = uid("q-known");
    const started = taskMessage(q, "demo.add");
    await resultStub(env, started.id).write([stateWrite(started, "STARTED", "itest")]);
    const fresh = crypto.randomUUID();
    const dir = directoryStub(env);
    const { seq } = await dir.registerQueue(uid("q-probe"));
    const targets = await revokeTargets(env, demoApp(), [started.id, fresh]);
    expect(targets).toContain(q);
    expect((await dir.registerQueue(uid("q-probe"), seq)).revokes.map((r) => r.id)).toEqual([fresh]);
    // Only known places: the directory is not written.
    const { seq: next } = await dir.registerQueue(uid("q-probe"));
    expect(await revokeTargets(env, demoApp(), [started.id])).toEqual([q]);
    expect((await dir.registerQueue(uid("q-probe"), next)).revokes).toEqual([]);
  });
});
