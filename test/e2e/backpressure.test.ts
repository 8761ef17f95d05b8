// Back-pressure (the contract's 503 `overloaded`, with Retry-After): a queue's `max_waiting`
// (an addition to PUT /v1/queues/:name) bounds what it holds; past it, sending is refused whole.
import { describe, expect, it } from "vitest";
import { api, expectAllPending, expectError, putQueue, queueStats, send, sig, uniqId, uniqQueue, waitResult } from "./helpers";

describe("back-pressure", () => {
  it("past max_waiting, a send answers 503 overloaded with Retry-After; nothing of it is kept", async () => {
    const q = uniqQueue();
    await putQueue(q, { paused: true });
    const stats = await api("PUT", `/v1/queues/${q}`, { max_waiting: 2 });
    expect(stats.status).toBe(200);
    await send("demo.identity", { args: [1], options: { queue: q } });
    await send("demo.identity", { args: [2], options: { queue: q } });
    const id = uniqId();
    const res = await api("POST", "/v1/tasks/demo.identity", { args: [3], options: { queue: q, task_id: id } });
    expectError(res, 503, "overloaded");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await queueStats(q)).waiting).toBe(2);
    await expectAllPending([id]);
  });

  it("a bulk that would pass the bound is refused whole; after the queue drains it is taken", async () => {
    const q = uniqQueue();
    await putQueue(q, { paused: true });
    await api("PUT", `/v1/queues/${q}`, { max_waiting: 3 });
    const ids = [uniqId(), uniqId(), uniqId(), uniqId()];
    const bulk = { signatures: ids.map((task_id, i) => sig("demo.identity", [i], { queue: q, task_id })) };
    expectError(await api("POST", "/v1/apply/bulk", bulk), 503, "overloaded");
    await expectAllPending(ids);
    await api("PUT", `/v1/queues/${q}`, { max_waiting: 10, paused: false });
    const ok = await api("POST", "/v1/apply/bulk", bulk);
    expect(ok.status).toBe(202);
    expect((await waitResult(ids[3]!)).result).toBe(3);
  });

  it("max_waiting must be an integer >= 1", async () => {
    expectError(await api("PUT", `/v1/queues/${uniqQueue()}`, { max_waiting: 0 }), 422, "invalid_request", "max_waiting");
  });
});
