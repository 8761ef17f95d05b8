/**
 * Direct dispatch (src/runtime/direct-dispatch.ts): a nearly idle queue hands its delivery
 * straight to a consumer by RPC instead of the Cloudflare Queue, its tasks begun by the queue as
 * it hands them over; a burst still goes through the Queue; a hand-off that fails before its
 * consumer got it (no receipt) gives its tasks back to the Queue with the same leases. In this project nothing
 * consumes the Queue and direct dispatch is off (EDGERY_DIRECT_DISPATCH "0"): each test sets the
 * limit of its own queue's object and puts a recording consumer in place of EdgeryDelivery.
 */
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryBody } from "../../src/protocol/message";
import { directDispatchLimit, type HandOffReceipt } from "../../src/runtime/direct-dispatch";
import { WORKER_LEASE_MS } from "../../src/protocol";
import { leaseMsOf } from "../../src/worker/execute";
import { queue, result, rows, sql, taskMessage, uid, until } from "./helpers";
import { fakeProducer } from "./fake-producer";
import { EdgeryDelivery } from "../../src/index";
import { HANDED_OFF, HELD_LEASES, heldLeases } from "../../durable-objects/queue-leases";

/** A stand-in for the Worker's EdgeryDelivery entrypoint, as a QueueDO calls it. */
interface FakeConsumer {
  ran: DeliveryBody[];
  /** Makes `run` reject (the hand-off failed). */
  failing: boolean;
  /** Called with each body and its receipt before `run` answers (e.g. to acknowledge it first). */
  onRun?: (body: DeliveryBody, receipt: HandOffReceipt | undefined) => Promise<void>;
}

/** Turns direct dispatch on for a queue's object (limit `limit`) with a fake consumer. */
async function fakeConsumer(name: string, limit = "8"): Promise<FakeConsumer> {
  const fake: FakeConsumer = { ran: [], failing: false };
  const target = {
    async deliver(): Promise<void> {
      throw new Error("a QueueDO hands deliveries to run()");
    },
    async run(body: DeliveryBody, receipt?: HandOffReceipt): Promise<void> {
      await fake.onRun?.(body, receipt);
      if (fake.failing) throw new Error("hand-off failed (fake)");
      fake.ran.push(structuredClone(body));
    },
  };
  await runInDurableObject(queue(name), (instance) => {
    const o = instance as unknown as { directLimit: number; directTarget: unknown };
    o.directLimit = directDispatchLimit({ EDGERY_DIRECT_DISPATCH: limit });
    o.directTarget = target;
  });
  return fake;
}

/** The object's dispatch counters. */
async function dispatched(name: string): Promise<{ direct: number; queued: number; failed: number; received: number }> {
  return runInDurableObject(queue(name), (instance) => ({ ...(instance as unknown as { dispatched: { direct: number; queued: number; failed: number; received: number } }).dispatched }));
}

/** Waits until the object has finished the fallback of `n` failed hand-offs. */
async function failedHandOffs(name: string, n: number): Promise<void> {
  await until(async () => ((await dispatched(name)).failed >= n ? true : undefined), 50);
}

