// Contract: custom states set by a task (PROGRESS with meta), seen by plain GETs; `?wait` holds
// through non-ready changes.
import { describe, expect, it } from "vitest";
import { api, describeRes, pollResult, send, waitResult, type Result } from "./helpers";

describe("custom state PROGRESS", () => {
  it("is observed with meta {current, total} by polling, then SUCCESS", async () => {
    const steps = 5;
    const h = await send("demo.progress", { args: [steps, 400] });
    const seen = await pollResult(h.id, (r) => ["SUCCESS", "FAILURE", "REVOKED"].includes(r.state), {
      intervalMs: 50,
      timeoutMs: 45_000,
    });
    const final = seen.at(-1)!;
    expect(final.state, JSON.stringify(final)).toBe("SUCCESS");
    expect(final.result).toBe(steps);

    const progress = seen.filter((r) => r.state === "PROGRESS");
    expect(progress.length, JSON.stringify(seen.map((r) => r.state))).toBeGreaterThan(0);
    for (const r of progress) {
      expect(r.meta).toEqual({ current: expect.any(Number), total: steps });
      expect(r.meta.current).toBeGreaterThanOrEqual(0);
      expect(r.meta.current).toBeLessThanOrEqual(steps);
      expect(r.task).toBe("demo.progress");
    }
    // Progress only moves forward.
    const currents = progress.map((r) => r.meta.current as number);
    expect(currents).toEqual([...currents].sort((a, b) => a - b));
    // Nothing but the contract's states and the task's custom state shows up.
    for (const r of seen) expect(["PENDING", "RECEIVED", "STARTED", "PROGRESS", "SUCCESS"]).toContain(r.state);
  });

  it("?wait holds through PROGRESS and answers the ready result", async () => {
    const h = await send("demo.progress", { args: [3, 300] });
    const res = await api<Result>("GET", `/v1/results/${h.id}?wait=30`);
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.state, describeRes(res)).toBe("SUCCESS");
    expect(res.json.result).toBe(3);
  });

  it("demo.progress(0, …) returns 0", async () => {
    const h = await send("demo.progress", { args: [0, 10] });
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(0);
  });
});
