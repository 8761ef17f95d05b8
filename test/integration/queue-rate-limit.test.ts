/**
 * Rate limits at dispatch (Celery's `rate_limit`): with "1/h", one message of a bucket is leased
 * and the others wait as delayed messages, each with its own slot an hour apart; a separate
 * `rate_limit_key` value is a separate bucket; a message without a limit is not held up.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, queue, rows, taskMessage, uid } from "./helpers";

describe("QueueDO rate limits", () => {
  it("'1/h': one leased now, the rest delayed an hour apart; other buckets and unlimited tasks go", async () => {
    const q = uid("q-rate");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const limited = [0, 1, 2].map(() => taskMessage(q, "demo.noop", { options: { rate_limit: "1/h" } }));
    const otherTenant = taskMessage(q, "demo.noop", { options: { rate_limit: "1/h", rate_limit_key: "tenant" }, stamps: { tenant: "globex" } });
    const sameTenant = taskMessage(q, "demo.noop", { options: { rate_limit: "1/h", rate_limit_key: "tenant" }, stamps: { tenant: "acme" } });
    const sameTenant2 = taskMessage(q, "demo.noop", { options: { rate_limit: "1/h", rate_limit_key: "tenant" }, stamps: { tenant: "acme" } });
    const free = taskMessage(q, "demo.noop");
    const before = Date.now();
    await stub.enqueue([...limited, otherTenant, sameTenant, sameTenant2, free]);
    await stub.configure(q, { paused: false });

    const byId = new Map((await rows(q)).map((r) => [r.id, r]));
    const state = (id: string) => byId.get(id)?.state;
    expect(limited.map((m) => state(m.id))).toStrictEqual(["leased", "delayed", "delayed"]);
    const etas = limited.slice(1).map((m) => byId.get(m.id)!.eta!);
    expect(etas[0]! - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(etas[1]! - etas[0]!).toBe(3_600_000);
    expect([state(otherTenant.id), state(sameTenant.id), state(sameTenant2.id)]).toStrictEqual(["leased", "leased", "delayed"]);
    expect(state(free.id)).toBe("leased");
    expect((await stub.stats(q)).delayed).toBe(3);
  });

  it("a shard of a queue of 4 shards spaces a bucket 4 times as far apart: the queue as a whole keeps its rate (each shard kept the whole rate: 4 times it)", async () => {
    const q = uid("q-rate-shard");
    const stub = queue(q);
    await stub.configure(q, { paused: true }, 4);
    const limited = [0, 1, 2].map(() => taskMessage(q, "demo.noop", { options: { rate_limit: "1/h" } }));
    await stub.enqueue(limited, 4);
    await stub.configure(q, { paused: false }, 4);
    const byId = new Map((await rows(q)).map((r) => [r.id, r]));
    expect(limited.map((m) => byId.get(m.id)?.state)).toStrictEqual(["leased", "delayed", "delayed"]);
    const etas = limited.slice(1).map((m) => byId.get(m.id)!.eta!);
    expect(etas[1]! - etas[0]!).toBe(4 * 3_600_000);
  });

  it("a bucket's clock outlives the object's memory: after an eviction the next task still waits its turn", async () => {
    const q = uid("q-rate-evict");
    const stub = queue(q);
    const first = taskMessage(q, "demo.noop", { options: { rate_limit: "1/h" } });
    await stub.enqueue([first]);
    expect((await rows(q)).find((r) => r.id === first.id)?.state).toBe("leased");
    // As if the object had been evicted: its in-memory clocks are gone, its storage is not.
    await runInDurableObject(stub, (instance) => (instance as unknown as { rateClocks: Map<string, number> }).rateClocks.clear());
    const second = taskMessage(q, "demo.noop", { options: { rate_limit: "1/h" } });
    const before = Date.now();
    await stub.enqueue([second]);
    const row = (await rows(q)).find((r) => r.id === second.id);
    expect(row?.state).toBe("delayed");
    expect(row!.eta! - before).toBeGreaterThan(3_600_000 - 60_000);
  });

  it("a bucket clock left centuries ahead (by a rate slower than one a day, no longer accepted) holds nothing back", async () => {
    const q = uid("q-rate-far");
    const stub = queue(q);
    await stub.stats(q);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("INSERT INTO rate_clocks (bucket, next_at) VALUES ('demo.noop', ?)", 1e303);
    });
    const m = taskMessage(q, "demo.noop", { options: { rate_limit: "1000/s" } });
    await stub.enqueue([m]);
    expect((await rows(q)).find((r) => r.id === m.id)?.state).toBe("leased");
  });

  it("GET /v1/inspect/scheduled reads an eta past what a Date holds as the latest date, not a 500", async () => {
    const q = uid("q-rate-inspect");
    const m = taskMessage(q, "demo.noop", { eta: Date.now() + 3_600_000 });
    await queue(q).enqueue([m]);
    await runInDurableObject(queue(q), (_instance, state) => {
      state.storage.sql.exec("UPDATE messages SET eta = ? WHERE id = ?", 1e303, m.id);
    });
    const res = await api("GET", `/v1/inspect/scheduled?queue=${q}`);
    expect(res.status).toBe(200);
    expect(res.body.tasks).toEqual([expect.objectContaining({ id: m.id, eta: "+275760-09-13T00:00:00.000Z" })]);
  });
});
