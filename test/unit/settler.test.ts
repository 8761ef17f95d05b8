// Unit tests of the consumer's Settler (src/worker/consumer.ts): one settle call per batch,
// sent on the next timer tick, or at once for the last task of a delivery.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Settler } from "../../src/worker/consumer.js";
import type { SettleItem } from "../../src/protocol/rpc.js";

const item = (id: string): SettleItem => ({ lease: `t:${id}`, id, outcome: { kind: "success", value: id }, worker: "w", startedAt: 1, doneAt: 2, resultExpires: 60 });

afterEach(() => vi.useRealTimers());

describe("Settler", () => {
  it("items added before the timer fires go out in one call", async () => {
    vi.useFakeTimers();
    const calls: string[][] = [];
    const s = new Settler(async (items) => void calls.push(items.map((i) => i.id)));
    const a = s.add(item("a"));
    const b = s.add(item("b"));
    await Promise.resolve();
    expect(calls).toEqual([]);
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    expect(calls).toEqual([["a", "b"]]);
  });

  it("the last item sends at once, with what waits beside it, without the timer", async () => {
    vi.useFakeTimers();
    const calls: string[][] = [];
    const s = new Settler(async (items) => void calls.push(items.map((i) => i.id)));
    const a = s.add(item("a"));
    const b = s.add(item("b"), true);
    await Promise.all([a, b]); // resolves without advancing the fake clock
    expect(calls).toEqual([["a", "b"]]);
    expect(vi.getTimerCount()).toBe(0);
    await s.add(item("c"), true);
    expect(calls).toEqual([["a", "b"], ["c"]]);
  });
});
