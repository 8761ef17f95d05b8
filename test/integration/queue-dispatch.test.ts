/**
 * Dispatch and the alarm: a queue's prefetch bounds the tasks of one delivery; a failed send is
 * retried from the alarm (not only on the next enqueue); a far-future eta is held without
 * breaking the queue (its alarm is clamped to what an alarm can hold).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryBody } from "../../src/protocol/message";
import { queue, rows, taskMessage, until, uid } from "./helpers";
import { fakeProducer } from "./fake-producer";

describe("QueueDO prefetch", () => {
  it("prefetch 1: one task per delivery; default: the window in one delivery; stats show it", async () => {
    const q = uid("q-prefetch");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    expect((await stub.stats(q)).prefetch).toBe(100);
    expect((await stub.configure(q, { paused: true, prefetch: 1 })).prefetch).toBe(1);
    await stub.enqueue([0, 1, 2].map(() => taskMessage(q, "demo.noop")));
    await stub.configure(q, { paused: false });
    await stub.drain();
    expect(producer.sent.map((d) => d.tasks.length)).toStrictEqual([1, 1, 1]);

    const q2 = uid("q-prefetch-default");
    const stub2 = queue(q2);
    const producer2 = await fakeProducer(q2);
    await stub2.configure(q2, { paused: true });
    await stub2.enqueue([0, 1, 2].map(() => taskMessage(q2, "demo.noop")));
    await stub2.configure(q2, { paused: false });
    await stub2.drain();
    expect(producer2.sent.map((d) => d.tasks.length)).toStrictEqual([3]);
  });

  it("a delivery of ASCII text goes as V8, one with any other text as JSON (src/runtime/pack.ts deliveryEncoding)", async () => {
    const q = uid("q-encoding");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    await stub.configure(q, { paused: true, prefetch: 1 });
    await stub.enqueue([["plain"], ["héllo"], ['"quoted"'], ["😀"]].map((args) => taskMessage(q, "demo.identity", { args })));
    await stub.configure(q, { paused: false });
    await stub.drain();
    expect(producer.sent.map((d) => (JSON.parse(d.tasks[0]!.body) as { args: unknown[] }).args)).toStrictEqual([["plain"], ["héllo"], ['"quoted"'], ["😀"]]);
    expect(producer.types).toStrictEqual(["v8", "json", "v8", "json"]);
  });
});

describe("QueueDO packing under load", () => {
  it("single sends that arrive while a send is in flight leave together, in one delivery", async () => {
    const q = uid("q-packing");
    const stub = queue(q);
    // A producer whose first send is held, as a busy Queue's send takes its time deployed.
    const sent: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { env: { TASKS: unknown } }).env.TASKS = {
        async sendBatch(messages: Array<{ body: DeliveryBody }>): Promise<void> {
          calls += 1;
          if (calls === 1) await held;
          sent.push(...messages.map((m) => m.body.tasks.length));
        },
      };
    });
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await until(async () => (calls === 1 ? true : undefined));
    // 30 single sends, one enqueue each, while the first delivery is on its way.
    for (let i = 0; i < 30; i++) await stub.enqueue([taskMessage(q, "demo.noop")]);
    expect(sent).toStrictEqual([]);
    release();
    await stub.drain();
    // One pass after the held send packs everything that came in meanwhile: 2 sends, not 31.
    expect(sent).toStrictEqual([1, 30]);
    expect(calls).toBe(2);
  });
});

describe("QueueDO gathering under load", () => {
  /** A queue with a fake producer, prefetch 10 and the given EDGERY_DISPATCH_GATHER_MS. */
  async function gatheringQueue(gatherMs: string, settings: { prefetch: number; concurrency?: number } = { prefetch: 10 }) {
    const q = uid("q-gather");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    await runInDurableObject(stub, (instance) => {
      const o = instance as unknown as { env: Record<string, unknown> };
      // A copy: the setting stays this object's.
      o.env = { ...o.env, EDGERY_DISPATCH_GATHER_MS: gatherMs };
    });
    await stub.configure(q, settings);
    return { q, stub, producer };
  }

  it("a window smaller than the prefetch ends a gather once its free room waits (concurrency 5: 1, then 4)", async () => {
    const { q, stub, producer } = await gatheringQueue("1000", { prefetch: 10, concurrency: 5 });
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await until(async () => (producer.sent.length === 1 ? true : undefined));
    const gathering = () => runInDurableObject(stub, (instance) => (instance as unknown as { endGather: unknown }).endGather !== null);
    // Three waiting do not fill the 4 free places: the shard gathers (a 1 s gather, not over yet).
    for (let i = 0; i < 3; i++) await stub.enqueue([taskMessage(q, "demo.noop")]);
    expect(await gathering()).toBe(true);
    expect(producer.sent.map((d) => d.tasks.length)).toStrictEqual([1]);
    // The fourth fills them: the send that brings it ends the gather at once (not its timer).
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    expect(await gathering()).toBe(false);
    // One delivery of 4; the fifth and sixth wait for room.
    for (let i = 0; i < 2; i++) await stub.enqueue([taskMessage(q, "demo.noop")]);
    await stub.drain();
    expect(producer.sent.map((d) => d.tasks.length)).toStrictEqual([1, 4]);
    expect((await rows(q)).map((r) => r.state)).toStrictEqual([...Array(5).fill("leased"), "waiting", "waiting"]);
  });

  it("30 single sends arriving one by one while a delivery is in flight leave in 3 full deliveries", async () => {
    // A long gather: what ends each one here is a full delivery (prefetch 10) waiting, not time.
    const { q, stub, producer } = await gatheringQueue("1000");
    // Idle: the first send leaves alone, at once.
    await stub.enqueue([taskMessage(q, "demo.noop")]);
    await until(async () => (producer.sent.length === 1 ? true : undefined));
    // Its task is leased and not settled (nothing consumes the fake producer): the shard is busy.
    for (let i = 0; i < 30; i++) await stub.enqueue([taskMessage(q, "demo.noop")]);
    await stub.drain();
    // Without gathering each of these sends would be its own delivery: 31 in all.
    expect(producer.sent.map((d) => d.tasks.length)).toStrictEqual([1, 10, 10, 10]);
    expect((await rows(q)).map((r) => r.state)).toStrictEqual(Array(31).fill("leased"));
  });
});

