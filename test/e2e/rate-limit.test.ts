// Contract (flow control): `rate_limit` ("10/s", "100/m", "1000/h") and `rate_limit_key`.
import { describe, expect, it } from "vitest";
import { api, expectError, getResult, send, uniqQueue, waitQueue, waitResult } from "./helpers";

describe("rate_limit", () => {
  it("'1/h': the first task runs, the second waits as delayed (never as waiting)", async () => {
    const q = uniqQueue();
    const first = await send("demo.identity", { args: [1], options: { queue: q, rate_limit: "1/h" } });
    const second = await send("demo.identity", { args: [2], options: { queue: q, rate_limit: "1/h" } });
    expect((await waitResult(first.id)).result).toBe(1);
    const stats = await waitQueue(q, (s) => s.delayed === 1);
    expect(stats).toMatchObject({ waiting: 0, delayed: 1 });
    expect((await getResult(second.id)).state).toBe("PENDING");
  });

  it("with rate_limit_key, each value of the stamp has its own limit", async () => {
    const q = uniqQueue();
    const opts = (tenant: string) => ({ queue: q, rate_limit: "1/h", rate_limit_key: "tenant", stamps: { tenant } });
    const a = await send("demo.identity", { args: ["a"], options: opts("acme") });
    const b = await send("demo.identity", { args: ["b"], options: opts("globex") });
    expect((await waitResult(a.id)).result).toBe("a");
    expect((await waitResult(b.id)).result).toBe("b");
  });

  it("a malformed rate limit is refused with its path", async () => {
    expectError(await api("POST", "/v1/tasks/demo.noop", { options: { rate_limit: "fast" } }), 422, "invalid_signature", "options.rate_limit");
  });
});
