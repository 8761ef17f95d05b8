/**
 * The consumer: the Worker's `queue` handler (src/index.ts → consume) fed a real DeliveryBody,
 * the leased rows the QueueDO dispatched, as the Queue would carry them. In this project the
 * TASKS producer goes to a queue nobody consumes, so each delivery is handed over here.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/demo/worker";
import type { DeliveryBody } from "../../src/protocol/message";
import { deliveryOf, drain, onlyLease, queue, result, row, rows, taskMessage, uid, until } from "./helpers";

/** Runs one delivery through the Worker's queue handler; answers the batch's ack state. */
async function deliver(body: DeliveryBody) {
  const msgId = crypto.randomUUID();
  const batch = createMessageBatch<DeliveryBody>("edgery-tasks", [{ id: msgId, timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await worker.queue!(batch, env, ctx);
  const qr = await getQueueResult(batch, ctx);
  return { msgId, qr };
}

/** The one leased row of a queue once a retry due at once was dispatched again (after RETRY_PACE_MS, by the queue's alarm). */
function releasedRetry(q: string) {
  return until(async () => {
    const leased = (await rows(q)).filter((r) => r.state === "leased");
    return leased.length === 1 ? leased[0] : undefined;
  });
}

/** Enqueues one task on a fresh queue (dispatched at once) and answers its delivery. */
async function enqueueOne(task: string, args: unknown[], options: Record<string, unknown> = {}) {
  const q = uid("q-consume");
  const m = taskMessage(q, task, { args, options });
  await queue(q).enqueue([m]);
  const body = await deliveryOf(q, [m.id]);
  expect(body.tasks).toHaveLength(1);
  return { q, m, body };
}

describe("consumer", () => {
  it("runs a delivered task, stores its result, acks the Queue message and settles the lease", async () => {
    const { q, m, body } = await enqueueOne("demo.add", [2, 3]);
    const { msgId, qr } = await deliver(body);
    expect(qr.explicitAcks).toContain(msgId);
    expect(qr.retryMessages).toEqual([]);
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: 5, worker: "edgery", queue: q, task: "demo.add" });
    expect(await rows(q)).toEqual([]);
    expect(await queue(q).stats(q)).toMatchObject({ completed: 1, leased: 0 });
  });

  it("a delivery whose lease is stale runs nothing", async () => {
    const { q, m, body } = await enqueueOne("demo.add", [1, 1]);
    const stale: DeliveryBody = { ...body, tasks: body.tasks.map((t) => ({ ...t, lease: crypto.randomUUID() })) };
    const { msgId, qr } = await deliver(stale);
    expect(qr.explicitAcks).toContain(msgId);
    expect(await result(m.id, q)).toBeNull();
    expect(await row(q, m.id)).toMatchObject({ state: "leased", lease: body.tasks[0]!.lease, started: 0 });
  });

  it("a Queue delivery that claims to be begun (`begun`, a direct hand-off's field) is begun by its consumer all the same: a task revoked meanwhile does not run", async () => {
    const { q, m, body } = await enqueueOne("demo.add", [4, 4]);
    // Revoked without terminate while leased: its begin must skip it.
    await queue(q).revoke([m.id], false);
    const { msgId, qr } = await deliver({ ...body, begun: Date.now() });
    expect(qr.explicitAcks).toContain(msgId);
    expect(await result(m.id, q)).toMatchObject({ state: "REVOKED" });
    expect(await rows(q)).toEqual([]);
  });

  it("several tasks in one delivery each settle", async () => {
    const q = uid("q-consume-many");
    const ms = [1, 2, 3].map((x) => taskMessage(q, "demo.mul", { args: [x, 10] }));
    await queue(q).enqueue(ms);
    const body = await deliveryOf(q);
    expect(body.tasks).toHaveLength(3);
    await deliver(body);
    for (const [i, m] of ms.entries()) expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: (i + 1) * 10 });
    expect(await rows(q)).toEqual([]);
  });

  it("an unknown task name fails with NotRegistered", async () => {
    const { q, m, body } = await enqueueOne("nope.unknown", []);
    await deliver(body);
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "NotRegistered" } });
  });

  it("a task's own error is stored with its name", async () => {
    const { q, m, body } = await enqueueOne("demo.fail", ["kaput"]);
    await deliver(body);
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "DemoError", message: "kaput" } });
    expect((await queue(q).stats(q)).failed).toBe(1);
  });
});

