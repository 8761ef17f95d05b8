/**
 * Held messages (an apply over several queue objects): a QueueDO takes its part of such an apply
 * held (`enqueueSent`'s `holdMs`) and dispatches none of it until the apply releases it, so that
 * an apply another object refuses can take it back before anything ran. Held rows whose apply was
 * lost run once their hold lapses. Before, each object dispatched its part at once: a refused
 * apply over a sharded queue ran most of its tasks.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sentMessage } from "../../src/protocol/rpc";
import { queue, row, rows, sql, taskMessage, uid } from "./helpers";

/** The state of an id's row once the queue's pump is idle ("leased": dispatched). */
const stateOf = async (q: string, id: string) => (await row(q, id))?.state;

describe("held messages", () => {
  it("are not dispatched until released; a release lets them run", async () => {
    const q = uid("q-hold");
    const m = taskMessage(q, "demo.add", { args: [2, 3] });
    expect(await queue(q).enqueueSent(q, [sentMessage(m)], 1, 30_000)).toMatchObject({ added: 1, staged: true });
    const [held] = await rows(q);
    expect(held).toMatchObject({ id: m.id, state: "waiting" });
    expect(held!.hold_until).toBeGreaterThan(Date.now());
    expect(await queue(q).stats(q)).toMatchObject({ waiting: 1, leased: 0 });
    // A message sent after it, not held, is dispatched past it.
    const free = taskMessage(q, "demo.add", { args: [1, 1] });
    await queue(q).enqueueSent(q, [sentMessage(free)]);
    expect(await stateOf(q, free.id)).toBe("leased");
    expect(await stateOf(q, m.id)).toBe("waiting");
    expect(await queue(q).release([m.id, "not-held-here"])).toEqual({ released: 1 });
    expect(await stateOf(q, m.id)).toBe("leased");
  });

  it("are taken back by a cancel before anything ran", async () => {
    const q = uid("q-hold-cancel");
    const m = taskMessage(q, "demo.add", { args: [2, 3] });
    await queue(q).enqueueSent(q, [sentMessage(m)], 1, 30_000);
    expect(await queue(q).cancel([m.id])).toEqual({ removed: 1 });
    expect(await rows(q)).toEqual([]);
  });

  it("run once their hold lapses (the apply that held them was lost), from the alarm", async () => {
    const q = uid("q-hold-lapse");
    const m = taskMessage(q, "demo.add", { args: [4, 4] });
    await queue(q).enqueueSent(q, [sentMessage(m)], 1, 30_000);
    expect(await stateOf(q, m.id)).toBe("waiting");
    await sql(q, "UPDATE messages SET hold_until = ? WHERE id = ?", Date.now() - 1, m.id);
    await runInDurableObject(queue(q), async (instance) => {
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    expect(await stateOf(q, m.id)).toBe("leased");
  });

  it("a hold is at most APPLY_HOLD_MS, and a plain enqueue holds nothing", async () => {
    const q = uid("q-hold-cap");
    const [a, b] = [taskMessage(q, "demo.add", { args: [1, 1] }), taskMessage(q, "demo.add", { args: [1, 2] })];
    await queue(q).configure(q, { paused: true });
    await queue(q).enqueueSent(q, [sentMessage(a)], 1, 10 ** 12);
    await queue(q).enqueueSent(q, [sentMessage(b)]);
    const byId = new Map((await rows(q)).map((r) => [r.id, r]));
    expect(byId.get(a.id)!.hold_until).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(byId.get(b.id)?.hold_until ?? null).toBeNull();
  });
});
