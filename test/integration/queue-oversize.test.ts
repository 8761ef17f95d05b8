/**
 * Dispatch sizes a delivery in the UTF-8 bytes of what is sent (the message embedded in the
 * delivery's JSON as a string: every `"` and `\` doubled, non-ASCII 2-3 bytes a character). A
 * message no Queue message can carry fails alone with PayloadTooLarge, as a dead letter; a
 * window too large for one Queue message is split; nothing is left waiting for ever.
 */
import { describe, expect, it } from "vitest";
import type { DeadLetter } from "../../src/protocol/rpc";
import { queue, result, row, rows, taskMessage, uid } from "./helpers";
import { fakeProducer } from "./fake-producer";

describe("QueueDO delivery sizing", () => {
  it("fails a message too large once escaped (36,000 '\"') with PayloadTooLarge and a dead letter; the others are leased", async () => {
    const q = uid("q-big");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    await stub.configure(q, { paused: true });
    // 72,000 characters of JSON (short enough by `.length`), 144,000 bytes as sent.
    const big = taskMessage(q, "demo.identity", { args: ['"'.repeat(36_000)] });
    const small = taskMessage(q, "demo.identity", { args: ["small"] });
    await stub.enqueue([big, small]);
    await stub.configure(q, { paused: false });

    const r = await result(big.id, q);
    expect(r?.state).toBe("FAILURE");
    expect(r?.error?.type).toBe("PayloadTooLarge");
    expect(await row(q, big.id)).toBeUndefined();
    expect(await row(q, small.id)).toMatchObject({ state: "leased" });
    expect((await stub.stats(q)).failed).toBe(1);
    expect(producer.sent.flatMap((d) => d.tasks).length).toBe(1);
    expect(((await stub.deadLetter(q, big.id)) as DeadLetter | null)?.error.type).toBe("PayloadTooLarge");
  });

  it("100 tasks of args [['ab'] * 150] (153 KB as sent) are all leased: the window is split over Queue messages", async () => {
    const q = uid("q-bulk");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    await stub.configure(q, { paused: true });
    const msgs = Array.from({ length: 100 }, () => taskMessage(q, "demo.identity", { args: [Array(150).fill("ab")] }));
    await stub.enqueue(msgs);
    await stub.configure(q, { paused: false });
    const all = await rows(q);
    expect(all.map((r) => r.state)).toStrictEqual(Array(100).fill("leased"));
    expect(producer.sent.length).toBeGreaterThan(1);
    expect(producer.sent.flatMap((d) => d.tasks.map((t) => t.lease)).sort()).toStrictEqual(all.map((r) => r.lease).sort());
  });

  it("three tasks of 21,500 'é' (43 KB each as sent) are all leased", async () => {
    const q = uid("q-accents");
    const stub = queue(q);
    const producer = await fakeProducer(q);
    await stub.configure(q, { paused: true });
    await stub.enqueue([0, 1, 2].map(() => taskMessage(q, "demo.identity", { args: ["é".repeat(21_500)] })));
    await stub.configure(q, { paused: false });
    expect((await rows(q)).map((r) => r.state)).toStrictEqual(["leased", "leased", "leased"]);
    expect(producer.sent.length).toBe(2);
  });
});
