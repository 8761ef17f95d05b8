/**
 * Result expiry (contract, second release): after `result_expires` a result reads PENDING on
 * every read path, a copy in KV included; a copy carries the time its result has left (or is not
 * made, under KV's 60 s minimum); group records live as long as their members' results.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resultStub } from "../../src/runtime/stubs";
import { readGroup, readResult } from "../../src/results/read";
import { KV_PREFIX, copyTtlS } from "../../src/results/kv-backend";
import { applyCanvases } from "../../src/apply/apply";
import { App } from "../../src/app/app";
import { parseSignature } from "../../src/protocol";
import { drain, uid, until } from "./helpers";

/** Reads a result as the API does; waits for the background KV copy it may start. */
async function plainRead(id: string) {
  const copies: Array<Promise<unknown>> = [];
  const r = await readResult(env, id, 0, (p) => copies.push(p));
  await Promise.all(copies);
  return r;
}

/** Moves a stored result's expiry (the DO's clock is real: this is "time has passed"). */
async function setExpiry(id: string, at: number): Promise<void> {
  await runInDurableObject(resultStub(env, id), (_i, state) => {
    state.storage.sql.exec("UPDATE results SET expires_at = ? WHERE id = ?", at, id);
  });
}

async function writeReady(id: string, expiresS: number): Promise<void> {
  await resultStub(env, id).write([{ id, state: "SUCCESS", result: 7, error: null, task: "x.t", expires_s: expiresS }]);
}

describe("copyTtlS", () => {
  it("the time left, at most an hour; none under KV's 60 s minimum", () => {
    const now = 1_000_000;
    expect(copyTtlS(now + 90_500, now)).toBe(90);
    expect(copyTtlS(now + 10 * 3600_000, now)).toBe(3600);
    expect(copyTtlS(now + 59_999, now)).toBeNull();
    expect(copyTtlS(now - 1, now)).toBeNull();
    expect(copyTtlS(null, now)).toBe(3600);
  });
});

describe("result expiry on every read path", () => {
  it("result_expires 1: SUCCESS at first, no KV copy made, PENDING once the second is up", async () => {
    const id = uid("exp-short");
    await writeReady(id, 1);
    expect(await plainRead(id)).toMatchObject({ state: "SUCCESS", result: 7 });
    expect(await env.RESULTS_KV.get(KV_PREFIX + id)).toBeNull();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await plainRead(id)).state).toBe("PENDING");
    expect((await readResult(env, id, 100, () => undefined)).state).toBe("PENDING");
  });

  it("a KV copy carries its result's expiry and is not served past it", async () => {
    const id = uid("exp-copy");
    await writeReady(id, 300);
    expect((await plainRead(id)).state).toBe("SUCCESS");
    const copy = await env.RESULTS_KV.get<Record<string, unknown>>(KV_PREFIX + id, "json");
    expect(copy).toMatchObject({ id, state: "SUCCESS" });
    const until = copy!["__expires_at"] as number;
    expect(until).toBeGreaterThan(Date.now());
    // Served from KV while the result lives, without the bookkeeping field.
    const served = await plainRead(id);
    expect(served).toMatchObject({ id, state: "SUCCESS", result: 7 });
    expect(served).not.toHaveProperty("__expires_at");
    // Time passes: the shard's row and the copy's own expiry are both past.
    await setExpiry(id, Date.now() - 1);
    await env.RESULTS_KV.put(KV_PREFIX + id, JSON.stringify({ ...copy, __expires_at: Date.now() - 1 }));
    expect((await plainRead(id)).state).toBe("PENDING");
    expect((await readResult(env, id, 100, () => undefined)).state).toBe("PENDING");
  });
});

describe("group records follow their members", () => {
  const app = new App({ name: "t" }).task("short.t", () => 1, { result_expires: 1 }).task("long.t", () => 1, { result_expires: 5000 });

  async function groupExpiry(gid: string): Promise<number> {
    return runInDurableObject(resultStub(env, gid), (_i, state) => state.storage.sql.exec<{ e: number }>("SELECT expires_at AS e FROM groups WHERE id = ?", gid).one().e);
  }

  it("a group lives as long as its longest-lived member's result_expires, not a fixed day", async () => {
    const q = uid("q-grp");
    const short = { task: "celery.group", kwargs: { tasks: [{ task: "short.t", options: { queue: q } }, { task: "short.t", options: { queue: q } }] } };
    const long = { task: "celery.group", kwargs: { tasks: [{ task: "short.t", options: { queue: q } }, { task: "long.t", options: { queue: q } }] } };
    const before = Date.now();
    const [hs] = await applyCanvases(env, app, [{ canvas: parseSignature(short), path: "" }]);
    const [hl] = await applyCanvases(env, app, [{ canvas: parseSignature(long), path: "" }]);
    await drain(q);
    const after = Date.now();
    expect(await groupExpiry(hs!.id)).toBeLessThanOrEqual(after + 1000);
    const longAt = await groupExpiry(hl!.id);
    expect(longAt).toBeGreaterThanOrEqual(before + 5000 * 1000);
    expect(longAt).toBeLessThanOrEqual(after + 5000 * 1000);
  });

  it("a group of 1 s members is unknown once they expired", async () => {
    const q = uid("q-grp");
    const sig = { task: "celery.group", kwargs: { tasks: [{ task: "short.t", options: { queue: q } }] } };
    const [h] = await applyCanvases(env, app, [{ canvas: parseSignature(sig), path: "" }]);
    expect(await readGroup(env, h!.id, 0)).not.toBeNull();
    await until(async () => ((await groupExpiry(h!.id)) <= Date.now() ? true : (await new Promise((r) => setTimeout(r, 100)), undefined)));
    expect(await readGroup(env, h!.id, 0)).toBeNull();
  });
});
