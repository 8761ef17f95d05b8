// Contract: POST /v1/tasks/:name, POST /v1/apply (both forms), results, forget, ignore_result,
// routing, and the demo tasks' behaviour.
import { describe, expect, it } from "vitest";
import {
  api,
  apply,
  describeRes,
  getResult,
  group,
  send,
  sig,
  uniqId,
  uniqQueue,
  waitQueue,
  waitGroup,
  waitResult,
  type Result,
} from "./helpers";

/** Keys of the result object in the contract's example (`worker` is described in the text). */
const RESULT_KEYS = [
  "id",
  "state",
  "result",
  "meta",
  "error",
  "task",
  "queue",
  "retries",
  "parent_id",
  "group_id",
  "children",
  "started_at",
  "date_done",
];

const isIsoDate = (s: unknown) => typeof s === "string" && !Number.isNaN(Date.parse(s)) && /\d{4}-\d{2}-\d{2}T/.test(s);

function expectTaskHandle(h: any) {
  expect(h.kind).toBe("task");
  expect(h.id).toBeTypeOf("string");
  expect(h.id.length).toBeGreaterThan(0);
  expect(h.results ?? undefined).toBeUndefined();
  expect(h.parent ?? undefined).toBeUndefined();
}

describe("POST /v1/tasks/:name", () => {
  it("answers 202 with a task handle and runs the task", async () => {
    const res = await api("POST", "/v1/tasks/demo.add", { args: [2, 2] });
    expect(res.status, describeRes(res)).toBe(202);
    expectTaskHandle(res.json);
    const r = await waitResult(res.json.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBe(4);
    expect(r.id).toBe(res.json.id);
    expect(r.task).toBe("demo.add");
    expect(r.queue).toBe("default");
  });

  it("accepts an empty body object for a task without arguments", async () => {
    const h = await send("demo.noop", {});
    const r = await waitResult(h.id);
    expect(r.state).toBe("SUCCESS");
    expect(r.result).toBeNull();
  });

  it("honours options.task_id", async () => {
    const id = uniqId();
    const h = await send("demo.identity", { args: ["mine"], options: { task_id: id } });
    expect(h.id).toBe(id);
    expect((await waitResult(id)).result).toBe("mine");
  });

  it("passes kwargs", async () => {
    const h = await send("demo.echo", { args: [1], kwargs: { a: "b" } });
    expect((await waitResult(h.id)).result).toEqual({ args: [1], kwargs: { a: "b" } });
  });
});

describe("POST /v1/apply", () => {
  it("takes a bare signature", async () => {
    const res = await api("POST", "/v1/apply", { task: "demo.add", args: [3, 4], kwargs: {}, options: {}, subtask_type: null, immutable: false });
    expect(res.status, describeRes(res)).toBe(202);
    expectTaskHandle(res.json);
    expect((await waitResult(res.json.id)).result).toBe(7);
  });

  it("takes a signature with only `task`", async () => {
    const h = await apply({ task: "demo.noop" });
    expect((await waitResult(h.id)).state).toBe("SUCCESS");
  });

  it("takes the wrapper form; call-time args are prepended to the partial's args", async () => {
    const h = await apply({ signature: { task: "demo.echo", args: [1] }, args: [2, 3] });
    expect((await waitResult(h.id)).result).toEqual({ args: [2, 3, 1], kwargs: {} });
  });

  it("wrapper form: call-time kwargs are merged and win", async () => {
    const h = await apply({
      signature: { task: "demo.echo", args: [1], kwargs: { a: 1, b: 1 } },
      args: [2, 3],
      kwargs: { b: 2, c: 3 },
    });
    expect((await waitResult(h.id)).result).toEqual({ args: [2, 3, 1], kwargs: { a: 1, b: 2, c: 3 } });
  });

  it("wrapper form: call-time options apply (task_id)", async () => {
    const id = uniqId();
    const h = await apply({ signature: { task: "demo.identity", args: [5] }, options: { task_id: id } });
    expect(h.id).toBe(id);
    expect((await waitResult(id)).result).toBe(5);
  });

  it("wrapper form without call-time values runs the signature as is", async () => {
    const h = await apply({ signature: { task: "demo.add", args: [10, 5] } });
    expect((await waitResult(h.id)).result).toBe(15);
  });
});

describe("results", () => {
  it("has the contract's shape", async () => {
    const h = await send("demo.add", { args: [1, 2] });
    const r = await waitResult(h.id);
    for (const key of RESULT_KEYS) expect(r, `missing key ${key}: ${JSON.stringify(r)}`).toHaveProperty(key);
    // Wire names are Celery's snake_case: no camelCase leaks from the TypeScript side.
    for (const key of Object.keys(r)) expect(key, JSON.stringify(r)).not.toMatch(/[A-Z]/);
    expect(r).toMatchObject({
      id: h.id,
      state: "SUCCESS",
      result: 3,
      meta: null,
      error: null,
      task: "demo.add",
      queue: "default",
      retries: 0,
      parent_id: null,
      group_id: null,
    });
    expect(Array.isArray(r.children)).toBe(true);
    expect(isIsoDate(r.started_at), String(r.started_at)).toBe(true);
    expect(isIsoDate(r.date_done), String(r.date_done)).toBe(true);
    expect(Date.parse(r.date_done!)).toBeGreaterThanOrEqual(Date.parse(r.started_at!));
    if ("worker" in r) expect(r.worker).toBeTypeOf("string");
  });

  it("an unknown id reads PENDING", async () => {
    const id = uniqId();
    const r = await getResult(id);
    expect(r.state).toBe("PENDING");
    expect(r.id).toBe(id);
    expect(r.result ?? null).toBeNull();
  });

  it("?wait on an unknown id still answers PENDING (after the wait)", async () => {
    const res = await api<Result>("GET", `/v1/results/${uniqId()}?wait=1`);
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.state).toBe("PENDING");
  });

  it("DELETE forgets a stored result: 204, then PENDING", async () => {
    const h = await send("demo.identity", { args: ["forget me"] });
    expect((await waitResult(h.id)).state).toBe("SUCCESS");
    const del = await api("DELETE", `/v1/results/${h.id}`);
    expect(del.status, describeRes(del)).toBe(204);
    expect((await getResult(h.id)).state).toBe("PENDING");
  });

  it("DELETE of a group id forgets its members too, a nested group's included (Celery's GroupResult.forget())", async () => {
    const h = await apply(group([sig("demo.add", [1, 1]), group([sig("demo.add", [2, 2]), sig("demo.add", [3, 3])])]));
    const g = await waitGroup(h.id);
    expect(g.ready).toBe(true);
    const ids = [h.results![0]!.id, ...h.results![1]!.results!.map((r) => r.id)];
    for (const id of ids) expect((await getResult(id)).state).toBe("SUCCESS");
    expect((await api("DELETE", `/v1/results/${h.id}`)).status).toBe(204);
    for (const id of ids) expect((await getResult(id)).state).toBe("PENDING");
    expect((await api("GET", `/v1/groups/${h.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/groups/${h.results![1]!.id}`)).status).toBe(404);
  });

  it("ignore_result: the task runs but its id stays PENDING", async () => {
    const q = uniqQueue();
    const h = await send("demo.add", { args: [1, 1], options: { queue: q, ignore_result: true } });
    // The queue's completed counter shows the task ran.
    await waitQueue(q, (s) => s.completed >= 1);
    expect((await getResult(h.id)).state).toBe("PENDING");
  });
});

