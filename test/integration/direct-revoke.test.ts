/**
 * Revokes on the `cloudflare-queue` broker (src/brokers/cloudflare-queue-broker.ts), in the real
 * KV of workerd. A revoke of several ids is one KV write per chunk of names, not one per id:
 * before, a group of 5,000 made 5,000 puts (6.4 s locally, and past the 1,000 KV calls a Worker
 * invocation may make when deployed), and the consumer's list read at most 10,000 keys, so the
 * ids of a third such group were never seen and their tasks ran.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeDirect } from "../../src/worker/direct-consumer";
import { CloudflareQueueBroker, isRevokedIn, revokedIn, type DirectBody } from "../../src/brokers/cloudflare-queue-broker";
import { demoApp, result, taskMessage } from "./helpers";

/** A queue of its own per test: KV keeps what earlier tests of this file wrote. */
const freshQueue = () => `direct-${crypto.randomUUID()}`;
const broker = () => new CloudflareQueueBroker(undefined as never, env.RESULTS_KV);

async function keysUnder(prefix: string): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  for (;;) {
    const res = await env.RESULTS_KV!.list(cursor ? { prefix, cursor } : { prefix });
    n += res.keys.length;
    if (res.list_complete) return n;
    cursor = res.cursor;
  }
}

describe("cloudflare-queue revoke", () => {
  it("a revoke of 3,000 ids is one KV key, and every id reads revoked (and no other)", async () => {
    const Q = freshQueue();
    const ids = Array.from({ length: 3000 }, (_, i) => `grp-${i}-${crypto.randomUUID()}`);
    await broker().revoke(Q, ids);
    expect(await keysUnder(`revoked:${Q}:`)).toBe(1);
    const revoked = await revokedIn(env.RESULTS_KV, Q);
    expect(revoked.size).toBe(3000);
    for (const id of [ids[0]!, ids[1234]!, ids[2999]!]) expect(await isRevokedIn(revoked, Q, id)).toBe(true);
    expect(await isRevokedIn(revoked, Q, "not-revoked")).toBe(false);
    // Another queue's list holds none of them.
    expect((await revokedIn(env.RESULTS_KV, "other")).size).toBe(0);
  });

  it("ids past the 10,000 keys one list reads are still seen: three revokes of 5,000 end every task REVOKED", async () => {
    const Q = freshQueue();
    const groups = Array.from({ length: 3 }, (_, g) => Array.from({ length: 5000 }, (_, i) => `g${g}-${i}-${crypto.randomUUID()}`));
    for (const ids of groups) await broker().revoke(Q, ids);
    const last = groups[2]!;
    const revokedTask = taskMessage(Q, "demo.add", { id: last[4999]!, args: [1, 2] });
    const kept = taskMessage(Q, "demo.add", { args: [5, 6] });
    const body: DirectBody = { kind: "edgery.direct", queue: Q, tasks: [revokedTask, kept] };
    expect(await consumeDirect(env, demoApp(), body)).toMatchObject({ ran: 1, skipped: 1 });
    expect(await result(revokedTask.id)).toMatchObject({ state: "REVOKED" });
    expect(await result(kept.id)).toMatchObject({ state: "SUCCESS", result: 11 });
  });

  it("single revokes and a chunk read together; a long non-ASCII id in a chunk is found by its hash", async () => {
    const Q = freshQueue();
    const long = taskMessage(Q, "demo.add", { id: `${"✔".repeat(254)}x`, args: [1, 1] });
    const one = taskMessage(Q, "demo.add", { args: [2, 2] });
    const dup = taskMessage(Q, "demo.add", { args: [3, 3] });
    const kept = taskMessage(Q, "demo.add", { args: [4, 4] });
    await broker().revoke(Q, [one.id]);
    // A repeated id is written once.
    await broker().revoke(Q, [long.id, dup.id, dup.id]);
    expect(await keysUnder(`revoked:${Q}:`)).toBe(2);
    expect((await revokedIn(env.RESULTS_KV, Q)).size).toBe(3);
    const body: DirectBody = { kind: "edgery.direct", queue: Q, tasks: [long, one, dup, kept] };
    expect(await consumeDirect(env, demoApp(), body)).toMatchObject({ ran: 1, skipped: 3 });
    for (const m of [long, one, dup]) expect(await result(m.id)).toMatchObject({ state: "REVOKED" });
    expect(await result(kept.id)).toMatchObject({ state: "SUCCESS", result: 8 });
  });

  it("an id whose name looks like a chunk key is an id of its own, and cannot overwrite a chunk", async () => {
    const Q = freshQueue();
    await broker().revoke(Q, ["a", "b"]);
    const [chunkKey] = (await env.RESULTS_KV!.list({ prefix: `revoked:${Q}:` })).keys.map((k) => k.name);
    const forged = chunkKey!.slice(`revoked:${Q}:`.length);
    await broker().revoke(Q, [forged]);
    const revoked = await revokedIn(env.RESULTS_KV, Q);
    expect(await isRevokedIn(revoked, Q, "a")).toBe(true);
    expect(await isRevokedIn(revoked, Q, "b")).toBe(true);
    expect(await isRevokedIn(revoked, Q, forged)).toBe(true);
    expect(await keysUnder(`revoked:${Q}:`)).toBe(2);
  });
});
