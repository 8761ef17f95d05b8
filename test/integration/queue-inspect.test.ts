/**
 * QueueDO.inspect: the rows `GET /v1/inspect/active|scheduled` list. Active is leased AND begun
 * (a lease nobody began yet is not running); scheduled is delayed, soonest first; both bounded.
 * The TASKS producer goes to a queue nobody consumes: the test plays the consumer.
 */
import { describe, expect, it } from "vitest";
import { beginItem, onlyLease, queue, taskMessage, uid } from "./helpers";

describe("QueueDO.inspect", () => {
  it("lists a leased row as active only once a consumer began it", async () => {
    const q = uid("q-inspect");
    const m = taskMessage(q, "demo.sleep", { args: [1] });
    await queue(q).enqueue([m]);
    const leased = await onlyLease(q);
    expect(await queue(q).inspect(q, "active", 10)).toEqual([]);
    const before = Date.now();
    expect(await queue(q).begin([beginItem(leased.lease!, m.id)])).toEqual([{ lease: leased.lease, action: "run" }]);
    const after = Date.now();
    const [row] = await queue(q).inspect(q, "active", 10);
    expect(await queue(q).inspect(q, "active", 10)).toEqual([{ id: m.id, task: "demo.sleep", queue: q, priority: m.priority, eta: null, startedAt: row!.startedAt }]);
    // When the begin began it, without track_started (before, only a STARTED result said so).
    expect(row!.startedAt).toBeGreaterThanOrEqual(before);
    expect(row!.startedAt).toBeLessThanOrEqual(after);
    // A repeated begin of the same lease keeps the first start.
    await new Promise((ok) => setTimeout(ok, 5));
    expect(await queue(q).begin([beginItem(leased.lease!, m.id)])).toEqual([{ lease: leased.lease, action: "run" }]);
    expect((await queue(q).inspect(q, "active", 10))[0]!.startedAt).toBe(row!.startedAt);
    expect(await queue(q).inspect(q, "scheduled", 10)).toEqual([]);
  });

  it("lists delayed rows soonest first, at most `limit`, never waiting ones", async () => {
    const q = uid("q-inspect");
    const now = Date.now();
    const late = taskMessage(q, "demo.add", { eta: now + 900_000, priority: 2 });
    const soon = taskMessage(q, "demo.mul", { eta: now + 600_000, priority: 7 });
    await queue(q).configure(q, { paused: true });
    await queue(q).enqueue([late, soon, taskMessage(q, "demo.noop")]);
    expect(await queue(q).inspect(q, "scheduled", 10)).toEqual([
      { id: soon.id, task: "demo.mul", queue: q, priority: 7, eta: now + 600_000, startedAt: null },
      { id: late.id, task: "demo.add", queue: q, priority: 2, eta: now + 900_000, startedAt: null },
    ]);
    expect((await queue(q).inspect(q, "scheduled", 1)).map((r) => r.id)).toEqual([soon.id]);
    expect(await queue(q).inspect(q, "active", 10)).toEqual([]);
  });
});
