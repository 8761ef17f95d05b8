/**
 * ResultDO: first final state wins, non-final states overwrite each other, wait() wakes on the
 * write that makes a result ready, forget, group records, expiry.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resultShard, resultStub } from "../../src/runtime/stubs";
import type { TaskResult } from "../../src/protocol";
import type { ResultWriteAnswer } from "../../src/protocol/rpc";
import { queue, uid } from "./helpers";
import { EXPIRED_GROUPS_SQL, ROWS_LEFT_SQL } from "../../durable-objects/result-do";
import { FORGET_R2_SQL } from "../../durable-objects/result-backend-store";

const shardOf = (id: string) => resultStub(env, id);

describe("ResultDO", () => {
  it("the first final state wins: a SUCCESS after a FAILURE is ignored", async () => {
    const id = uid("res-final");
    const stub = shardOf(id);
    expect(await stub.write([{ id, state: "FAILURE", error: { type: "DemoError", message: "first" }, result: null, task: "demo.fail" }])).toEqual({ written: 1 });
    // The answer names the final result kept over the later one (a queue's claimed ending reads it).
    const again = (await stub.write([{ id, state: "SUCCESS", result: 99, error: null }])) as ResultWriteAnswer;
    expect(again.written).toBe(0);
    expect(again.kept).toHaveLength(1);
    expect(again.kept![0]).toMatchObject({ id, state: "FAILURE", error: { type: "DemoError", message: "first" } });
    expect(await stub.write([{ id, state: "PROGRESS", meta: { current: 1 } }])).toEqual({ written: 0 });
    const r = (await stub.get(id)) as TaskResult | null;
    expect(r).toMatchObject({ id, state: "FAILURE", result: null, error: { type: "DemoError", message: "first" }, task: "demo.fail", meta: null });
    expect(r?.date_done).not.toBeNull();
  });

  it("non-final states overwrite each other, keeping what they do not set; the final one clears meta", async () => {
    const id = uid("res-progress");
    const stub = shardOf(id);
    await stub.write([{ id, state: "STARTED", task: "demo.progress", queue: "q-x", worker: "w", started_at: 1_700_000_000_000 }]);
    await stub.write([{ id, state: "PROGRESS", meta: { current: 1, total: 2 } }]);
    expect(await stub.get(id)).toMatchObject({ state: "PROGRESS", meta: { current: 1, total: 2 }, task: "demo.progress", queue: "q-x", date_done: null });
    await stub.write([{ id, state: "PROGRESS", meta: { current: 2, total: 2 } }]);
    const mid = await stub.get(id);
    expect(mid).toMatchObject({ state: "PROGRESS", meta: { current: 2, total: 2 }, worker: "w", started_at: new Date(1_700_000_000_000).toISOString() });
    await stub.write([{ id, state: "SUCCESS", result: 2, error: null }]);
    expect(await stub.get(id)).toMatchObject({ state: "SUCCESS", result: 2, meta: null, task: "demo.progress", queue: "q-x" });
  });

  it("wait() holds through non-final writes and resolves with the write that makes the result ready", async () => {
    const id = uid("res-wait");
    const stub = shardOf(id);
    let settled = false;
    const waiting = stub.wait(id, 25_000).then((r) => ((settled = true), r));
    // Let the wait register before writing.
    await stub.get(id);
    await stub.write([{ id, state: "PROGRESS", meta: { current: 1 } }]);
    await stub.get(id);
    expect(settled).toBe(false);
    await stub.write([{ id, state: "SUCCESS", result: "done", error: null }]);
    const r = await waiting;
    expect(r).toMatchObject({ id, state: "SUCCESS", result: "done" });
  });

  it("waitMany() answers once every id is ready, in the order asked, and leaves no waiter behind", async () => {
    const shard = resultShard(env, 3);
    const ids = [uid("wm-a"), uid("wm-b"), uid("wm-c")];
    await shard.write([{ id: ids[1]!, state: "SUCCESS", result: "b", error: null }]);
    let settled = false;
    const waiting = (shard.waitMany(ids, 25_000) as Promise<unknown>).then((r) => ((settled = true), r));
    await shard.waitMany(ids, 0);
    await shard.write([{ id: ids[0]!, state: "SUCCESS", result: "a", error: null }, { id: ids[2]!, state: "STARTED" }]);
    await shard.waitMany(ids, 0);
    expect(settled).toBe(false); // c is not ready yet
    await shard.write([{ id: ids[2]!, state: "FAILURE", result: null, error: { type: "ValueError", message: "c" } }]);
    const got = (await waiting) as Array<TaskResult | null>;
    expect(got.map((r) => [r?.id, r?.state])).toEqual([
      [ids[0], "SUCCESS"],
      [ids[1], "SUCCESS"],
      [ids[2], "FAILURE"],
    ]);
    expect(await runInDurableObject(shard, (instance) => (instance as unknown as { waiters: Map<string, unknown> }).waiters.size)).toBe(0);
  });

  it("waitMany() answers what there is when its time is up (unknown ids as null), and cleans up its waiters", async () => {
    const shard = resultShard(env, 5);
    const done = uid("wm-done");
    const never = uid("wm-never");
    await shard.write([{ id: done, state: "SUCCESS", result: 1, error: null }]);
    const got = (await shard.waitMany([never, done], 20)) as Array<TaskResult | null>;
    expect(got[0]).toBeNull();
    expect(got[1]?.state).toBe("SUCCESS");
    expect(await runInDurableObject(shard, (instance) => (instance as unknown as { waiters: Map<string, unknown> }).waiters.size)).toBe(0);
  });

  it("waitMany() names a member that is a group recorded in this shard, and does not wait on it", async () => {
    const shard = resultShard(env, 6);
    const inner = uid("wm-inner-group");
    const task = uid("wm-task");
    await shard.recordGroups([{ id: inner, members: [uid("m1"), uid("m2")] }], 60);
    await shard.write([{ id: task, state: "SUCCESS", result: 7, error: null }]);
    const got = (await shard.waitMany([inner, task], 25_000)) as Array<Record<string, unknown> | null>;
    expect(got[0]).toEqual({ id: inner, group: true });
    expect(got[1]).toMatchObject({ id: task, state: "SUCCESS", result: 7 });
  });

  it("wait() on a ready result answers at once, on an unknown id after its time with null", async () => {
    const id = uid("res-ready");
    const stub = shardOf(id);
    await stub.write([{ id, state: "REVOKED", error: { type: "TaskRevokedError", message: "x" }, result: null }]);
    expect(((await stub.wait(id, 25_000)) as TaskResult | null)?.state).toBe("REVOKED");
    expect(await stub.wait(uid("res-unknown"), 10)).toBeNull();
  });

  it("forget removes a result, and a group record of that id", async () => {
    const id = uid("res-forget");
    const stub = shardOf(id);
    await stub.write([{ id, state: "SUCCESS", result: 1, error: null }]);
    expect(((await stub.get(id)) as TaskResult | null)?.state).toBe("SUCCESS");
    await stub.recordGroups([{ id, members: ["a"] }], 3600);
    await stub.forget(id);
    expect(await stub.get(id)).toBeNull();
    expect(await stub.groupMembers(id)).toBeNull();
  });

  it("records groups with their members in order; unknown groups are null", async () => {
    const gid = uid("grp");
    const stub = shardOf(gid);
    const members = [uid("m"), uid("m"), uid("m")];
    await stub.recordGroups([{ id: gid, members }], 3600);
    expect(await stub.groupMembers(gid)).toEqual(members);
    expect(await stub.groupMembers(uid("grp-unknown"))).toBeNull();
    // waitMany(…, 0) answers at once, in the asked order, null where unknown.
    const known = members[1]!;
    const shard = shardOf(known);
    await shard.write([{ id: known, state: "SUCCESS", result: "m1", error: null }]);
    const got = (await shard.waitMany([uid("nope"), known], 0)) as Array<TaskResult | null>;
    expect(got[0]).toBeNull();
    expect(got[1]).toMatchObject({ id: known, result: "m1" });
  });

  it("an expired result reads as unknown and the sweep alarm deletes it", async () => {
    const id = uid("res-expire");
    const stub = shardOf(id);
    await stub.write([{ id, state: "SUCCESS", result: 1, error: null, expires_s: 3600 }]);
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE results SET expires_at = ? WHERE id = ?", Date.now() - 1, id);
    });
    expect(await stub.get(id)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT id FROM results WHERE id = ?", id).toArray());
    expect(left).toEqual([]);
  });
});

describe("request counts (the capacity model's input)", () => {
  it("every RPC a shard takes counts one, the event feed's announce and listen leases too", async () => {
    const shard = resultShard(env, 7);
    const id = uid("count");
    const before = await shard.requestCount();
    await shard.write([{ id, state: "STARTED" }]);
    await shard.listen(Date.now() + 60_000);
    await shard.announce([{ id, state: "STARTED" }]);
    await shard.get(id);
    expect(await shard.requestCount()).toBe(before + 4);
    const q = queue(uid("q-count"));
    const queueBefore = await q.requestCount();
    await q.listen(Date.now() + 60_000);
    expect(await q.requestCount()).toBe(queueBefore + 1);
  });
});

describe("ResultDO statement cost", () => {
  it("the alarm's checks read a row per table, not every result (ROWS_LEFT_SQL), and its group sweep is a range of groups_expiry (EXPIRED_GROUPS_SQL)", async () => {
    // An object of its own: the counts below are of its rows only.
    const stub = env.RESULT_DO.get(env.RESULT_DO.idFromName(uid("shard-sweep")));
    const got = await runInDurableObject(stub, (_instance, state) => {
      const db = state.storage.sql;
      const left = () => {
        const cursor = db.exec<{ n: number }>(ROWS_LEFT_SQL);
        return { n: cursor.one().n, rowsRead: cursor.rowsRead };
      };
      const ids = JSON.stringify(Array.from({ length: 300 }, (_, i) => `r${i}`));
      const empty = left();
      db.exec("INSERT INTO groups (id, members, expires_at) SELECT value, '[]', 1000 + key FROM json_each(?)", ids);
      const groupsOnly = left();
      db.exec("INSERT INTO results (id, state, expires_at) SELECT value, 'SUCCESS', 1000 + key FROM json_each(?)", ids);
      const both = left();
      // Groups that expired by 1,099: the first 100.
      const swept = db.exec(EXPIRED_GROUPS_SQL, 1_099).rowsWritten;
      const groupsLeft = db.exec<{ n: number; first: number }>("SELECT COUNT(*) AS n, MIN(expires_at) AS first FROM groups").one();
      const plan = db.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${EXPIRED_GROUPS_SQL}`, 0).toArray().map((r) => r.detail);
      return { empty, groupsOnly, both, swept, groupsLeft, plan };
    });
    // Two COUNT(*)s read all 300 results and 300 groups; EXISTS stops at the first row.
    expect(got.both.rowsRead).toBeLessThan(10);
    expect(got.empty.n).toBe(0);
    expect(got.groupsOnly.n).toBe(1);
    expect(got.both.n).toBe(1);
    expect(got.swept).toBeGreaterThanOrEqual(100);
    expect(got.groupsLeft).toEqual({ n: 200, first: 1_100 });
    expect(got.plan.some((d) => d.startsWith("SCAN groups"))).toBe(false);
    expect(got.plan.some((d) => d.includes("INDEX groups_expiry"))).toBe(true);
  });

  it("a forget drops its id's R2 objects through r2_objects_id, not a SCAN of every listed object (FORGET_R2_SQL)", async () => {
    const stub = env.RESULT_DO.get(env.RESULT_DO.idFromName(uid("shard-forget")));
    const got = await runInDurableObject(stub, (_instance, state) => {
      const db = state.storage.sql;
      db.exec("INSERT INTO r2_objects (key, id, expires_at) SELECT 'k' || key, 'r' || (key % 100), 1000 FROM json_each(?)", JSON.stringify(Array.from({ length: 300 }, () => 0)));
      const forget = db.exec(FORGET_R2_SQL, "r7");
      forget.toArray();
      return {
        rowsRead: forget.rowsRead,
        left: db.exec<{ n: number; gone: number }>("SELECT COUNT(*) AS n, SUM(id = 'r7') AS gone FROM r2_objects").one(),
        plan: db.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${FORGET_R2_SQL}`, "x").toArray().map((r) => r.detail),
      };
    });
    // A SCAN of r2_objects reads all 300 rows; the index reads the 3 of r7 (and their table rows).
    expect(got.rowsRead).toBeLessThan(20);
    expect(got.left).toEqual({ n: 297, gone: 0 });
    expect(got.plan.some((d) => d.startsWith("SCAN r2_objects"))).toBe(false);
    expect(got.plan.some((d) => d.includes("INDEX r2_objects_id"))).toBe(true);
  });
});
