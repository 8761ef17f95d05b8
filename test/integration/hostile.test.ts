/**
 * Hostile and unlucky inputs against the real Durable Objects: idempotency keys under races and
 * failed applies (IdempotencyDO), the directory of queues (idle, empty queues leave it), revokes
 * that tolerate a damaged queue, and rate-limit clocks that do not pile up.
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { directoryStub, idempotencyStub } from "../../src/runtime/stubs";
import type { QueueDO } from "../../durable-objects/queue-do";
import type { IdempotencyDO } from "../../durable-objects/idempotency-do";
import type { Handle } from "../../src/protocol";
import { pruneClocks } from "../../src/runtime/rate-limit";
import { QUEUE_SCHEMA } from "../../durable-objects/queue-schema";
import { api, idleOut, queue, rows, taskMessage, uid } from "./helpers";


const handle = (id: string): Handle => ({ id, kind: "task" }) as Handle;

describe("idempotency keys: a claim counts once its enqueue went through", () => {
  it("a second apply does not get the handle of a first one still enqueueing; it waits and, once that fails, applies itself", async () => {
    const key = uid("idem");
    const claim = idempotencyStub(env, key);
    // A first apply between claim and enqueue.
    expect(await claim.claim(handle("first"), 60)).toEqual({ kind: "fresh" });
    const q = uid("q-idem");
    const second = api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });
    // The first apply fails: its key goes back, and the waiting one goes on with its own handle.
    await new Promise((r) => setTimeout(r, 50));
    await claim.release("first");
    const got = await second;
    expect(got.status).toBe(202);
    expect(got.body.id).not.toBe("first");
    expect((await rows(q)).map((r) => r.id)).toEqual([got.body.id]);
    // From now on the key answers that handle.
    const third = await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });
    expect(third.body).toEqual(got.body);
    expect(await rows(q)).toHaveLength(1);
  });

  it("a duplicate waiting on a first apply that commits gets the first's handle", async () => {
    const key = uid("idem");
    const claim = idempotencyStub(env, key);
    expect(await claim.claim(handle("first"), 60)).toEqual({ kind: "fresh" });
    const waiting = claim.claim(handle("second"), 60);
    await claim.commit("first");
    expect(await waiting).toEqual({ kind: "done", handle: handle("first") });
  });

  it("a duplicate is told 409 idempotency_in_progress when the first stays pending past the wait", async () => {
    const key = uid("idem");
    const claim = idempotencyStub(env, key);
    expect(await claim.claim(handle("first"), 60)).toEqual({ kind: "fresh" });
    // The wait is up at once: the claim's first check finds the deadline passed.
    await runInDurableObject(claim, async (instance: IdempotencyDO) => {
      const real = Date.now;
      const t0 = real();
      let calls = 0;
      Date.now = () => (calls++ === 0 ? t0 : t0 + 11_000);
      try {
        expect(await instance.claim(handle("second"), 60)).toEqual({ kind: "busy" });
      } finally {
        Date.now = real;
      }
    });
  });

  it("a key held by an apply that crashed between claim and enqueue is free again after the pending time", async () => {
    const key = uid("idem");
    const claim = idempotencyStub(env, key);
    expect(await claim.claim(handle("crashed"), 60)).toEqual({ kind: "fresh" });
    await runInDurableObject(claim, (_i: IdempotencyDO, state) => {
      state.storage.sql.exec("UPDATE claim SET until = ?", Date.now() - 1);
    });
    expect(await claim.claim(handle("next"), 60)).toEqual({ kind: "fresh" });
  });

  it("a failed apply (queue full: 503) releases its key: the same key then applies for real", async () => {
    const q = uid("q-full");
    const key = uid("idem");
    await queue(q).configure(q, { max_waiting: 1 });
    await queue(q).enqueue([taskMessage(q, "demo.add")]);
    const refused = await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });
    expect(refused.status).toBe(503);
    await queue(q).configure(q, { max_waiting: 10 });
    const ok = await api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });
    expect(ok.status).toBe(202);
    expect((await rows(q)).map((r) => r.id)).toContain(ok.body.id);
  });
});

describe("the directory of queues", () => {
  it("lists a queue on its first enqueue and takes it off once it is idle and empty; an enqueue lists it again", async () => {
    const q = uid("q-dir");
    const m = taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 });
    await queue(q).enqueue([m]);
    expect(await directoryStub(env).listQueues()).toContain(q);
    // Its idle time is up (the alarm it set for then is run now).
    expect(await idleOut(q, m.id)).toBe(true);
    expect(await directoryStub(env).listQueues()).not.toContain(q);
    await queue(q).enqueue([taskMessage(q, "demo.add")]);
    expect(await directoryStub(env).listQueues()).toContain(q);
  });

  it("a queue with settings of its own, or that holds messages, stays listed however idle", async () => {
    const q = uid("q-kept");
    await queue(q).enqueue([taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 })]);
    await runInDurableObject(queue(q), async (instance: QueueDO, state) => {
      (instance as unknown as { listing: { lastActive: number } }).listing.lastActive = 0;
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(queue(q));
    expect(await directoryStub(env).listQueues()).toContain(q);
  });

  it("one damaged queue does not fail a revoke, the queue listing or the metrics", async () => {
    const damaged = uid("q-damaged");
    await queue(damaged).enqueue([taskMessage(damaged, "demo.add", { eta: Date.now() + 3_600_000 })]);
    await runInDurableObject(queue(damaged), (_i: QueueDO, state) => {
      state.storage.sql.exec("DROP TABLE revoked");
      state.storage.sql.exec("DROP TABLE messages");
    });
    const q = uid("q-ok");
    const m = taskMessage(q, "demo.add", { eta: Date.now() + 3_600_000 });
    await queue(q).enqueue([m]);
    const revoked = await api("POST", `/v1/results/${m.id}/revoke`, {});
    expect(revoked.status).toBe(202);
    expect(revoked.body).toEqual({ id: m.id, state: "REVOKED" });
    expect(await rows(q)).toHaveLength(0);
    expect((await api("GET", "/v1/queues")).status).toBe(200);
    expect((await SELF.fetch("https://edgery.test/v1/metrics", { headers: { authorization: "Bearer test-token" } })).status).toBe(200);
    expect((await api("GET", "/v1/dead-letters")).status).toBe(200);
    // Repaired, so that it troubles no other test.
    await runInDurableObject(queue(damaged), (_i: QueueDO, state) => state.storage.sql.exec(QUEUE_SCHEMA));
  });
});

describe("rate-limit clocks", () => {
  it("clocks whose time has passed are dropped from memory; a full cache is emptied (storage keeps every clock)", () => {
    const clocks = new Map<string, number>([["a", 5], ["b", 10], ["c", 20]]);
    pruneClocks(clocks, 10);
    expect([...clocks]).toEqual([["c", 20]]);
    const many = new Map(Array.from({ length: 5 }, (_, i) => [`k${i}`, 100 + i] as [string, number]));
    pruneClocks(many, 10, 5);
    expect(many.size).toBe(0);
  });

  it("the queue's alarm drops past clocks from storage and from memory", async () => {
    const q = uid("q-clocks");
    const msgs = Array.from({ length: 20 }, (_, i) => taskMessage(q, "demo.add", { options: { rate_limit: "1/s", rate_limit_key: "user" }, kwargs: { user: `u${i}` } }));
    await queue(q).enqueue(msgs);
    await queue(q).drain();
    const before = await runInDurableObject(queue(q), (instance: QueueDO, state) => ({
      mem: (instance as unknown as { rateClocks: Map<string, number> }).rateClocks.size,
      stored: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM rate_clocks").one().n,
    }));
    expect(before).toEqual({ mem: 20, stored: 20 });
    // Their next turns (1 s on, so that no alarm of a slow run drops them before they are
    // counted) are past: the next alarm drops them.
    await new Promise((r) => setTimeout(r, 1_100));
    await runInDurableObject(queue(q), async (_i: QueueDO, state) => {
      await state.storage.setAlarm(Date.now());
    });
    await runDurableObjectAlarm(queue(q));
    const after = await runInDurableObject(queue(q), (instance: QueueDO, state) => ({
      mem: (instance as unknown as { rateClocks: Map<string, number> }).rateClocks.size,
      stored: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM rate_clocks").one().n,
    }));
    expect(after).toEqual({ mem: 0, stored: 0 });
  });
});
