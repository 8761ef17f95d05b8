/**
 * Result backends against real D1, R2, KV and ResultDO shards in workerd: the shared conformance
 * suite on each, the D1 migration, the ResultDO's write-behind into D1 (surviving a D1 outage),
 * the R2 sweep of expired large values, large values in and out of a task, and the API's
 * query / read / forget routes.
 */
import { applyD1Migrations, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { describeResultBackend } from "../results/conformance";
import { D1Backend } from "../../src/results/d1-backend";
import { R2Backend } from "../../src/results/r2-backend";
import { KvBackend } from "../../src/results/kv-backend";
import { NoneBackend } from "../../src/results/backend";
import { schemaStatements } from "../../src/results/d1-schema";
import { PointerSigner, newValueKey, valueKey, type R2Pointer } from "../../src/results/pointer";
import { offloadResult, resolveArgs } from "../../src/results/offload";
import { DEFAULT_POLICY } from "../../src/app/result-policy";
import { D1_DUE_SQL, D1_LEFT_SQL } from "../../durable-objects/result-backend-store";
import { resultStub } from "../../src/runtime/stubs";
import type { ResultDO } from "../../durable-objects/result-do";
import { App } from "../../src/app/app";
import { runSettingsOf } from "../../src/app/task-settings";
import type { SettleItem } from "../../src/protocol/rpc";
import { TaskAbort } from "../../src/worker/execute";
import { runDelivered } from "../../src/worker/run-delivered";
import { writeAhead } from "../../src/worker/pre-write";
import { api, taskMessage, uid } from "./helpers";

const db = env.RESULTS_DB!;
const bucket = env.RESULTS_R2!;
const signer = PointerSigner.of(env)!;
const makePointer = (key: string, bytes: number) => signer.sign(key, bytes);

describeResultBackend("d1 (real D1)", () => ({ backend: new D1Backend(db), stores: true, extended: true, honoursPastExpiry: true }));
describeResultBackend("r2 (real R2)", () => ({ backend: new R2Backend(bucket), stores: true, extended: true, honoursPastExpiry: true }));
// kv: the ResultDO shard is authoritative; its expiry is at least 1 s from the write.
describeResultBackend("kv (ResultDO + KV)", () => ({ backend: new KvBackend(env), stores: true, extended: true, honoursPastExpiry: true }));
describeResultBackend("none", () => ({ backend: new NoneBackend(), stores: false, extended: false, honoursPastExpiry: true }));


/** Pushes a shard's pending D1 writes now; answers how many are still pending. */
async function flush(id: string): Promise<number> {
  return (await resultStub(env, id).flushBackends()).pending;
}

describe("D1 migration", () => {
  it("applies with the plugin's applyD1Migrations and stays idempotent with the first-use set-up", async () => {
    await applyD1Migrations(db, [{ name: "0001_results.sql", queries: schemaStatements() }], "d1_migrations_test");
    await applyD1Migrations(db, [{ name: "0001_results.sql", queries: schemaStatements() }], "d1_migrations_test");
    const applied = await db.prepare("SELECT name FROM d1_migrations_test").all<{ name: string }>();
    expect(applied.results.map((r) => r.name)).toEqual(["0001_results.sql"]);
    const idx = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'results' ORDER BY name").all<{ name: string }>();
    expect(idx.results.map((r) => r.name)).toEqual(expect.arrayContaining(["results_date_done", "results_queue", "results_state", "results_task"]));
  });
});

describe("ResultDO write-behind into D1", () => {
  it("a final result of a d1 task (demo.persist) reaches D1 with its args; a kv task's does not", async () => {
    const id = uid("wb");
    const other = uid("wb-kv");
    await resultStub(env, id).write([{ id, state: "SUCCESS", result: { x: 1 }, error: null, task: "demo.persist", queue: "default", worker: "w", args: [{ x: 1 }], kwargs: {}, date_done: Date.now(), expires_s: 60 }]);
    await resultStub(env, other).write([{ id: other, state: "SUCCESS", result: 2, error: null, task: "demo.identity", date_done: Date.now(), expires_s: 60 }]);
    expect(await flush(id)).toBe(0);
    await flush(other);
    const got = await new D1Backend(db).get(id);
    expect(got).toMatchObject({ id, state: "SUCCESS", result: { x: 1 }, task: "demo.persist", args: [{ x: 1 }], kwargs: {}, expires_at: null });
    expect(await new D1Backend(db).get(other)).toBeNull();
    // The shard also answers with the extended fields.
    expect(await resultStub(env, id).get(id)).toMatchObject({ args: [{ x: 1 }], kwargs: {} });
  });

  it("a forget during a push to D1 that carries the result waits for it, so the delete from D1 comes last", async () => {
    const id = uid("forget-race");
    const stub = resultStub(env, id);
    // The real D1, with its batches held until the test lets them go.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = { prepare: (q: string) => db.prepare(q), batch: async (s: D1PreparedStatement[]) => (await gate, db.batch(s)) } as unknown as D1Database;
    await runInDurableObject(stub, async (instance: ResultDO) => {
      (instance as unknown as { env: Cloudflare.Env }).env = { ...env, RESULTS_DB: held };
    });
    await stub.write([{ id, state: "SUCCESS", result: "gone soon", error: null, task: "demo.persist", date_done: Date.now(), expires_s: 3600 }]);
    // As forgetResult does: the shard, then D1. The push that read the row is still held.
    const forgetting = (async () => {
      await stub.forget(id);
      await new D1Backend(db).forget(id);
    })();
    await new Promise((r) => setTimeout(r, 50));
    release();
    await forgetting;
    await stub.flushBackends(); // whatever push was still going has landed now
    expect(await new D1Backend(db).get(id)).toBeNull();
    expect(await stub.get(id)).toBeNull();
    await runInDurableObject(stub, async (instance: ResultDO) => {
      (instance as unknown as { env: Cloudflare.Env }).env = env;
    });
  });

  it("a D1 outage loses nothing: the result stays pending (and in the shard past its expiry) until D1 accepts", async () => {
    const id = uid("outage");
    const stub = resultStub(env, id);
    const broken = { prepare: () => { throw new Error("D1 is down"); }, batch: async () => { throw new Error("D1 is down"); } } as unknown as D1Database;
    await runInDurableObject(stub, async (instance: ResultDO) => {
      (instance as unknown as { env: Cloudflare.Env }).env = { ...env, RESULTS_DB: broken };
    });
    await stub.write([{ id, state: "SUCCESS", result: "kept", error: null, task: "demo.persist", date_done: Date.now(), expires_s: 0 }]);
    expect(await flush(id)).toBe(1);
    // The alarm runs (D1 still down): the expired row is not swept while it waits for D1.
    await runInDurableObject(stub, async (_i: ResultDO, state) => {
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_i: ResultDO, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM results WHERE id = ?", id).one().n)).toBe(1);
    expect(await new D1Backend(db).get(id)).toBeNull();
    // D1 is back: the retry (after its backoff) lands it.
    await runInDurableObject(stub, async (instance: ResultDO, state) => {
      (instance as unknown as { env: Cloudflare.Env }).env = env;
      state.storage.sql.exec("UPDATE d1_pending SET not_before = 0");
    });
    expect(await flush(id)).toBe(0);
    expect(await new D1Backend(db).get(id)).toMatchObject({ state: "SUCCESS", result: "kept" });
    // ... and now the shard's sweep may drop its copy; the API still finds it (in D1).
    await runInDurableObject(stub, async (_i: ResultDO, state) => {
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
    expect(await stub.get(id)).toBeNull();
    expect((await api("GET", `/v1/results/${id}`)).body).toMatchObject({ id, state: "SUCCESS", result: "kept" });
  });
});

describe("large results in R2", () => {
  it("the consumer offloads a value over the threshold and resolves pointers in a next task's args", async () => {
    const id = uid("big");
    const value = "y".repeat(DEFAULT_POLICY.r2Threshold + 10);
    const out = (await offloadResult(env, DEFAULT_POLICY, id, { kind: "success", value })) as { kind: string; value: R2Pointer };
    expect(out).toMatchObject({ kind: "success", value: { bytes: value.length + 2 } });
    expect(out.value.$edgery_r2.startsWith(await valueKey(id))).toBe(true);
    const small = await offloadResult(env, DEFAULT_POLICY, uid("small"), { kind: "success", value: "tiny" });
    expect(small).toEqual({ kind: "success", value: "tiny" });
    const m = taskMessage("q", "demo.identity", { args: [[1, out.value]], kwargs: { v: out.value } });
    expect(await resolveArgs(env, m, JSON.stringify(m))).toBeNull();
    expect((m.args[0] as unknown[])[1]).toBe(value);
    expect(m.kwargs.v).toBe(value);
    // A pointer whose object is gone fails the task instead of running it with a pointer.
    const gone = taskMessage("q", "demo.identity", { args: [await makePointer(newValueKey(await valueKey(uid("none"))), 5)] });
    expect(await resolveArgs(env, gone, JSON.stringify(gone))).toMatchObject({ kind: "failure", error: { type: "ResultMissing" } });
  });

  it("a consumer with the signing key but no R2 bucket fails a task passed a signed pointer (it ran on the pointer); an unsigned pointer-shaped value stays data", async () => {
    const noBucket = { ...env, RESULTS_R2: undefined };
    const signed = taskMessage("q", "demo.identity", { args: [await makePointer(newValueKey(await valueKey(uid("big"))), 2_000_000)] });
    expect(await resolveArgs(noBucket, signed, JSON.stringify(signed))).toMatchObject({ kind: "failure", state: "FAILURE", error: { type: "ResultBackendError" } });
    const forged = { $edgery_r2: "value/x/y", bytes: 3, sig: "not-a-signature" };
    const plain = taskMessage("q", "demo.identity", { args: [forged] });
    expect(await resolveArgs(noBucket, plain, JSON.stringify(plain))).toBeNull();
    expect(plain.args[0]).toEqual(forged);
  });

  it("GET /v1/results/:id returns the real value; forget removes it from the shard, D1 and R2", async () => {
    const id = uid("blob-api");
    const value = "z".repeat(1_100_000);
    const pointer = (await offloadResult(env, { ...DEFAULT_POLICY, r2Threshold: 1 }, id, { kind: "success", value })) as { value: R2Pointer };
    await resultStub(env, id).write([{ id, state: "SUCCESS", result: pointer.value, error: null, task: "demo.persist", date_done: Date.now(), expires_s: 60 }]);
    await flush(id);
    const read = await api("GET", `/v1/results/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.result).toHaveLength(1_100_000);
    expect(await bucket.head(pointer.value.$edgery_r2)).not.toBeNull();
    expect((await api("DELETE", `/v1/results/${id}`)).status).toBe(204);
    expect(await bucket.head(pointer.value.$edgery_r2)).toBeNull();
    expect(await new D1Backend(db).get(id)).toBeNull();
    expect((await api("GET", `/v1/results/${id}`)).body).toMatchObject({ id, state: "PENDING", result: null });
  });

  it("the shard's alarm deletes the R2 object of an expired (not persistent) large result", async () => {
    const id = uid("sweep");
    const stub = resultStub(env, id);
    const key = newValueKey(await valueKey(id));
    await bucket.put(key, JSON.stringify("v"));
    await stub.write([{ id, state: "SUCCESS", result: await makePointer(key, 3), error: null, task: "demo.identity", date_done: Date.now(), expires_s: 0 }]);
    expect(await bucket.head(key)).not.toBeNull();
    await alarmUntil(stub, async () => (await bucket.head(key)) === null);
    expect(await bucket.head(key)).toBeNull();
    expect(await runInDurableObject(stub, (_i: ResultDO, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM r2_objects WHERE id = ?", id).one().n)).toBe(0);
  });
});

describe("result_extended with arguments kept in R2", () => {
  /** A value offloaded as a previous step's consumer offloads it (owned by that step's id). */
  async function stored(value: unknown): Promise<R2Pointer> {
    const out = (await offloadResult(env, { ...DEFAULT_POLICY, r2Threshold: 1 }, uid("prev"), { kind: "success", value })) as { value: R2Pointer };
    return out.value;
  }

  it("args and kwargs that hold a signed pointer (a chain step's argument) read back as the values, from the shard, KV and D1", async () => {
    const id = uid("ext-args");
    const big = "a".repeat(2_100_000);
    const args = [await stored(big), 1];
    const kwargs = { k: await stored({ deep: "b".repeat(50_000) }) };
    await resultStub(env, id).write([{ id, state: "SUCCESS", result: 1, error: null, task: "demo.persist", queue: "default", worker: "w", args, kwargs, date_done: Date.now(), expires_s: 60 }]);
    await flush(id);
    const reads = [(await api("GET", `/v1/results/${id}`)).body, (await api("GET", `/v1/results/${id}`)).body, (await api("GET", `/v1/results/${id}?wait=1`)).body];
    const listed = (await api("GET", "/v1/results?task=demo.persist&limit=1000")).body.results.find((r: { id: string }) => r.id === id);
    for (const read of [...reads, listed]) {
      expect(JSON.stringify(read).includes("$edgery_r2")).toBe(false);
      expect(read.args[0]).toBe(big);
      expect(read.args[1]).toBe(1);
      expect(read.kwargs).toEqual({ k: { deep: "b".repeat(50_000) } });
    }
  });

  it("the consumer runs the task on the value but writes its extended result with the argument as sent (the pointer), which reads back as the value", async () => {
    const app = new App({ name: "ext" });
    app.task("ext.len", (_c, [s]) => String(s).length, { result_extended: true });
    const big = "c".repeat(2_100_000);
    const pointer = await stored(big);
    const m = taskMessage("q", "ext.len", { args: [pointer], kwargs: { p: pointer } });
    const leased = { lease: "l", deadline: Date.now() + 60_000, redelivered: false, message: m };
    const ran = await runDelivered(env, app, leased, new TaskAbort(), { updateState: async () => undefined, acknowledge: async () => undefined }, JSON.stringify(m));
    expect(ran.result).toEqual({ kind: "success", value: 2_100_000 });
    // The message keeps the pointer: the write ahead of the settle is as small as the settle's.
    expect(leased.message.args).toEqual([pointer]);
    const settings = runSettingsOf(app, m);
    const write = writeAhead(app, { item: { id: m.id, lease: "l", outcome: ran.result, worker: "w", startedAt: ran.startedAt, doneAt: ran.doneAt, resultExpires: 60 } satisfies SettleItem, message: leased.message, settings, leaseLost: false });
    expect(write).toMatchObject({ id: m.id, args: [pointer], kwargs: { p: pointer } });
    expect(JSON.stringify(write).length).toBeLessThan(2_000);
    await resultStub(env, m.id).write([write!]);
    const read = (await api("GET", `/v1/results/${m.id}`)).body;
    expect(JSON.stringify(read).includes("$edgery_r2")).toBe(false);
    expect(read).toMatchObject({ state: "SUCCESS", result: 2_100_000, kwargs: { p: big } });
    expect(read.args[0]).toBe(big);
  });

  it("an argument whose R2 object is gone is never shown as the pointer: args and kwargs are left out and args_unavailable says why", async () => {
    const id = uid("ext-gone");
    const gone = await makePointer(newValueKey(await valueKey(uid("none"))), 2_100_000);
    await resultStub(env, id).write([{ id, state: "SUCCESS", result: 1, error: null, task: "demo.persist", args: [gone], kwargs: { a: 1 }, date_done: Date.now(), expires_s: 60 }]);
    const read = (await api("GET", `/v1/results/${id}`)).body;
    expect(JSON.stringify(read).includes("$edgery_r2")).toBe(false);
    expect(read).not.toHaveProperty("args");
    expect(read).not.toHaveProperty("kwargs");
    expect(read.args_unavailable).toMatch(/R2/);
    expect(read).toMatchObject({ id, state: "SUCCESS", result: 1 });
  });

  it("a result whose own value's R2 object is gone reads result null with result_unavailable, never the pointer", async () => {
    const id = uid("value-gone");
    // The task's own key, signed, with no object behind it (expired and swept, or deleted).
    const pointer = await makePointer(newValueKey(await valueKey(id)), 2_100_000);
    await resultStub(env, id).write([{ id, state: "SUCCESS", result: pointer, error: null, task: "demo.persist", date_done: Date.now(), expires_s: 60 }]);
    for (const path of [`/v1/results/${id}`, `/v1/results/${id}?wait=1`]) {
      const read = (await api("GET", path)).body;
      expect(JSON.stringify(read).includes("$edgery_r2")).toBe(false);
      expect(read).toMatchObject({ id, state: "SUCCESS", result: null });
      expect(read.result_unavailable).toMatch(/R2.*gone/);
    }
  });

  it("a pointer-shaped argument that edgery did not sign is plain data and reads back as sent", async () => {
    const id = uid("ext-forged");
    const forged = { $edgery_r2: "value/x/y", bytes: 3, sig: "A".repeat(43) };
    await resultStub(env, id).write([{ id, state: "SUCCESS", result: 1, error: null, task: "demo.persist", args: [forged], kwargs: {}, date_done: Date.now(), expires_s: 60 }]);
    const read = (await api("GET", `/v1/results/${id}`)).body;
    expect(read.args).toEqual([forged]);
  });
});

/**
 * Runs a shard's alarm until `done` (at most 3 times): the shard is shared with other tests, its
 * alarm may be running already.
 */
async function alarmUntil(stub: ReturnType<typeof resultStub>, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3 && !(await done()); i++) {
    await runInDurableObject(stub, async (_i: ResultDO, state) => {
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(stub);
  }
}

describe("hostile pointers: a pointer-shaped value in user data is plain data", () => {
  /** A victim task's large value, offloaded as the consumer does; answers its signed pointer. */
  async function victim(): Promise<{ id: string; pointer: R2Pointer; value: string }> {
    const id = uid("victim");
    const value = "secret".repeat(200_000);
    const out = (await offloadResult(env, DEFAULT_POLICY, id, { kind: "success", value })) as { value: R2Pointer };
    return { id, pointer: out.value, value };
  }
  /** What an attacker can write: the shape, with the victim's key, without edgery's signature. */
  const forged = (key: string) => ({ $edgery_r2: key, bytes: 10, sig: "A".repeat(43) });
  const legacy = (key: string) => ({ $edgery_r2: key, bytes: 10 });

  it("a forged pointer in args or kwargs is passed to the task as it was sent, never read from R2", async () => {
    const v = await victim();
    const m = taskMessage("q", "demo.identity", { args: [forged(v.pointer.$edgery_r2), legacy(v.pointer.$edgery_r2)], kwargs: { k: forged(v.pointer.$edgery_r2) }, stamps: { s: forged(v.pointer.$edgery_r2) } });
    const sent = structuredClone(m);
    expect(await resolveArgs(env, m, JSON.stringify(m))).toBeNull();
    expect(m.args).toEqual(sent.args);
    expect(m.kwargs).toEqual(sent.kwargs);
  });

  it("a task's result shaped like a pointer reads back as that value; the victim's object is neither read nor swept", async () => {
    const v = await victim();
    const id = uid("attacker");
    // Even edgery's own signature on the victim's key does not make it this id's value.
    for (const [i, result] of [forged(v.pointer.$edgery_r2), legacy(v.pointer.$edgery_r2), v.pointer].entries()) {
      const rid = `${id}-${i}`;
      const shard = resultStub(env, rid);
      await shard.write([{ id: rid, state: "SUCCESS", result, error: null, task: "demo.identity", date_done: Date.now(), expires_s: 60 }]);
      const read = await api("GET", `/v1/results/${rid}`);
      expect(read.body.result).toEqual(result);
      // Its expiry comes: the shard sweeps what it listed for this id.
      await runInDurableObject(shard, (_i: ResultDO, state) => {
        state.storage.sql.exec("UPDATE results SET expires_at = 0 WHERE id = ?", rid);
        state.storage.sql.exec("UPDATE r2_objects SET expires_at = 0 WHERE id = ?", rid);
      });
      await alarmUntil(shard, async () => false);
    }
    const obj = await bucket.get(v.pointer.$edgery_r2);
    expect(obj).not.toBeNull();
    expect(JSON.parse(await obj!.text())).toBe(v.value);
  });

  it("reusing a task id never overwrites the earlier task's large value", async () => {
    const id = uid("reused");
    const first = (await offloadResult(env, DEFAULT_POLICY, id, { kind: "success", value: "1".repeat(DEFAULT_POLICY.r2Threshold + 1) })) as { value: R2Pointer };
    await offloadResult(env, DEFAULT_POLICY, id, { kind: "success", value: "2".repeat(DEFAULT_POLICY.r2Threshold + 1) });
    const m = taskMessage("q", "demo.identity", { args: [first.value] });
    expect(await resolveArgs(env, m, JSON.stringify(m))).toBeNull();
    expect((m.args[0] as string)[0]).toBe("1");
  });
});

describe("GET /v1/results (D1 query)", () => {
  it("lists a task's results newest first with cursor paging, and refuses bad parameters", async () => {
    const task = "demo.persist";
    const queue = uid("qq").slice(0, 40);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = uid(`q${i}`);
      ids.push(id);
      await resultStub(env, id).write([{ id, state: "SUCCESS", result: i, error: null, task, queue, date_done: 1_800_000_000_000 + i, expires_s: 60 }]);
      await flush(id);
    }
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await api("GET", `/v1/results?task=${task}&queue=${queue}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.results.map((r: { result: unknown }) => r.result));
      cursor = page.body.cursor;
    } while (cursor);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
    const bad = await api("GET", "/v1/results?limit=abc");
    expect(bad).toMatchObject({ status: 422, body: { error: { code: "invalid_request", path: "limit" } } });
    expect((await api("GET", "/v1/results?state=NOPE")).body.error.path).toBe("state");
    expect((await api("POST", "/v1/results")).status).toBe(405);
  });
});

describe("ResultDO: what a push to D1 reads", () => {
  it("D1_DUE_SQL reads the fresh and the due pending rows, not the thousands backed off during an outage; D1_LEFT_SQL reads one row", async () => {
    const stub = resultStub(env, uid("d1-due"));
    const now = Date.now();
    const got = await runInDurableObject(stub, (_i: ResultDO, state) => {
      const db = state.storage.sql;
      // 2,000 results refused by D1 during an outage, backed off an hour; one of them due again;
      // then three fresh ones (written since, never tried).
      for (let i = 0; i < 2000; i++) db.exec("INSERT INTO d1_pending (id, d1_expires, attempts, not_before) VALUES (?, NULL, 3, ?)", `late-${i}`, now + 3_600_000);
      db.exec("UPDATE d1_pending SET not_before = ? WHERE id = 'late-7'", now - 1);
      for (let i = 0; i < 3; i++) db.exec("INSERT INTO d1_pending (id, d1_expires) VALUES (?, NULL)", `fresh-${i}`);
      const due = db.exec<{ pid: string }>(D1_DUE_SQL, now, 100);
      const ids = due.toArray().map((r) => r.pid);
      const left = db.exec<{ at: number }>(D1_LEFT_SQL);
      const at = left.toArray()[0]?.at;
      const out = { ids, dueRead: due.rowsRead, at, leftRead: left.rowsRead };
      db.exec("DELETE FROM d1_pending");
      return out;
    });
    expect(got.ids).toEqual(["fresh-0", "fresh-1", "fresh-2", "late-7"]);
    expect(got.at).toBe(0);
    // `not_before <= ? ORDER BY rowid` over the table read all 2,003; COUNT(*) read them again.
    expect(got.dueRead).toBeLessThan(50);
    expect(got.leftRead).toBeLessThan(5);
  });
});