describe("consumer time limits", () => {
  it("soft limit: demo.soft_cleanup catches SoftTimeLimitExceeded and returns 'cleaned up'", async () => {
    const { q, m, body } = await enqueueOne("demo.soft_cleanup", [20_000], { soft_time_limit: 0.2 });
    await deliver(body);
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: "cleaned up" });
  });

  it("soft limit uncaught: FAILURE SoftTimeLimitExceeded", async () => {
    const { q, m, body } = await enqueueOne("demo.sleep", [20_000], { soft_time_limit: 0.2 });
    await deliver(body);
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "SoftTimeLimitExceeded" } });
  });

  // The soft limit is cooperative: a busy loop keeps its timer from firing, so each call a task
  // makes into edgery checks the clock. 0.2 s limit, 0.5 s of spinning, then one call.
  it.each(["update_state", "send", "apply", "sleep", "acknowledge", "checkpoint"])(
    "soft limit passed during a busy loop: the next %s raises SoftTimeLimitExceeded",
    async (what) => {
      const { q, m, body } = await enqueueOne("demo.soft_probe", [500, what], { soft_time_limit: 0.2 });
      await deliver(body);
      expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: "SoftTimeLimitExceeded" });
    },
  );

  it("without a soft limit the same calls go through (update_state, send)", async () => {
    for (const what of ["update_state", "send"]) {
      const { q, m, body } = await enqueueOne("demo.soft_probe", [50, what]);
      await deliver(body);
      expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: "not raised" });
    }
  });

  it("a subtask sent through ctx.send is enqueued like an API send", async () => {
    const { q, m, body } = await enqueueOne("demo.spawn", [2, 5]);
    await deliver(body);
    const parent = await result(m.id, q);
    expect(parent).toMatchObject({ state: "SUCCESS" });
    const childId = parent!.result as string;
    // The child went to the default queue: deliver it as the Queue would.
    await drain("default");
    const child = await deliveryOf("default", [childId]);
    expect(child.tasks).toHaveLength(1);
    // Celery: a subtask sent from a task has that task as its parent and shares its root.
    const childMessage = JSON.parse(child.tasks[0]!.body) as { parent_id: string | null; root_id: string };
    expect(childMessage).toMatchObject({ parent_id: m.id, root_id: m.root_id });
    await deliver(child);
    expect(await result(childId)).toMatchObject({ state: "SUCCESS", result: 7, parent_id: m.id });
  });

  it("hard limit on an awaiting task: FAILURE TimeLimitExceeded, the lease deadline covered the limit", async () => {
    const { q, m, body } = await enqueueOne("demo.sleep", [20_000], { time_limit: 1 });
    const delivered = deliver(body);
    // While it runs, begin has renewed the lease to the hard limit (plus grace) and marked it limited.
    const running = await until(async () => {
      const r = await row(q, m.id);
      return !r ? null : r.started === 1 ? r : undefined;
    });
    expect(running?.time_limited).toBe(1);
    expect(running!.deadline! - Date.now()).toBeLessThanOrEqual(1250);
    await delivered;
    const r = await result(m.id, q);
    expect(r?.state).toBe("FAILURE");
    expect(r?.error).toEqual({ type: "TimeLimitExceeded", message: "TimeLimitExceeded(1)" });
    expect(await rows(q)).toEqual([]);
  });
});

describe("consumer retries and revocation", () => {
  it("demo.retry_until(3): RETRY twice under the same id, then SUCCESS with retries 2", async () => {
    const { q, m, body } = await enqueueOne("demo.retry_until", [3]);
    await deliver(body);
    const first = await result(m.id, q);
    // As Celery's RETRY record: the retries of the attempt that asked for the retry (0 the first time).
    expect(first).toMatchObject({ state: "RETRY", retries: 0 });
    // Countdown 0: the retry waits RETRY_PACE_MS for the queue's alarm, then is leased again, same id.
    const again = await releasedRetry(q);
    expect(again.id).toBe(m.id);
    expect(again.lease).not.toBe(body.tasks[0]!.lease);
    expect(JSON.parse(again.body).retries).toBe(1);
    await deliver(await deliveryOf(q));
    expect(await result(m.id, q)).toMatchObject({ state: "RETRY", retries: 1 });
    await releasedRetry(q);
    await deliver(await deliveryOf(q));
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: 2, retries: 2 });
    expect(await rows(q)).toEqual([]);
  });

  it("max_retries exceeded: FAILURE MaxRetriesExceededError", async () => {
    const { q, m, body } = await enqueueOne("demo.retry_until", [10], { max_retries: 1 });
    await deliver(body);
    expect((await result(m.id, q))?.state).toBe("RETRY");
    await releasedRetry(q);
    await deliver(await deliveryOf(q));
    expect(await result(m.id, q)).toMatchObject({ state: "FAILURE", error: { type: "MaxRetriesExceededError" }, retries: 1 });
  });

  it("revoke with terminate aborts the running task: the delivery ends without waiting for it", async () => {
    // demo.sleep(600 s) would outlast the test timeout unless the heartbeat aborts it.
    const { q, m, body } = await enqueueOne("demo.sleep", [600_000]);
    const delivered = deliver(body);
    await until(async () => ((await row(q, m.id))?.started === 1 ? true : undefined));
    expect(await queue(q).revoke([m.id], true)).toEqual({ revoked: [m.id] });
    await delivered;
    expect(await result(m.id, q)).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });
    expect(await rows(q)).toEqual([]);
  });

  it("PROGRESS written by a running task is readable while it runs", async () => {
    const { q, m, body } = await enqueueOne("demo.progress", [2, 400]);
    const delivered = deliver(body);
    const seen = await until(async () => {
      const r = await result(m.id);
      return r?.state === "PROGRESS" || r?.state === "SUCCESS" ? r : undefined;
    });
    expect(seen.state).toBe("PROGRESS");
    expect(seen.meta).toMatchObject({ total: 2 });
    await delivered;
    expect(await result(m.id, q)).toMatchObject({ state: "SUCCESS", result: 2, meta: null });
  });
});
