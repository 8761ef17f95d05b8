/**
 * A queue's ending of a begun task (revoked with terminate) against a result its consumer wrote
 * ahead of its settle (src/worker/pre-write.ts): the shard keeps the first final result, and the
 * follow-ups must be that result's, not the ending's beside it (EndingEffect, src/canvas/effects.ts).
 * The test plays the consumer: it begins the task and writes its result as the consumer would.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ownResultWrite } from "../../src/canvas/effects";
import { resultStub } from "../../src/runtime/stubs";
import { stamped } from "../../src/protocol/outcome";
import { beginItem, onlyLease, planned, queue, result, rows, sql, uid } from "./helpers";

/** A chain demo.add(1, 1) → demo.add(10) on a fresh queue, its first step leased and begun. */
async function begunChain() {
  const q = uid("q-claim");
  const nextId = crypto.randomUUID();
  const p = planned({
    task: "celery.chain",
    subtask_type: "chain",
    kwargs: { tasks: [{ task: "demo.add", args: [1, 1], options: { queue: q } }, { task: "demo.add", args: [10], options: { queue: q, task_id: nextId } }] },
  });
  const first = p.messages[0]!;
  expect(p.messages).toHaveLength(1);
  await queue(q).enqueue([first]);
  const leased = await onlyLease(q);
  expect(await queue(q).begin([beginItem(leased.lease!, first.id)])).toEqual([{ lease: leased.lease, action: "run" }]);
  return { q, first, nextId, lease: leased.lease! };
}

describe("terminate against a result written ahead", () => {
  it("the consumer wrote SUCCESS before the terminate: the result stays SUCCESS and the chain goes on with it (not REVOKED)", async () => {
    const { q, first, nextId, lease } = await begunChain();
    const now = Date.now();
    const write = ownResultWrite(first, stamped({ kind: "success", value: 2 }, { worker: "itest", startedAt: now, doneAt: now }), 3600)!;
    await resultStub(env, first.id).write([write]);
    expect(await queue(q).revoke([first.id], true)).toEqual({ revoked: [first.id] });
    expect((await queue(q).settle([{ lease, id: first.id, outcome: { kind: "success", value: 2 }, worker: "itest", startedAt: now, doneAt: now, resultExpires: 3600, stored: true }])).refused).toEqual([first.id]);
    expect(await result(first.id, q)).toMatchObject({ state: "SUCCESS", result: 2 });
    // The chain's next step was enqueued with the written result, and did not end REVOKED.
    const next = (await rows(q)).find((r) => r.id === nextId);
    expect(next).toBeDefined();
    expect(JSON.parse(next!.body)).toMatchObject({ id: nextId, task: "demo.add", args: [2, 10], parent_id: first.id });
    expect(await result(nextId, q)).toBeNull();
  });

  it("the consumer wrote FAILURE before the terminate: the chain's rest fails with that error, not TaskRevokedError", async () => {
    const { q, first, nextId } = await begunChain();
    const now = Date.now();
    const error = { type: "DemoError", message: "broke first" };
    await resultStub(env, first.id).write([ownResultWrite(first, stamped({ kind: "failure", state: "FAILURE", error }, { worker: "itest", startedAt: now, doneAt: now }), 3600)!]);
    await queue(q).revoke([first.id], true);
    expect(await result(first.id, q)).toMatchObject({ state: "FAILURE", error });
    expect(await result(nextId, q)).toMatchObject({ state: "FAILURE", error });
  });

  it("nothing written ahead: the terminate's REVOKED stands, and the chain's rest is REVOKED with it", async () => {
    const { q, first, nextId } = await begunChain();
    await queue(q).revoke([first.id], true);
    expect(await result(first.id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError", message: "the task was terminated" } });
    expect(await result(nextId, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
    expect((await rows(q)).map((r) => r.id)).toEqual([]);
  });

  it("a worker taken for lost after it wrote SUCCESS ahead: the alarm's WorkerLostError does not fail the chain", async () => {
    const { q, first, nextId } = await begunChain();
    const now = Date.now();
    await resultStub(env, first.id).write([ownResultWrite(first, stamped({ kind: "success", value: 2 }, { worker: "itest", startedAt: now, doneAt: now }), 3600)!]);
    // Its worker went silent: the lease's deadline passed (demo.add is not acks_late: lost, not delivered again).
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, first.id);
    expect(await runDurableObjectAlarm(queue(q))).toBe(true);
    expect(await result(first.id, q)).toMatchObject({ state: "SUCCESS", result: 2 });
    const next = (await rows(q)).find((r) => r.id === nextId);
    expect(JSON.parse(next!.body)).toMatchObject({ id: nextId, args: [2, 10] });
  });
});
