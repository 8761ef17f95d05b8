// Contract: soft and hard time limits, enforced by edgery itself in local dev.
// No durations are asserted: only the final states and error types.
import { describe, expect, it } from "vitest";
import { getResult, send, sleep, waitResult } from "./helpers";

describe("soft_time_limit", () => {
  it("a task that catches SoftTimeLimitExceeded cleans up and succeeds", async () => {
    const h = await send("demo.soft_cleanup", { args: [10_000], options: { soft_time_limit: 1 } });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("SUCCESS");
    expect(r.result).toBe("cleaned up");
  });

  it("uncaught SoftTimeLimitExceeded → FAILURE", async () => {
    const h = await send("demo.sleep", { args: [10_000], options: { soft_time_limit: 1 } });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("FAILURE");
    expect(r.error?.type).toBe("SoftTimeLimitExceeded");
  });

  it("the soft limit fires before a later hard limit", async () => {
    const h = await send("demo.sleep", { args: [10_000], options: { soft_time_limit: 1, time_limit: 3 } });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("FAILURE");
    expect(r.error?.type).toBe("SoftTimeLimitExceeded");
  });

  it("demo.soft_cleanup without reaching the limit returns normally", async () => {
    const h = await send("demo.soft_cleanup", { args: [50], options: { soft_time_limit: 10 } });
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).not.toBe("cleaned up");
  });
});

describe("time_limit (hard)", () => {
  it("a busy CPU loop over the limit → FAILURE TimeLimitExceeded, and its late result is dropped", async () => {
    const h = await send("demo.spin", { args: [3000], options: { time_limit: 1 } });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("FAILURE");
    expect(r.error?.type).toBe("TimeLimitExceeded");
    // Let the spin finish on its own; its result must not overwrite the failure.
    await sleep(4000);
    const later = await getResult(h.id);
    expect(later.state, JSON.stringify(later)).toBe("FAILURE");
    expect(later.error?.type).toBe("TimeLimitExceeded");
    expect(later.result).not.toBe(3000);
  });

  it("a sleeping task over the limit → FAILURE TimeLimitExceeded, stays so", async () => {
    const h = await send("demo.sleep", { args: [5000], options: { time_limit: 1 } });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("FAILURE");
    expect(r.error?.type).toBe("TimeLimitExceeded");
    await sleep(5000);
    const later = await getResult(h.id);
    expect(later.state).toBe("FAILURE");
    expect(later.error?.type).toBe("TimeLimitExceeded");
  });

  it("a task within its limits succeeds", async () => {
    const h = await send("demo.sleep", { args: [100], options: { time_limit: 10, soft_time_limit: 5 } });
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(100);
  });
});
