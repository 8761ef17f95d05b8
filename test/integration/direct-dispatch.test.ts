/**
 * Direct dispatch (src/runtime/direct-dispatch.ts): a nearly idle queue hands its delivery
 * straight to a consumer by RPC instead of the Cloudflare Queue; a burst still goes through the
 * Queue; a failed hand-off falls back to the Queue with the same leases. In this project nothing
 * consumes the Queue and direct dispatch is off (EDGERY_DIRECT_DISPATCH "0"): each test sets the
 * limit of its own queue's object and puts a recording consumer in place of EdgeryDelivery.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryBody } from "../../src/protocol/message";
import { directDispatchLimit } from "../../src/runtime/direct-dispatch";
import { deliveryOf, queue, rows, taskMessage, uid, until } from "./helpers";
import { fakeProducer } from "./fake-producer";

/** A stand-in for the Worker's EdgeryDelivery entrypoint, as a QueueDO calls it. */
interface FakeConsumer {
  ran: DeliveryBody[];
  /** Makes `run` reject (the hand-off failed). */
  failing: boolean;
  /** Called with each body before `run` answers (e.g. to begin its leases first). */
  onRun?: (body: DeliveryBody) => Promise<void>;
}

/** Turns direct dispatch on for a queue's object (limit `limit`) with a fake consumer. */
async function fakeConsumer(name: string, limit = "8"): Promise<FakeConsumer> {
  const fake: FakeConsumer = { ran: [], failing: false };
  const target = {
    async deliver(): Promise<void> {
      throw new Error("a QueueDO hands deliveries to run()");
    },
    async run(body: DeliveryBody): Promise<void> {
      await fake.onRun?.(body);
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
async function dispatched(name: string): Promise<{ direct: number; queued: number; failed: number }> {
  return runInDurableObject(queue(name), (instance) => ({ ...(instance as unknown as { dispatched: { direct: number; queued: number; failed: number } }).dispatched }));
}

/** Waits until the object has finished the fallback of `n` failed hand-offs. */
async function failedHandOffs(name: string, n: number): Promise<void> {
  await until(async () => ((await dispatched(name)).failed >= n ? true : undefined), 50);
}

describe("direct dispatch", () => {
  it("an idle queue hands a task straight to the consumer, with the body the Queue would carry", async () => {
    const q = uid("q-direct-idle");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    const m = taskMessage(q, "demo.noop");
    await stub.enqueue([m]);
    const ran = await until(async () => (consumer.ran.length > 0 ? consumer.ran : undefined), 100);
    expect(producer.sent).toStrictEqual([]);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 0, failed: 0 });
    // The same delivery as the Queue path: this object named, the lease, deadline and body as leased.
    const expected = await deliveryOf(q);
    expect(ran).toStrictEqual([{ ...expected, object: stub.id.toString() }]);
    expect(ran[0]!.tasks.map((t) => JSON.parse(t.body).id)).toStrictEqual([m.id]);
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
    expect(await dispatched(q)).toStrictEqual({ direct: 0, queued: 1, failed: 0 });
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
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 1, failed: 0 });
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

  it("a failed hand-off falls back to the Queue with the same leases", async () => {
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
    expect(leased.map((r) => r.state)).toStrictEqual(["leased"]);
    expect(sent.flatMap((d) => d.tasks.map((t) => t.lease))).toStrictEqual([leased[0]!.lease]);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 1, failed: 1 });
  });

  it("a hand-off that fails after its consumer began the task leaves it to its lease (no second delivery)", async () => {
    const q = uid("q-direct-begun");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    const consumer = await fakeConsumer(q);
    let begun = false;
    consumer.failing = true;
    consumer.onRun = async (body) => {
      // A stub of its own: this runs in the QueueDO's context, as a consumer's call would.
      await queue(q).begin(body.tasks.map((t) => ({ lease: t.lease, id: JSON.parse(t.body).id, timeLimitMs: null, trackStarted: false, worker: "test" })));
      begun = true;
    };
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await failedHandOffs(q, 1);
    expect(begun).toBe(true);
    const after = await rows(q);
    expect(after.map((r) => [r.state, r.started])).toStrictEqual([["leased", 1]]);
    expect(producer.sent).toStrictEqual([]);
    expect(producer.calls).toBe(0);
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 0, failed: 1 });
  });
});
