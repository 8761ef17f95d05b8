// Contract, "Additions: second release", Scoped tokens: in local dev dev-token (admin),
// dev-enqueue (enqueue only) and dev-read (read only); a valid token without the scope a route
// needs is 403 forbidden; a missing or unknown token is still 401.
import { describe, expect, it } from "vitest";
import { api, describeRes, expectError, getResult, pausedQueue, uniqId, waitResult } from "./helpers";

describe("scoped tokens", () => {
  it("dev-enqueue sends (tasks, apply, bulk) and reads nothing", async () => {
    const a = await api("POST", "/v1/tasks/demo.add", { args: [1, 2] }, { token: "dev-enqueue" });
    expect(a.status, describeRes(a)).toBe(202);
    const b = await api("POST", "/v1/apply", { task: "demo.add", args: [2, 2] }, { token: "dev-enqueue" });
    expect(b.status, describeRes(b)).toBe(202);
    const c = await api("POST", "/v1/apply/bulk", { signatures: [{ task: "demo.noop" }] }, { token: "dev-enqueue" });
    expect(c.status, describeRes(c)).toBe(202);
    expect((await waitResult(b.json.id)).result).toBe(4);
    for (const [method, path] of [
      ["GET", `/v1/results/${a.json.id}`],
      ["GET", "/v1/queues"],
      ["GET", "/v1/metrics"],
      ["GET", "/v1/dead-letters"],
      ["GET", "/v1/schedules"],
    ]) {
      expectError(await api(method!, path!, undefined, { token: "dev-enqueue" }), 403, "forbidden");
    }
  });

  it("dev-read reads and sends nothing: the refused send enqueues nothing", async () => {
    const h = await api("POST", "/v1/tasks/demo.add", { args: [3, 4] });
    expect((await waitResult(h.json.id)).result).toBe(7);
    const r = await api("GET", `/v1/results/${h.json.id}`, undefined, { token: "dev-read" });
    expect(r.status, describeRes(r)).toBe(200);
    expect(r.json.result).toBe(7);
    expect((await api("GET", "/v1/queues", undefined, { token: "dev-read" })).status).toBe(200);
    const id = uniqId();
    expectError(await api("POST", "/v1/tasks/demo.noop", { options: { task_id: id } }, { token: "dev-read" }), 403, "forbidden");
    expectError(await api("POST", "/v1/apply", { task: "demo.noop", options: { task_id: id } }, { token: "dev-read" }), 403, "forbidden");
    expect((await getResult(id)).state).toBe("PENDING");
  });

  it("queue settings, purge, revoke, forget and replay need admin", async () => {
    const q = await pausedQueue();
    const id = uniqId();
    for (const token of ["dev-enqueue", "dev-read"]) {
      expectError(await api("PUT", `/v1/queues/${q}`, { paused: false }, { token }), 403, "forbidden");
      expectError(await api("DELETE", `/v1/queues/${q}/messages`, undefined, { token }), 403, "forbidden");
      expectError(await api("POST", `/v1/results/${id}/revoke`, {}, { token }), 403, "forbidden");
      expectError(await api("DELETE", `/v1/results/${id}`, undefined, { token }), 403, "forbidden");
      expectError(await api("POST", `/v1/dead-letters/${id}/replay`, {}, { token }), 403, "forbidden");
    }
    // Unchanged by the refused calls.
    expect((await api("GET", `/v1/queues/${q}`)).json.paused).toBe(true);
    expect((await api("PUT", `/v1/queues/${q}`, { paused: false })).status).toBe(200);
  });

  it("a missing or unknown token is still 401, for every scope's routes", async () => {
    for (const token of [null, "dev-nope", "dev-read-x"]) {
      expectError(await api("GET", "/v1/queues", undefined, { token }), 401, "unauthorized");
      expectError(await api("POST", "/v1/apply", { task: "demo.noop" }, { token }), 401, "unauthorized");
    }
  });

  it("the broker endpoint refuses enqueue and read tokens", async () => {
    for (const token of ["dev-enqueue", "dev-read"]) {
      expectError(await api("GET", `/__edgery/broker/results/${uniqId()}`, undefined, { token }), 403, "forbidden");
    }
  });
});
