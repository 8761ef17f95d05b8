/**
 * The broker conformance suite: one set of properties every broker implementation must have,
 * run against the in-memory twin (test/unit/broker-conformance.test.ts) and against the real
 * brokers in workerd (test/integration/brokers.test.ts). A harness says how to observe the far
 * side of its broker (what arrived there, what ended REVOKED).
 */
import { describe, expect, it } from "vitest";
import type { Broker } from "../../src/brokers/broker.js";
import { standInMessage, type TaskMessage } from "../../src/protocol/message.js";

/** How a conformance run reaches one broker and observes its far side. */
export interface BrokerHarness {
  broker: Broker;
  /** The queue the messages go to. */
  queue: string;
  /** The task the messages name (the far side must be able to run it, if it runs tasks). */
  task: string;
  /** Waits until every id arrived at the far side; the args each arrived (or ran) with. */
  arrived(ids: string[]): Promise<Map<string, unknown[]>>;
  /** Whether the far side has seen the id so far (no waiting). */
  seen(id: string): Promise<boolean>;
  /** Waits until the id ended REVOKED without running; false if it ran. */
  endedRevoked(id: string): Promise<boolean>;
  /** Makes the far side fail (down / error answers) or work again; absent: those cases skip. */
  setFailing?(on: boolean): Promise<void>;
}

let counter = 0;

/** A plain task message for a queue. */
export function message(queue: string, task: string, args: unknown[], extra: Partial<TaskMessage> = {}): TaskMessage {
  const id = extra.id ?? `conf-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return { ...standInMessage(id, queue), task, args, ...extra };
}

/** Registers the conformance tests for one broker. */
export function brokerConformance(name: string, make: () => Promise<BrokerHarness> | BrokerHarness): void {
  describe(`broker conformance: ${name}`, () => {
    it("delivers every message of one enqueue, with its args intact", async () => {
      const h = await make();
      const payloads: unknown[][] = [[1], ["two", { three: [3] }], [null], [], [{ deep: { list: [1, "x", true] } }]];
      const msgs = payloads.map((args) => message(h.queue, h.task, args));
      await h.broker.enqueue(msgs);
      const got = await h.arrived(msgs.map((m) => m.id));
      expect(got.size).toBe(msgs.length);
      for (const m of msgs) expect(got.get(m.id)).toEqual(m.args);
    });

    it("delivers more messages than one Queue message or send batch holds (250)", async () => {
      const h = await make();
      const msgs = Array.from({ length: 250 }, (_, i) => message(h.queue, h.task, [i]));
      await h.broker.enqueue(msgs);
      const got = await h.arrived(msgs.map((m) => m.id));
      expect([...got.keys()].sort()).toEqual(msgs.map((m) => m.id).sort());
      expect(msgs.every((m) => (got.get(m.id) ?? [])[0] === m.args[0])).toBe(true);
    });

    it("takes an empty enqueue without error", async () => {
      const h = await make();
      await expect(h.broker.enqueue([])).resolves.not.toThrow();
    });

    it("holds a delayed message back: an immediate one sent after it arrives first", async () => {
      const h = await make();
      const delayed = message(h.queue, h.task, ["later"], { eta: Date.now() + 3_600_000 });
      const now = message(h.queue, h.task, ["now"]);
      await h.broker.enqueue([delayed]);
      await h.broker.enqueue([now]);
      await h.arrived([now.id]);
      expect(await h.seen(delayed.id)).toBe(false);
    });

    it("never runs a message revoked before it arrives: it ends REVOKED", async () => {
      const h = await make();
      if (!h.broker.revoke) return;
      const m = message(h.queue, h.task, ["revoked"]);
      await h.broker.revoke(h.queue, [m.id], false);
      await h.broker.enqueue([m]);
      expect(await h.endedRevoked(m.id)).toBe(true);
    });

    it("rejects (never resolves silently) when its far side fails, and takes the same messages once it is back", async () => {
      const h = await make();
      if (!h.setFailing) return;
      const msgs = [message(h.queue, h.task, ["a"]), message(h.queue, h.task, ["b"])];
      await h.setFailing(true);
      try {
        await expect(h.broker.enqueue(msgs)).rejects.toThrow();
      } finally {
        await h.setFailing(false);
      }
      expect(await h.seen(msgs[0]!.id)).toBe(false);
      await h.broker.enqueue(msgs);
      const got = await h.arrived(msgs.map((m) => m.id));
      expect(got.get(msgs[1]!.id)).toEqual(["b"]);
    });

    it("applies back-pressure: past max_waiting an enqueue is refused whole (where queues are configurable)", async () => {
      const h = await make();
      // Remote apps forward settings to their own queues; the twin and the QueueDO are tested here.
      if (!h.broker.configure || h.broker.kind === "service" || h.broker.kind === "http") return;
      const queue = `${h.queue}-bp-${(counter++).toString(36)}`;
      await h.broker.configure(queue, { paused: true, max_waiting: 2 });
      const first = [message(queue, h.task, [1]), message(queue, h.task, [2])];
      await h.broker.enqueue(first);
      const third = message(queue, h.task, [3]);
      await expect(h.broker.enqueue([third])).rejects.toThrow(/max_waiting/);
      expect(await h.seen(third.id)).toBe(false);
      await h.broker.configure(queue, { paused: false, max_waiting: 100 });
    });

    it("refuses a fresh send whose canvas member reuses an id the queue holds, taking none of it (where queues hold ids)", async () => {
      const h = await make();
      if (!h.broker.configure || !h.broker.stats || h.broker.kind === "service" || h.broker.kind === "http") return;
      const queue = `${h.queue}-held-${(counter++).toString(36)}`;
      await h.broker.configure(queue, { paused: true });
      const held = message(queue, h.task, ["first"]);
      await h.broker.enqueue([held]);
      const other = message(queue, h.task, ["other"]);
      const member = message(queue, h.task, ["member"], { id: held.id, group_id: `g-${held.id}`, group_index: 0 });
      await expect(h.broker.enqueue([other, member], { fresh: true })).rejects.toMatchObject({ name: "TaskIdInUseError", ids: [held.id] });
      expect((await h.broker.stats(queue)).waiting).toBe(1);
      // A chord header member, a chain step with later steps, a task with callbacks: each is refused.
      for (const extra of [{ chord: { id: "c", index: 0 } }, { chain: [] as never[], link: [{ kind: "task", task: h.task, args: [], kwargs: {}, options: {} }] }]) {
        await expect(h.broker.enqueue([message(queue, h.task, [], { id: held.id, ...extra } as Partial<TaskMessage>)], { fresh: true })).rejects.toMatchObject({ name: "TaskIdInUseError" });
      }
      // A plain task with the held id is the same task sent again: skipped, as is any resend
      // that is not fresh (an outbox's follow-up sent again).
      await h.broker.enqueue([message(queue, h.task, ["again"], { id: held.id }), other], { fresh: true });
      await h.broker.enqueue([member]);
      expect((await h.broker.stats(queue)).waiting).toBe(2);
      await h.broker.cancel?.([held, other]);
      await h.broker.configure(queue, { paused: false });
    });
  });
}
