// Unit tests of src/runtime/rate-limit.ts: Celery's rate-limit strings and the per-bucket clock.
import { describe, expect, it } from "vitest";
import { isRateLimit, rateBucket, rateInterval, takeTurn } from "../../src/runtime/rate-limit.js";
import type { TaskMessage } from "../../src/protocol/message.js";
import { MAX_ETA_EPOCH_MS, MAX_RATE_INTERVAL_MS } from "../../src/protocol/index.js";

describe("rateInterval", () => {
  it("reads Celery's forms: per second, minute, hour, and a bare number per second", () => {
    expect(rateInterval("10/s")).toBe(100);
    expect(rateInterval("100/m")).toBe(600);
    expect(rateInterval("1000/h")).toBe(3600);
    expect(rateInterval(4)).toBe(250);
    expect(rateInterval("2")).toBe(500);
  });

  it("no limit for 0, and nothing for what is not a rate", () => {
    expect(rateInterval("0/s")).toBeNull();
    expect(rateInterval(0)).toBeNull();
    expect(rateInterval("ten per second")).toBeNull();
    expect(isRateLimit("0")).toBe(true);
    expect(isRateLimit("10/d")).toBe(false);
  });
});

describe("the slowest rate limit", () => {
  it("is one task a day: a slower one is not a rate limit (it would hold its bucket for centuries)", () => {
    expect(rateInterval(1 / 86_400)).toBe(MAX_RATE_INTERVAL_MS);
    expect(rateInterval("1/h")).toBe(3_600_000);
    expect(rateInterval("0.05/h")).toBe(72_000_000);
    for (const slow of [1e-300, 1 / 86_401, "0.0001/h", "0.0000000001/h", "0.00001/s", "0.0001/m"]) {
      expect(isRateLimit(slow), String(slow)).toBe(false);
      expect(rateInterval(slow), String(slow)).toBeNull();
    }
    expect(isRateLimit("0.001/m")).toBe(true);
    expect(isRateLimit(1e308)).toBe(true);
  });
});

describe("takeTurn", () => {
  it("a clock past any time a task may be held to (a rate no longer accepted left it) holds nothing back", () => {
    const clocks = new Map<string, number>([["a", 1e303], ["b", MAX_ETA_EPOCH_MS + 1], ["c", MAX_ETA_EPOCH_MS - 10]]);
    expect(takeTurn(clocks, "a", 100, 1000)).toBe(1000);
    expect(clocks.get("a")).toBe(1100);
    expect(takeTurn(clocks, "b", 100, 1000)).toBe(1000);
    expect(takeTurn(clocks, "c", 100, 1000)).toBe(MAX_ETA_EPOCH_MS - 10);
  });

  it("spaces a bucket's tasks one interval apart; an idle bucket starts now", () => {
    const clocks = new Map<string, number>();
    expect([takeTurn(clocks, "a", 100, 1000), takeTurn(clocks, "a", 100, 1000), takeTurn(clocks, "a", 100, 1000)]).toStrictEqual([1000, 1100, 1200]);
    expect(takeTurn(clocks, "b", 100, 1000)).toBe(1000);
    expect(takeTurn(clocks, "a", 100, 5000)).toBe(5000);
  });
});

describe("rateBucket", () => {
  const m = (over: Partial<TaskMessage>) => ({ task: "t", stamps: {}, kwargs: {}, options: {}, ...over }) as TaskMessage;
  it("is the task alone without a key; with rate_limit_key, one bucket per stamp or kwarg value", () => {
    expect(rateBucket(m({}))).toBe("t");
    const a = rateBucket(m({ options: { rate_limit_key: "tenant" }, stamps: { tenant: "acme" } }));
    const b = rateBucket(m({ options: { rate_limit_key: "tenant" }, kwargs: { tenant: "globex" } }));
    expect(a).not.toBe(b);
    expect(rateBucket(m({ options: { rate_limit_key: "tenant" }, stamps: { tenant: "acme" } }))).toBe(a);
  });
});
