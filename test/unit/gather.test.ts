// Unit tests of dispatch gathering's rule (src/runtime/gather.ts): when a queue shard waits
// before a dispatch, and the deploy setting EDGERY_DISPATCH_GATHER_MS that says for how long.
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_DISPATCH_GATHER_MS, MAX_DISPATCH_GATHER_MS } from "../../src/protocol/index.js";
import { dispatchGatherMs, gatherEnough, type GatherCounts } from "../../src/runtime/gather.js";

/** Whether a shard holding `c` with `waiting` ready gathers: fewer than gatherEnough wait. */
const gathers = (c: GatherCounts & { waiting: number }) => c.waiting < gatherEnough(c);

describe("dispatch gathering", () => {
  it("an idle shard (nothing leased) never gathers, whatever waits", () => {
    expect(gathers({ leased: 0, waiting: 0, window: 1000, prefetch: 100 })).toBe(false);
    expect(gathers({ leased: 0, waiting: 1, window: 1000, prefetch: 100 })).toBe(false);
  });

  it("a busy shard gathers until a full delivery waits: its prefetch, or its window's free room", () => {
    expect(gathers({ leased: 5, waiting: 1, window: 1000, prefetch: 100 })).toBe(true);
    expect(gathers({ leased: 5, waiting: 99, window: 1000, prefetch: 100 })).toBe(true);
    expect(gathers({ leased: 5, waiting: 100, window: 1000, prefetch: 100 })).toBe(false);
    // A window of 79 with 70 leased has room for 9: 9 waiting fill it.
    expect(gathers({ leased: 70, waiting: 8, window: 79, prefetch: 100 })).toBe(true);
    expect(gathers({ leased: 70, waiting: 9, window: 79, prefetch: 100 })).toBe(false);
    // A full window dispatches nothing: no reason to wait.
    expect(gathers({ leased: 79, waiting: 0, window: 79, prefetch: 100 })).toBe(false);
  });

  it("gatherEnough: the waiting count that ends a gather, 0 when a shard does not gather (idle, or its window full)", () => {
    expect(gatherEnough({ leased: 0, window: 1000, prefetch: 100 })).toBe(0);
    expect(gatherEnough({ leased: 5, window: 1000, prefetch: 100 })).toBe(100);
    expect(gatherEnough({ leased: 70, window: 79, prefetch: 100 })).toBe(9);
    expect(gatherEnough({ leased: 79, window: 79, prefetch: 100 })).toBe(0);
    // A window lowered below what is leased (configure while busy) has no room: no gather.
    expect(gatherEnough({ leased: 90, window: 79, prefetch: 100 })).toBe(0);
    expect(gatherEnough({ leased: 1, window: 1000, prefetch: 1 })).toBe(1);
  });

  it("EDGERY_DISPATCH_GATHER_MS: 10 when unset or empty, 0 turns it off, anything else out of 0-1,000 is the default (a bad setting never stops dispatch)", () => {
    expect(DEFAULT_DISPATCH_GATHER_MS).toBe(10);
    expect(dispatchGatherMs({})).toBe(10);
    expect(dispatchGatherMs({ EDGERY_DISPATCH_GATHER_MS: "" })).toBe(10);
    expect(dispatchGatherMs({ EDGERY_DISPATCH_GATHER_MS: "0" })).toBe(0);
    expect(dispatchGatherMs({ EDGERY_DISPATCH_GATHER_MS: " 25 " })).toBe(25);
    expect(dispatchGatherMs({ EDGERY_DISPATCH_GATHER_MS: String(MAX_DISPATCH_GATHER_MS) })).toBe(1000);
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const bad of ["-1", "1001", "2.5", "ten", "1e3"]) {
      expect(dispatchGatherMs({ EDGERY_DISPATCH_GATHER_MS: bad })).toBe(DEFAULT_DISPATCH_GATHER_MS);
    }
    expect(logged.mock.calls.map((c) => String(c[0]))).toEqual(
      ["-1", "1001", "2.5", "ten", "1e3"].map((bad) => `edgery: EDGERY_DISPATCH_GATHER_MS must be an integer from 0 to 1000, not "${bad}"; using 10`),
    );
    logged.mockRestore();
  });
});