describe("QueueDO send failures", () => {
  it("a failed send gives the leases back and is retried from the alarm, with no other call", async () => {
    const q = uid("q-sendfail");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    producer.failing = true;
    const msgs = [0, 1].map(() => taskMessage(q, "demo.noop"));
    await stub.enqueue(msgs);
    expect((await rows(q)).map((r) => r.state)).toStrictEqual(["waiting", "waiting"]);
    const failedCalls = producer.calls;
    producer.failing = false;
    // Nothing else happens to the queue: only its alarm can send them now.
    const sent = await until(async () => (producer.sent.length > 0 ? producer.sent : undefined), 100);
    expect(producer.calls).toBeGreaterThan(failedCalls);
    expect(sent.flatMap((d) => d.tasks).length).toBe(2);
    expect((await rows(q)).map((r) => r.state)).toStrictEqual(["leased", "leased"]);
  });
});

describe("QueueDO far-future eta", () => {
  it("an eta past what an alarm can hold (year 275760) is enqueued and held; the queue keeps working", async () => {
    const q = uid("q-far");
    const stub = queue(q);
    await fakeProducer(q);
    const far = taskMessage(q, "demo.noop", { eta: 8.64e15 });
    const huge = taskMessage(q, "demo.noop", { eta: Date.now() + 1e300 });
    expect(await stub.enqueue([far])).toStrictEqual({ added: 1 });
    expect(await stub.enqueue([huge])).toStrictEqual({ added: 1 });
    const stats = await stub.stats(q);
    expect([stats.delayed, stats.waiting]).toStrictEqual([2, 0]);
    // Revoke reaches it; an ordinary task still runs through.
    expect((await stub.revoke([far.id], false)).revoked).toStrictEqual([far.id]);
    const now = taskMessage(q, "demo.noop");
    expect(await stub.enqueue([now])).toStrictEqual({ added: 1 });
    expect((await rows(q)).find((r) => r.id === now.id)?.state).toBe("leased");
    expect((await stub.cancel([huge.id])).removed).toBe(1);
  });
});