describe("demo tasks", () => {
  it("demo.fail → FAILURE with error {type: DemoError, message}", async () => {
    const h = await send("demo.fail", { args: ["it broke"] });
    const r = await waitResult(h.id);
    expect(r.state).toBe("FAILURE");
    expect(r.error).toEqual(expect.objectContaining({ type: "DemoError", message: "it broke" }));
    expect(r.date_done).toBeTypeOf("string");
  });

  it("demo.request returns its request", async () => {
    const id = uniqId();
    const h = await send("demo.request", { options: { task_id: id, priority: 5 } });
    expect(h.id).toBe(id);
    const r = await waitResult(id);
    expect(r.state).toBe("SUCCESS");
    const req = r.result;
    for (const key of ["id", "task", "queue", "priority", "retries", "group_id", "parent_id", "root_id", "stamps", "delivery_info"]) {
      expect(req, `missing ${key}: ${JSON.stringify(req)}`).toHaveProperty(key);
    }
    expect(req).toMatchObject({
      id,
      task: "demo.request",
      queue: "default",
      priority: 5,
      retries: 0,
      group_id: null,
      parent_id: null,
    });
    // As in Celery, a task sent on its own is the root of its workflow.
    expect(req.root_id).toBe(id);
    expect(req.stamps).toBeTypeOf("object");
    expect(req.delivery_info).toBeTypeOf("object");
  });

  it("demo.mul is routed to queue `math`", async () => {
    const h = await send("demo.mul", { args: [3, 4] });
    const r = await waitResult(h.id);
    expect(r.result).toBe(12);
    expect(r.queue).toBe("math");
  });

  it("demo.mul through /v1/apply is routed to `math` too", async () => {
    const h = await apply({ task: "demo.mul", args: [5, 6] });
    const r = await waitResult(h.id);
    expect(r.result).toBe(30);
    expect(r.queue).toBe("math");
  });

  it("options.queue overrides the default queue", async () => {
    const q = uniqQueue();
    const h = await send("demo.add", { args: [20, 22], options: { queue: q } });
    const r = await waitResult(h.id);
    expect(r.result).toBe(42);
    expect(r.queue).toBe(q);
  });

  it("options.queue overrides a route", async () => {
    const q = uniqQueue();
    const h = await apply({ task: "demo.mul", args: [2, 21], options: { queue: q } });
    const r = await waitResult(h.id);
    expect(r.result).toBe(42);
    expect(r.queue).toBe(q);
  });

  it("demo.sleep and demo.spin return their argument", async () => {
    const a = await send("demo.sleep", { args: [50] });
    const b = await send("demo.spin", { args: [20] });
    expect((await waitResult(a.id)).result).toBe(50);
    expect((await waitResult(b.id)).result).toBe(20);
  });

  it("demo.xsum sums a list", async () => {
    const h = await send("demo.xsum", { args: [[1, 2, 3, 4.5]] });
    expect((await waitResult(h.id)).result).toBe(10.5);
  });
});
