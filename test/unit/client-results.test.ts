import { describe, expect, expectTypeOf, it } from "vitest";
import {
  AsyncResult,
  ChordError,
  GroupResult,
  MaxRetriesExceededError,
  SoftTimeLimitExceeded,
  TaskFailedError,
  TaskRevokedError,
  TimeLimitExceeded,
  TimeoutError,
  sig,
} from "../../client/index.js";
import { fakeClient, sequence, taskResult } from "./client-fake-fetch.js";



describe("AsyncResult", () => {
  it("get() long-polls with ?wait until ready and returns the result", async () => {
    const { client, requests } = fakeClient(sequence(taskResult("t1", "PENDING"), taskResult("t1", "STARTED"), taskResult("t1", "SUCCESS", { result: 4 })));
    const result = client.result<number>("t1");
    const value = await result.get({ interval: 0 });
    expectTypeOf(value).toEqualTypeOf<number>();
    expect(value).toBe(4);
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.method === "GET" && r.path === "/v1/results/t1")).toBe(true);
    expect(requests.map((r) => r.query.get("wait"))).toEqual(["30", "30", "30"]);
  });

  it("get({ timeout }) asks for at most the time left, then throws TimeoutError", async () => {
    const { client, requests } = fakeClient(() => ({ body: taskResult("t1", "PENDING") }));
    const started = Date.now();
    const err = await client.result("t1").get({ timeout: 0.15, interval: 0.02 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).name).toBe("TimeoutError");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => Number(r.query.get("wait")) <= 1)).toBe(true);
  });

  it("get({ timeout: 0 }) reads once", async () => {
    const { client, requests } = fakeClient(() => ({ body: taskResult("t1", "PENDING") }));
    await expect(client.result("t1").get({ timeout: 0 })).rejects.toThrow(TimeoutError);
    expect(requests.map((r) => r.query.get("wait"))).toEqual(["0"]);
  });

  it("get() rejects a negative timeout", async () => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "SUCCESS") }));
    await expect(client.result("t1").get({ timeout: -1 })).rejects.toThrow(TypeError);
  });

  it.each([
    ["SoftTimeLimitExceeded", SoftTimeLimitExceeded],
    ["TimeLimitExceeded", TimeLimitExceeded],
    ["ChordError", ChordError],
    ["MaxRetriesExceededError", MaxRetriesExceededError],
    ["TaskRevokedError", TaskRevokedError],
  ] as const)("rethrows a %s failure as its class", async (type, ErrorClass) => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "FAILURE", { error: { type, message: `boom ${type}` } }) }));
    const err = await client.result("t1").get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErrorClass);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err).toMatchObject({ name: type, type, message: `boom ${type}`, taskId: "t1", state: "FAILURE" });
  });

  it("rethrows a task's own error type under its name", async () => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "FAILURE", { error: { type: "DemoError", message: "nope" } }) }));
    const err = await client.result("t1").get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err).not.toBeInstanceOf(ChordError);
    expect(err).toMatchObject({ name: "DemoError", type: "DemoError", message: "nope" });
  });

  it("a REVOKED task without an error is a TaskRevokedError", async () => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "REVOKED") }));
    await expect(client.result("t1").get()).rejects.toBeInstanceOf(TaskRevokedError);
  });

  it("get({ propagate: false }) returns the error instead of throwing", async () => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "FAILURE", { error: { type: "TimeLimitExceeded", message: "hard" } }) }));
    const value = await client.result("t1").get({ propagate: false });
    expect(value).toBeInstanceOf(TimeLimitExceeded);
  });

  it("state(), info(), ready(), successful(), failed() for a task in progress", async () => {
    const { client, requests } = fakeClient(() => ({ body: taskResult("t1", "PROGRESS", { meta: { current: 2, total: 5 } }) }));
    const r = client.result("t1");
    expect(await r.state()).toBe("PROGRESS");
    expect(await r.info()).toEqual({ current: 2, total: 5 });
    expect(await r.ready()).toBe(false);
    expect(await r.successful()).toBe(false);
    expect(await r.failed()).toBe(false);
    expect(requests).toHaveLength(5);
    expect(requests[0]?.query.has("wait")).toBe(false);
  });

  it("a ready result is read once, and gives children and parent", async () => {
    const { client, requests } = fakeClient(() => ({ body: taskResult("t1", "SUCCESS", { result: 1, children: ["c1", "c2"], parent_id: "p0" }) }));
    const r = client.result("t1");
    expect(await r.info()).toBe(1);
    expect(await r.successful()).toBe(true);
    expect(await r.failed()).toBe(false);
    expect(requests).toHaveLength(1);
    expect(r.children.map((c) => c.id)).toEqual(["c1", "c2"]);
    expect(r.parent?.id).toBe("p0");
  });

  it("info() of a failed task is the error", async () => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "FAILURE", { error: { type: "ChordError", message: "member m1 failed" } }) }));
    const info = await client.result("t1").info();
    expect(info).toBeInstanceOf(ChordError);
    expect(await client.result("t1").failed()).toBe(true);
  });

  it("failed() of a revoked task is false, as Celery's (it is ready and not successful)", async () => {
    const { client } = fakeClient(() => ({ body: taskResult("t1", "REVOKED", { error: { type: "TaskRevokedError", message: "the task was revoked" } }) }));
    const r = client.result("t1");
    expect(await r.failed()).toBe(false);
    expect(await r.ready()).toBe(true);
    expect(await r.successful()).toBe(false);
  });

  it("forget() DELETEs and the next read asks again", async () => {
    const { client, requests } = fakeClient((req) => (req.method === "DELETE" ? { status: 204 } : { body: taskResult("t1", "SUCCESS") }));
    const r = client.result("t1");
    await r.state();
    await r.forget();
    await r.state();
    expect(requests.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /v1/results/t1", "DELETE /v1/results/t1", "GET /v1/results/t1"]);
  });

  it("revoke({ terminate }) POSTs and returns the state", async () => {
    const { client, requests } = fakeClient(() => ({ status: 202, body: { id: "t1", state: "REVOKED" } }));
    expect(await client.result("t1").revoke({ terminate: true })).toBe("REVOKED");
    expect(requests[0]).toMatchObject({ method: "POST", path: "/v1/results/t1/revoke", body: { terminate: true } });
  });

  it("encodes ids in paths", async () => {
    const { client, requests } = fakeClient(() => ({ body: taskResult("a/b", "SUCCESS") }));
    await client.result("a/b").state();
    expect(requests[0]?.path).toBe("/v1/results/a%2Fb");
  });

  it("delay() then get(): the whole round trip", async () => {
    const { client, requests } = fakeClient((req) =>
      req.method === "POST" ? { status: 202, body: { id: "t9", kind: "task" } } : { body: taskResult("t9", "SUCCESS", { result: 4 }) },
    );
    const r = await sig<number>("demo.add", 2).delay(client, 2);
    expect(r).toBeInstanceOf(AsyncResult);
    expect(await r.get({ timeout: 5 })).toBe(4);
    expect(requests[1]?.query.get("wait")).toBe("5");
  });
});

