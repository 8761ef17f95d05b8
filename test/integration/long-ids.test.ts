/**
 * Task ids too long for a KV key (KV takes at most 512 UTF-8 bytes; a task id may be 255
 * characters of any script, up to 1,020 bytes). Before, the cloudflare-queue broker's revoke of
 * such an id failed (KV 414), so the task ran, and forgetting its result answered 500 half done.
 * Now such a key names the id by its hash (src/runtime/kv-key.ts). An id longer than any task id
 * (MAX_TASK_ID_CHARS) names nothing: revoking it is answered as for an unknown id and remembered
 * nowhere (before, every queue stored it, and a peer app refused it).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeDirect } from "../../src/worker/direct-consumer";
import { CloudflareQueueBroker, type DirectBody } from "../../src/brokers/cloudflare-queue-broker";
import { KvBackend, readCached } from "../../src/results/kv-backend";
import { R2Backend } from "../../src/results/r2-backend";
import { offloadResult } from "../../src/results/offload";
import { resolveResult } from "../../src/results/read";
import { isPointer } from "../../src/results/pointer";
import { DEFAULT_POLICY } from "../../src/app/result-policy";
import { KV_KEY_MAX_BYTES, kvKey } from "../../src/runtime/kv-key";
import type { TaskResult } from "../../src/protocol";
import { MAX_TASK_ID_CHARS, pendingResult } from "../../src/protocol";
import { api, demoApp, queue, result, taskMessage } from "./helpers";

const Q = "direct";
const longId = (c: string) => `${c.repeat(254)}${crypto.randomUUID().slice(0, 1)}`;
const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

describe("KV keys of long task ids", () => {
  it("kvKey keeps a key that fits, and names a longer one by its hash, within KV's limit", async () => {
    expect(await kvKey("result:", "abc")).toBe("result:abc");
    const fits = "x".repeat(KV_KEY_MAX_BYTES - "result:".length);
    expect(await kvKey("result:", fits)).toBe(`result:${fits}`);
    const long = await kvKey("result:", `${fits}y`);
    expect(long).toMatch(/^result:#[0-9a-f]{64}$/);
    expect(await kvKey("result:", `${fits}y`)).toBe(long);
    expect(await kvKey("result:", `${fits}z`)).not.toBe(long);
    expect(bytes(await kvKey(`revoked:${"q".repeat(128)}:`, "✔".repeat(255)))).toBeLessThanOrEqual(KV_KEY_MAX_BYTES);
    // A name that looks like a hash is hashed too: no id kept as it is names another id's key.
    expect(await kvKey("result:", long.slice("result:".length))).not.toBe(long);
    expect(await kvKey("result:", "#short")).toMatch(/^result:#[0-9a-f]{64}$/);
  });

  it("a cloudflare-queue revoke of a 255-character non-ASCII id (765 bytes) ends that task REVOKED when the consumer reaches it", async () => {
    const long = taskMessage(Q, "demo.add", { id: longId("✔"), args: [1, 2] });
    const short = taskMessage(Q, "demo.add", { args: [3, 4] });
    const kept = taskMessage(Q, "demo.add", { args: [5, 6] });
    expect(bytes(long.id)).toBeGreaterThan(KV_KEY_MAX_BYTES);
    await new CloudflareQueueBroker(undefined as never, env.RESULTS_KV).revoke(Q, [long.id, short.id]);
    const body: DirectBody = { kind: "edgery.direct", queue: Q, tasks: [long, short, kept] };
    const run = await consumeDirect(env, demoApp(), body);
    expect(run).toMatchObject({ ran: 1, skipped: 2 });
    expect(await result(long.id)).toMatchObject({ state: "REVOKED" });
    expect(await result(short.id)).toMatchObject({ state: "REVOKED" });
    expect(await result(kept.id)).toMatchObject({ state: "SUCCESS", result: 11 });
  });

  it("a ready result of such an id is copied to KV, read back, and forgotten", async () => {
    const id = longId("é");
    const backend = new KvBackend(env);
    const r = { id, state: "SUCCESS", result: 7 } as unknown as TaskResult;
    await backend.cache(r, Date.now() + 3_600_000);
    expect(await readCached(env, id)).toMatchObject({ id, state: "SUCCESS", result: 7 });
    await backend.forget(id);
    expect(await readCached(env, id)).toBeNull();
  });

  it("an id of 255 four-byte characters (1,020 bytes: `result/` and `value/` keys past R2's 1,024) is stored, read and forgotten in R2 (the put threw), and its large value is offloaded and read back (it stayed inline after three failed puts)", async () => {
    const id = `${"😀".repeat(MAX_TASK_ID_CHARS - 1)}${String.fromCodePoint(0x1f600 + Math.floor(Math.random() * 50))}`;
    const bucket = env.RESULTS_R2!;
    await bucket.put("result/short-neighbour", "{}");
    const backend = new R2Backend(bucket);
    await backend.put([{ id, state: "SUCCESS", result: 7, error: null, task: "demo.add", date_done: Date.now(), expires_at: null } as never]);
    expect(await backend.get(id)).toMatchObject({ id, state: "SUCCESS", result: 7 });
    const value = "v".repeat(DEFAULT_POLICY.r2Threshold + 10);
    const out = (await offloadResult(env, DEFAULT_POLICY, id, { kind: "success", value })) as { kind: string; value: unknown };
    expect(isPointer(out.value)).toBe(true);
    expect(await bucket.head((out.value as { $edgery_r2: string }).$edgery_r2)).not.toBeNull();
    const read = await resolveResult(env, { ...pendingResult(id), state: "SUCCESS", result: out.value });
    expect(read.result).toBe(value);
    await backend.forget(id);
    expect(await backend.get(id)).toBeNull();
    expect(await bucket.head((out.value as { $edgery_r2: string }).$edgery_r2)).toBeNull();
    expect(await bucket.head("result/short-neighbour")).not.toBeNull();
  });

  it("revoking an id longer than any task id answers PENDING and no queue remembers it; one of the longest allowed is remembered", async () => {
    const tooLong = "b".repeat(MAX_TASK_ID_CHARS + 1);
    const longest = `${"c".repeat(MAX_TASK_ID_CHARS - 8)}${crypto.randomUUID().slice(0, 8)}`;
    for (const id of [tooLong, longest]) {
      const res = await api("POST", `/v1/results/${encodeURIComponent(id)}/revoke`, {});
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ id, state: "PENDING" });
    }
    const remembered = await runInDurableObject(queue("default"), (_instance, state) =>
      state.storage.sql.exec<{ id: string }>("SELECT id FROM revoked WHERE id IN (?, ?)", tooLong, longest).toArray().map((r) => r.id),
    );
    expect(remembered).toEqual([longest]);
  });
});
