// Contract, "Additions: second release", One round trip: POST /v1/tasks/:name?wait=S and
// POST /v1/apply?wait=S answer 200 with the handle plus "result" (as GET /v1/results/:id returns
// it) when the task the handle names is ready within S seconds, else 202 with the handle alone.
import { describe, expect, it } from "vitest";
import { api, chain, describeRes, expectAllPending, expectError, getResult, pausedQueue, queueStats, sig, uniqId } from "./helpers";

describe("one round trip", () => {
  it("POST /v1/tasks/:name?wait=S: 200 with the handle and the result", async () => {
    const res = await api("POST", "/v1/tasks/demo.add?wait=20", { args: [2, 3] });
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json).toMatchObject({ kind: "task", result: { state: "SUCCESS", result: 5, task: "demo.add" } });
    expect(res.json.result.id).toBe(res.json.id);
    // Exactly what GET /v1/results/:id answers.
    expect(res.json.result).toEqual(await getResult(res.json.id));
  });

  it("POST /v1/apply?wait=S with a chain: the result of the step its handle names (the last)", async () => {
    const res = await api("POST", "/v1/apply?wait=20", chain([sig("demo.add", [1, 1]), sig("demo.mul", [10])]));
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.parent?.id).toBeTypeOf("string");
    expect(res.json.result).toMatchObject({ id: res.json.id, state: "SUCCESS", result: 20 });
  });

  it("a failure is ready too: 200 with the FAILURE result", async () => {
    const res = await api("POST", "/v1/apply?wait=20", { signature: { task: "demo.fail" }, args: ["boom"] });
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.result).toMatchObject({ state: "FAILURE", error: { type: "DemoError", message: "boom" } });
  });

  it("a group (no result of its own): 202 with the handle as soon as every member is ready, not after the whole wait", async () => {
    // Two in a row, each with the longest wait: waited out in full they would pass the test's timeout.
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", "/v1/apply?wait=30", { task: "celery.group", subtask_type: "group", kwargs: { tasks: [sig("demo.add", [i, 1]), sig("demo.add", [i, 2])] } });
      expect(res.status, describeRes(res)).toBe(202);
      expect(res.json.kind).toBe("group");
      const g = await api("GET", `/v1/groups/${res.json.id}`);
      expect(g.json).toMatchObject({ ready: true, successful: true, completed: 2 });
      expect(g.json.results.map((r: { result: number }) => r.result)).toEqual([i + 1, i + 2]);
    }
  });

  it("not ready within S seconds: 202 with the handle alone, enqueued as without wait", async () => {
    const q = await pausedQueue();
    const res = await api("POST", "/v1/tasks/demo.add?wait=1", { args: [1, 2], options: { queue: q } });
    expect(res.status, describeRes(res)).toBe(202);
    expect(Object.keys(res.json).sort()).toEqual(["id", "kind"]);
    expect((await queueStats(q)).waiting).toBe(1);
  });

  it("a wait that is not a decimal number of seconds is 422 at `wait`, and nothing is sent (hex was read as 16 s)", async () => {
    for (const wait of ["soon", "-1", "NaN", "0x10", "0b1", "0o7", "%201", "1_0", "Infinity", "1e999"]) {
      const id = uniqId();
      expectError(await api("POST", `/v1/tasks/demo.add?wait=${wait}`, { args: [1, 2], options: { task_id: id } }), 422, "invalid_request", "wait");
      expectError(await api("POST", `/v1/apply?wait=${wait}`, { task: "demo.add", args: [1, 2], options: { task_id: id } }), 422, "invalid_request", "wait");
      await expectAllPending([id]);
    }
  });
});
