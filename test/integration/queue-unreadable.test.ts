/**
 * A row whose stored message cannot be read (damaged storage; nothing edgery writes, and the
 * broker endpoint refuses a forged message) never stops its queue: whatever reads it (the alarm,
 * a dispatch, a settle, a revoke) deletes it and ends its task FAILURE InvalidTaskError, and goes
 * on with the rest; a consumer leaves it out of its delivery and runs the others. Each test failed
 * before: the alarm, the settle and the dispatch threw on the row, and the consumer dropped the
 * whole delivery.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/demo/worker";
import type { DeliveryBody } from "../../src/protocol/message";
import { beginItem, deliveryOf, queue, result, row, rows, sql, success, taskMessage, uid } from "./helpers";

/** What damaged rows hold instead of a task message. */
const DAMAGED = ["not json", "{}", '{"id":"x","task":"demo.noop"}', "[1,2]", "null"];

const invalid = { state: "FAILURE", error: { type: "InvalidTaskError" } };

async function leasedPair(prefix: string) {
  const q = uid(prefix);
  const bad = taskMessage(q, "demo.noop");
  const good = taskMessage(q, "demo.add", { args: [2, 3] });
  await queue(q).enqueue([bad, good]);
  const leased = await rows(q);
  expect(leased.map((r) => r.state)).toEqual(["leased", "leased"]);
  return { q, bad, good, leases: new Map(leased.map((r) => [r.id, r.lease!])) };
}

describe("a row whose message cannot be read", () => {
  for (const body of DAMAGED) {
    it(`the alarm ends it (body ${JSON.stringify(body)}) and handles the other expired lease`, async () => {
      const { q, bad, good } = await leasedPair("q-unreadable-alarm");
      await sql(q, "UPDATE messages SET body = ? WHERE id = ?", body, bad.id);
      await sql(q, "UPDATE messages SET deadline = ?", Date.now() - 1);
      expect(await runDurableObjectAlarm(queue(q))).toBe(true);
      expect(await row(q, bad.id)).toBeUndefined();
      expect(await result(bad.id, q)).toMatchObject({ ...invalid, queue: q });
      // The other never began: it went back to waiting and was leased again.
      expect(await row(q, good.id)).toMatchObject({ state: "leased", redelivered: 1 });
      expect(await queue(q).stats(q)).toMatchObject({ failed: 1, leased: 1 });
    });
  }

  it("a settle refuses it and ends it; the other task of the settle is accepted", async () => {
    const { q, bad, good, leases } = await leasedPair("q-unreadable-settle");
    await queue(q).begin([beginItem(leases.get(bad.id)!, bad.id), beginItem(leases.get(good.id)!, good.id)]);
    await sql(q, "UPDATE messages SET body = 'not json' WHERE id = ?", bad.id);
    const answer = await queue(q).settle([success(leases.get(bad.id)!, bad.id, 1), success(leases.get(good.id)!, good.id, 5)]);
    expect(answer).toEqual({ accepted: [good.id], refused: [bad.id] });
    expect(await result(bad.id, q)).toMatchObject(invalid);
    expect(await result(good.id, q)).toMatchObject({ state: "SUCCESS", result: 5 });
    expect(await rows(q)).toEqual([]);
  });

  it("a dispatch that finds it expired ends it and goes on dispatching", async () => {
    const q = uid("q-unreadable-expire");
    const stub = queue(q);
    await stub.configure(q, { concurrency: 1 });
    const first = taskMessage(q, "demo.noop");
    const bad = taskMessage(q, "demo.noop", { expires: Date.now() + 3_600_000 });
    await stub.enqueue([first, bad]);
    expect((await row(q, bad.id))?.state).toBe("waiting");
    await sql(q, "UPDATE messages SET body = 'not json', expires = ? WHERE id = ?", Date.now() - 1, bad.id);
    // A send wakes the dispatch: it expires the damaged row, then leases into the window.
    await stub.configure(q, { concurrency: 2 });
    const next = taskMessage(q, "demo.noop");
    await stub.enqueue([next]);
    expect(await row(q, bad.id)).toBeUndefined();
    expect(await result(bad.id, q)).toMatchObject(invalid);
    expect(await row(q, next.id)).toMatchObject({ state: "leased" });
  });

  it("a revoke ends it as InvalidTaskError, not REVOKED", async () => {
    const q = uid("q-unreadable-revoke");
    const stub = queue(q);
    await stub.configure(q, { paused: true });
    const bad = taskMessage(q, "demo.noop");
    await stub.enqueue([bad]);
    await sql(q, "UPDATE messages SET body = '{}' WHERE id = ?", bad.id);
    expect(await stub.revoke([bad.id], false)).toEqual({ revoked: [] });
    expect(await row(q, bad.id)).toBeUndefined();
    expect(await result(bad.id, q)).toMatchObject(invalid);
  });

  it("a consumer leaves it out of its delivery and runs the others; the queue ends it when its lease runs out", async () => {
    const { q, bad, good } = await leasedPair("q-unreadable-consume");
    await sql(q, "UPDATE messages SET body = 'not json' WHERE id = ?", bad.id);
    const body = await deliveryOf(q);
    expect(body.tasks).toHaveLength(2);
    const batch = createMessageBatch<DeliveryBody>("edgery-tasks", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue!(batch, env, ctx);
    await getQueueResult(batch, ctx);
    expect(await result(good.id, q)).toMatchObject({ state: "SUCCESS", result: 5 });
    expect(await row(q, bad.id)).toMatchObject({ state: "leased", started: 0 });
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, bad.id);
    await runDurableObjectAlarm(queue(q));
    expect(await result(bad.id, q)).toMatchObject(invalid);
    expect(await rows(q)).toEqual([]);
  });
});