describe("GroupResult", () => {
  const group = (ready: boolean, results: Array<Record<string, unknown>>) => ({
    id: "g",
    results,
    total: results.length,
    completed: results.filter((r) => ["SUCCESS", "FAILURE", "REVOKED"].includes(String(r.state))).length,
    ready,
    successful: results.every((r) => r.state === "SUCCESS"),
    failed: results.some((r) => r.state === "FAILURE"),
  });

  it("get() long-polls /v1/groups/:id and returns results in member order", async () => {
    const answers = [
      group(false, [taskResult("m1", "SUCCESS", { result: 1 }), taskResult("m2", "PENDING")]),
      group(true, [taskResult("m1", "SUCCESS", { result: 1 }), taskResult("m2", "SUCCESS", { result: 2 })]),
    ];
    let i = 0;
    const { client, requests } = fakeClient(() => ({ body: answers[Math.min(i++, 1)] }));
    const g = client.groupResult<number>("g");
    const values = await g.get({ interval: 0 });
    expectTypeOf(values).toEqualTypeOf<number[]>();
    expect(values).toEqual([1, 2]);
    expect(requests.map((r) => `${r.path}?wait=${r.query.get("wait")}`)).toEqual(["/v1/groups/g?wait=30", "/v1/groups/g?wait=30"]);
    expect(g.results.map((r) => r.id)).toEqual(["m1", "m2"]);
    // members were primed by the group read: no extra request
    expect(await g.results[1]?.get()).toBe(2);
    expect(requests).toHaveLength(2);
  });

  it("get() rethrows the first failure in member order", async () => {
    const answer = group(true, [
      taskResult("m1", "SUCCESS"),
      taskResult("m2", "FAILURE", { error: { type: "DemoError", message: "second" } }),
      taskResult("m3", "FAILURE", { error: { type: "TimeLimitExceeded", message: "third" } }),
    ]);
    const { client } = fakeClient(() => ({ body: answer }));
    await expect(client.groupResult("g").get()).rejects.toMatchObject({ name: "DemoError", message: "second", taskId: "m2" });
    const values = await client.groupResult("g").get({ propagate: false });
    expect(values[2]).toBeInstanceOf(TimeLimitExceeded);
  });

  it("get({ timeout }) throws TimeoutError", async () => {
    const { client } = fakeClient(() => ({ body: group(false, [taskResult("m1", "PENDING")]) }));
    await expect(client.groupResult("g").get({ timeout: 0.05, interval: 0.01 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("completedCount(), ready(), successful(), failed()", async () => {
    const { client } = fakeClient(() => ({ body: group(false, [taskResult("m1", "FAILURE", { error: { type: "E", message: "" } }), taskResult("m2", "STARTED")]) }));
    const g = client.groupResult("g");
    expect(await g.completedCount()).toBe(1);
    expect(await g.ready()).toBe(false);
    expect(await g.successful()).toBe(false);
    expect(await g.failed()).toBe(true);
  });

  it("an unknown group is a 404 not_found", async () => {
    const { client } = fakeClient(() => ({ status: 404, body: { error: { code: "not_found", message: "no group g" } } }));
    await expect(client.groupResult("g").get()).rejects.toMatchObject({ status: 404, code: "not_found" });
  });

  it("revoke() revokes every member", async () => {
    const { client, requests } = fakeClient((req) => ({ status: 202, body: { id: req.path.split("/")[3], state: "REVOKED" } }));
    const g = new GroupResult("g", [client.result("m1"), client.result("m2")], client.requester);
    expect(await g.revoke()).toEqual(["REVOKED", "REVOKED"]);
    expect(requests.map((r) => r.path).sort()).toEqual(["/v1/results/m1/revoke", "/v1/results/m2/revoke"]);
  });
});