describe("direct dispatch", () => {
  it("an idle queue hands a task straight to the consumer, begun: the body the Queue would carry, and when it was begun", async () => {
    const q = uid("q-direct-idle");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    const m = taskMessage(q, "demo.noop");
    const before = Date.now();
    await stub.enqueue([m]);
    const ran = await until(async () => (consumer.ran.length > 0 ? consumer.ran : undefined), 100);
    expect(producer.sent).toStrictEqual([]);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 0, failed: 0, received: 0 });
    // The same tasks as the Queue path: this object named, the lease and body as leased.
    const [row] = await rows(q);
    const begunAt = ran[0]!.begun!;
    expect(begunAt).toBeGreaterThanOrEqual(before);
    expect(ran).toStrictEqual([{ queue: q, object: stub.id.toString(), begun: begunAt, tasks: [{ lease: row!.lease, deadline: ran[0]!.tasks[0]!.deadline, redelivered: false, body: row!.body }] }]);
    expect(ran[0]!.tasks.map((t) => JSON.parse(t.body).id)).toStrictEqual([m.id]);
    // Begun here, as a consumer's begin would: one delivery counted, the worker's liveness lease
    // from then, and the visibility timeout for its end (no hard limit); handed off (2) until its
    // consumer confirms it (this one never does).
    expect([row!.state, row!.started, row!.deliveries, row!.deadline]).toStrictEqual(["leased", HANDED_OFF, 1, begunAt + WORKER_LEASE_MS]);
    expect(row!.lease_end).toBeGreaterThan(begunAt + WORKER_LEASE_MS);
  });

  it("begun by its queue, a task with track_started reads STARTED, and one with a hard limit gets its lease's end from it", async () => {
    const q = uid("q-direct-started");
    const stub = queue(q);
    await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    const started = taskMessage(q, "demo.noop", { options: { track_started: true } });
    const limited = taskMessage(q, "demo.noop", { options: { time_limit: 7 } });
    await stub.enqueue([started, limited]);
    const ran = await until(async () => (consumer.ran.length > 0 ? consumer.ran : undefined), 100);
    const begunAt = ran[0]!.begun!;
    expect((await result(started.id, q))?.state).toBe("STARTED");
    const byId = new Map((await rows(q)).map((r) => [r.id, r]));
    // The hard limit (7 s) plus the grace a consumer's begin asks for, from the queue's begin.
    expect(byId.get(limited.id)!.lease_end! - begunAt).toBe(leaseMsOf(7_000)!);
    expect(byId.get(limited.id)!.time_limited).toBe(1);
  });

  it("a delivery begun by its queue runs in the real consumer without a begin, and settles", async () => {
    const q = uid("q-direct-real");
    const stub = queue(q);
    await fakeProducer(q);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { directLimit: number }).directLimit = directDispatchLimit({ EDGERY_DIRECT_DISPATCH: "8" });
    });
    const begins = await runInDurableObject(stub, (instance) => {
      const o = instance as unknown as { begin: (...a: unknown[]) => Promise<unknown> };
      const count = { n: 0 };
      const original = o.begin.bind(instance);
      o.begin = async (...a: unknown[]) => {
        count.n += 1;
        return original(...a);
      };
      return count;
    });
    const m = taskMessage(q, "demo.add", { args: [2, 3] });
    await stub.enqueue([m]);
    await until(async () => ((await rows(q)).length === 0 ? true : undefined), 100);
    expect((await result(m.id, q))?.state).toBe("SUCCESS");
    expect((await result(m.id))?.result).toBe(5);
    expect(await runInDurableObject(stub, () => begins.n)).toBe(0);
    // The real consumer acknowledged the hand-off over RPC before it ran the task.
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 0, failed: 0, received: 1 });
  });

  it("a burst goes through the Queue (backpressure), none of it direct", async () => {
    const q = uid("q-direct-burst");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    await stub.configure(q, { paused: true });
    await stub.enqueue(Array.from({ length: 20 }, () => taskMessage(q, "demo.noop")));
    await stub.configure(q, { paused: false });
    await stub.drain();
    expect(producer.sent.flatMap((d) => d.tasks).length).toBe(20);
    expect(consumer.ran).toStrictEqual([]);
    expect(await dispatched(q)).toStrictEqual({ direct: 0, queued: 1, failed: 0, received: 0 });
  });

  it("with tasks in flight past the limit, a new task goes through the Queue", async () => {
    const q = uid("q-direct-busy");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q, "2");
    await stub.enqueue([taskMessage(q, "demo.noop"), taskMessage(q, "demo.noop")]);
    await until(async () => (consumer.ran.length > 0 ? true : undefined), 100);
    // Two leased (not settled): a third would make three, past the limit of 2.
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await stub.drain();
    expect(consumer.ran.flatMap((d) => d.tasks).length).toBe(2);
    expect(producer.sent.flatMap((d) => d.tasks).length).toBe(1);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 1, failed: 0, received: 0 });
  });

  it("EDGERY_DIRECT_DISPATCH 0 turns it off: an idle queue uses the Queue", async () => {
    const q = uid("q-direct-off");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q, "0");
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await stub.drain();
    expect(producer.sent.flatMap((d) => d.tasks).length).toBe(1);
    expect(consumer.ran).toStrictEqual([]);
  });

  it("a hand-off no consumer got gives its tasks back (not begun, not counted) and sends them to the Queue with the same leases", async () => {
    const q = uid("q-direct-fail");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    consumer.failing = true;
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await failedHandOffs(q, 1);
    const sent = producer.sent;
    expect(consumer.ran).toStrictEqual([]);
    const leased = await rows(q);
    expect(leased.map((r) => [r.state, r.started, r.deliveries, r.lease_end])).toStrictEqual([["leased", 0, 0, null]]);
    expect(sent.flatMap((d) => d.tasks.map((t) => t.lease))).toStrictEqual([leased[0]!.lease]);
    // The Queue's consumer begins it itself: the body does not say it was begun.
    expect(sent.map((d) => "begun" in d)).toStrictEqual([false]);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 1, failed: 1, received: 0 });
  });

  it("a hand-off that fails after its consumer got it leaves its tasks to their leases (no second delivery)", async () => {
    const q = uid("q-direct-begun");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    consumer.failing = true;
    consumer.onRun = async (_body, receipt) => {
      receipt?.received();
    };
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await failedHandOffs(q, 1);
    const after = await rows(q);
    expect(after.map((r) => [r.state, r.started, r.deliveries])).toStrictEqual([["leased", 1, 1]]);
    expect(producer.sent).toStrictEqual([]);
    expect(producer.calls).toBe(0);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 0, failed: 1, received: 1 });
  });

  it("a hand-off its consumer never confirmed (a crash right after it) goes back to waiting at its lease's end: not WorkerLostError, not a delivery", async () => {
    const q = uid("q-direct-unconfirmed");
    const stub = queue(q);
    await fakeProducer(q);
    // The consumer's invocation ends without confirming (as one cut short by a crash would).
    const consumer = await fakeConsumer(q);
    const m = taskMessage(q, "demo.noop");
    await stub.enqueue([m]);
    await until(async () => (consumer.ran.length > 0 ? true : undefined), 100);
    expect((await rows(q)).map((r) => [r.state, r.started, r.deliveries])).toStrictEqual([["leased", HANDED_OFF, 1]]);
    // Its liveness lease runs out (the queue restarted; nobody heartbeats for it).
    await sql(q, "UPDATE messages SET deadline = ? WHERE id = ?", Date.now() - 1, m.id);
    await stub.configure(q, { paused: true });
    await runInDurableObject(stub, async (instance) => {
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    expect((await rows(q)).map((r) => [r.id, r.state, r.started, r.deliveries, r.redelivered])).toStrictEqual([[m.id, "waiting", 0, 0, 1]]);
    expect(await result(m.id, q)).toBeNull();
  });

  it("its consumer runs only the tasks the receipt confirms: one revoked since the hand-off ends REVOKED, unrun", async () => {
    const q = uid("q-direct-confirm");
    const stub = queue(q);
    await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    let receipt: HandOffReceipt | undefined;
    consumer.onRun = async (_body, r) => {
      receipt = r;
    };
    const kept = taskMessage(q, "demo.noop");
    const revoked = taskMessage(q, "demo.noop");
    await stub.enqueue([kept, revoked]);
    await until(async () => (receipt ? true : undefined), 100);
    await stub.revoke([revoked.id], false);
    const leases = new Map((await rows(q)).map((r) => [r.id, r.lease]));
    const answer = await runInDurableObject(stub, () => receipt!.received());
    expect(answer).toStrictEqual([leases.get(kept.id)]);
    // A repeated call answers the same, and changes nothing.
    expect(await runInDurableObject(stub, () => receipt!.received())).toStrictEqual(answer);
    expect((await rows(q)).map((r) => [r.id, r.started, r.deliveries])).toStrictEqual([[kept.id, 1, 1]]);
    await until(async () => ((await result(revoked.id, q))?.state === "REVOKED" ? true : undefined), 50);
    expect(await dispatched(q)).toMatchObject({ direct: 1, received: 1 });
  });

  it("the real consumer runs nothing when its receipt fails: the hand-off is refused and its tasks go to the Queue", async () => {
    const q = uid("q-direct-receipt-fails");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    const entry = new EdgeryDelivery(createExecutionContext(), env);
    consumer.onRun = async (body) => {
      // The real entrypoint, with a receipt whose call fails (its queue unreachable, say).
      await entry.run(body, { received: () => Promise.reject(new Error("receipt unreachable")) });
    };
    const m = taskMessage(q, "demo.add", { args: [2, 3] });
    await stub.enqueue([m]);
    await failedHandOffs(q, 1);
    expect(producer.sent.flatMap((d) => d.tasks.map((t) => JSON.parse(t.body).id))).toStrictEqual([m.id]);
    expect((await rows(q)).map((r) => [r.state, r.started, r.deliveries])).toStrictEqual([["leased", 0, 0]]);
    expect(await result(m.id, q)).toBeNull();
  });

  it("a delivery's rows are found by their leases' seqs (rowid probes), not by a scan of the queue: a confirm, a give-back and a failed send", async () => {
    const q = uid("q-direct-plan");
    const stub = queue(q);
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    const plan = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT seq FROM messages WHERE ${HELD_LEASES} AND started = 0`, ...heldLeases(["t:1", "t:2"]))
        .toArray()
        .map((r) => r.detail),
    );
    expect(plan.some((d) => /SEARCH messages USING INTEGER PRIMARY KEY/.test(d))).toBe(true);
    expect(plan.some((d) => /^SCAN messages/.test(d))).toBe(false);
  });
});
