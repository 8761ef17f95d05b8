/**
 * An apply that took an idempotency key and crashed before committing it (the server killed
 * between its enqueue and its commit): the claim goes stale at IDEMPOTENCY_PENDING_S, and the
 * resend with the key must not send the tasks again when the first apply's went through. The
 * test plays the crashed apply: it takes the key, enqueues (or not) what that apply sent, and
 * makes the claim stale.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { idempotencyStub, resultStub } from "../../src/runtime/stubs";
import { api, planned, queue, rows, uid } from "./helpers";

/** A crashed apply of demo.add(1, 2) with key `key` on paused queue `q`: its message, its claim stale. */
async function crashedApply(key: string, q: string, enqueued: boolean) {
  await queue(q).configure(q, { paused: true });
  const p = planned({ task: "demo.add", args: [1, 2], options: { queue: q, idempotency_key: key } });
  const m = p.messages[0]!;
  const stub = idempotencyStub(env, key);
  expect(await stub.claim(p.handles[0]!, 3600, [[m.id, q]])).toEqual({ kind: "fresh" });
  if (enqueued) await queue(q).enqueue([m]);
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec("UPDATE claim SET until = ?", Date.now() - 1);
  });
  return m;
}

/** The resend of the crashed apply: the same call with the same key. */
const resend = (key: string, q: string) => api("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { queue: q, idempotency_key: key } });

describe("an idempotency key whose apply crashed while pending", () => {
  it("its tasks were enqueued: the resend answers the first handle and sends nothing (it ran them twice)", async () => {
    const key = uid("crashed-key");
    const q = uid("q-idem");
    const m = await crashedApply(key, q, true);
    const res = await resend(key, q);
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(m.id);
    expect((await rows(q)).map((r) => r.id)).toEqual([m.id]);
    // The key is committed now: another resend answers the same.
    const again = await resend(key, q);
    expect(again.body.id).toBe(m.id);
    expect((await rows(q)).map((r) => r.id)).toEqual([m.id]);
  });

  it("its tasks never reached a queue: the resend is applied afresh", async () => {
    const key = uid("crashed-key");
    const q = uid("q-idem");
    const m = await crashedApply(key, q, false);
    const res = await resend(key, q);
    expect(res.status).toBe(202);
    expect(res.body.id).not.toBe(m.id);
    expect((await rows(q)).map((r) => r.id)).toEqual([res.body.id]);
  });

  it("its tasks already ran (a result, no queue row): the resend answers the first handle", async () => {
    const key = uid("crashed-key");
    const q = uid("q-idem");
    // Ran and ended: its row is gone from the queue, its result is stored.
    const m = await crashedApply(key, q, false);
    await resultStub(env, m.id).write([{ id: m.id, state: "SUCCESS", result: 3, task: "demo.add", queue: q }]);
    expect(await rows(q)).toEqual([]);
    const res = await resend(key, q);
    expect(res.body.id).toBe(m.id);
    expect(await rows(q)).toEqual([]);
  });
});
