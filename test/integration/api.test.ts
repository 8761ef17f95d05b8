/**
 * The HTTP API through SELF.fetch, with the Worker's real Queue consumer delivering the tasks
 * (project "integration-live": the TASKS producer and the consumer share the wrangler.toml queue).
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { queueStub } from "../../src/runtime/stubs";
import { describe, expect, it } from "vitest";
import { uid } from "./helpers";

const TOKEN = "test-token";
const base = "https://edgery.test";

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await SELF.fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json: any = text ? JSON.parse(text) : null;
  return { status: res.status, json, headers: res.headers };
}

/** The result once ready (the API holds `?wait=` until then). */
async function ready(id: string) {
  const r = await call("GET", `/v1/results/${id}?wait=20`);
  expect(r.status).toBe(200);
  return r.json;
}

describe("auth and health", () => {
  it("health needs no token", async () => {
    const r = await call("GET", "/v1/health", undefined, null);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true, version: expect.any(String) });
  });

  it("401 unauthorized without a token, with a wrong one, and before routing", async () => {
    for (const [path, token] of [
      ["/v1/queues", null],
      ["/v1/queues", "wrong"],
      ["/v1/no-such-route", null],
    ] as const) {
      const r = await call("GET", path, undefined, token);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe("unauthorized");
    }
    const post = await call("POST", "/v1/tasks/demo.add", { args: [1, 2] }, null);
    expect(post.status).toBe(401);
  });

  it("404 for an unknown route, 405 for a wrong method, 400 for a body that is not JSON", async () => {
    expect((await call("GET", "/v1/no-such-route")).json.error.code).toBe("not_found");
    const m = await call("GET", "/v1/apply");
    expect(m.status).toBe(405);
    expect(m.json.error.code).toBe("method_not_allowed");
    const j = await call("POST", "/v1/apply", "{not json");
    expect(j.status).toBe(400);
    expect(j.json.error.code).toBe("invalid_json");
  });
});

describe("validation errors name the field", () => {
  it("422 invalid_signature with paths relative to the body", async () => {
    const a = await call("POST", "/v1/tasks/demo.add", { args: [1, 2], options: { priority: 10 } });
    expect(a.status).toBe(422);
    expect(a.json.error).toMatchObject({ code: "invalid_signature", path: "options.priority" });
    const b = await call("POST", "/v1/apply", { signature: { task: "demo.add", options: { priority: 10 } } });
    expect(b.status).toBe(422);
    expect(b.json.error).toMatchObject({ code: "invalid_signature", path: "signature.options.priority" });
    const c = await call("POST", "/v1/apply/bulk", { signatures: [{ task: "demo.add" }, { task: "demo.add", options: { countdown: -1 } }] });
    expect(c.status).toBe(422);
    expect(c.json.error).toMatchObject({ code: "invalid_signature", path: "signatures.1.options.countdown" });
    const d = await call("POST", "/v1/tasks/demo.add", { args: "nope" });
    expect(d.status).toBe(422);
    expect(d.json.error.path).toBe("args");
  });

  it("422 unknown_task, and invalid_request for queue settings", async () => {
    const a = await call("POST", "/v1/apply", { task: "nobody.serves.this" });
    expect(a.status).toBe(422);
    expect(a.json.error).toMatchObject({ code: "unknown_task", path: "task" });
    const b = await call("PUT", `/v1/queues/${uid("q-api")}`, { concurrency: 0 });
    expect(b.status).toBe(422);
    expect(b.json.error).toMatchObject({ code: "invalid_request", path: "concurrency" });
  });

  it("a bulk with one bad signature enqueues none", async () => {
    const id = crypto.randomUUID();
    const r = await call("POST", "/v1/apply/bulk", { signatures: [{ task: "demo.add", args: [1, 1], options: { task_id: id } }, { task: "nobody.serves.this" }] });
    expect(r.status).toBe(422);
    expect(r.json.error.path).toBe("signatures.1.task");
    const res = await call("GET", `/v1/results/${id}?wait=1`);
    expect(res.json.state).toBe("PENDING");
  });
});

describe("tasks end to end through the Queue", () => {
  it("POST /v1/tasks/demo.add runs and its result reads SUCCESS", async () => {
    const r = await call("POST", "/v1/tasks/demo.add", { args: [2, 3] });
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ id: expect.any(String), kind: "task" });
    const res = await ready(r.json.id);
    expect(res).toMatchObject({ id: r.json.id, state: "SUCCESS", result: 5, task: "demo.add", queue: "default", worker: "edgery", error: null });
    expect(res.date_done).toEqual(expect.any(String));
  });

  it("a chain passes each result on, through the routed queue", async () => {
    const r = await call("POST", "/v1/apply", {
      task: "celery.chain",
      subtask_type: "chain",
      kwargs: { tasks: [{ task: "demo.add", args: [2, 2] }, { task: "demo.mul", args: [10] }] },
    });
    expect(r.status).toBe(202);
    expect(r.json.parent).toBeDefined();
    const res = await ready(r.json.id);
    expect(res).toMatchObject({ state: "SUCCESS", result: 40, queue: "math", parent_id: r.json.parent.id });
  });

  it("a chord's body gets the header results in header order", async () => {
    const r = await call("POST", "/v1/apply", {
      task: "celery.chord",
      subtask_type: "chord",
      kwargs: { header: [3, 2, 1].map((x) => ({ task: "demo.identity", args: [x] })), body: { task: "demo.echo" }, kwargs: {} },
    });
    expect(r.status).toBe(202);
    const res = await ready(r.json.id);
    expect(res.state).toBe("SUCCESS");
    expect(res.result).toEqual({ args: [[3, 2, 1]], kwargs: {} });
    const g = await call("GET", `/v1/groups/${r.json.parent.id}?wait=20`);
    expect(g.json).toMatchObject({ total: 3, completed: 3, ready: true, successful: true, failed: false });
  });

  it("a chord with a failing member: body FAILURE ChordError naming it", async () => {
    const r = await call("POST", "/v1/apply", {
      task: "celery.chord",
      subtask_type: "chord",
      kwargs: { header: [{ task: "demo.identity", args: [1] }, { task: "demo.fail", args: ["no"] }], body: { task: "demo.xsum" }, kwargs: {} },
    });
    const failedId = r.json.parent.results[1].id;
    const res = await ready(r.json.id);
    expect(res.state).toBe("FAILURE");
    expect(res.error.type).toBe("ChordError");
    expect(res.error.message).toContain(failedId);
  });

  it("retry, soft limit and hard limit as the contract says", async () => {
    const retry = await call("POST", "/v1/tasks/demo.retry_until", { args: [3] });
    const soft = await call("POST", "/v1/tasks/demo.soft_cleanup", { args: [20_000], options: { soft_time_limit: 0.2 } });
    const hard = await call("POST", "/v1/tasks/demo.sleep", { args: [20_000], options: { time_limit: 0.3 } });
    expect(await ready(retry.json.id)).toMatchObject({ state: "SUCCESS", result: 2, retries: 2 });
    expect(await ready(soft.json.id)).toMatchObject({ state: "SUCCESS", result: "cleaned up" });
    expect(await ready(hard.json.id)).toMatchObject({ state: "FAILURE", error: { type: "TimeLimitExceeded" } });
  });
});

describe("queues, revoke and forget", () => {
  it("a paused queue holds tasks; revoke ends one REVOKED; purge drops the rest; resume runs what is left", async () => {
    const q = uid("q-api");
    const put = await call("PUT", `/v1/queues/${q}`, { paused: true });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ name: q, paused: true, waiting: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call("POST", "/v1/tasks/demo.add", { args: [i, 1], options: { queue: q } })).json.id);
    expect((await call("GET", `/v1/queues/${q}`)).json).toMatchObject({ waiting: 3, leased: 0, paused: true });

    const rv = await call("POST", `/v1/results/${ids[0]}/revoke`, {});
    expect(rv.status).toBe(202);
    expect(rv.json).toEqual({ id: ids[0], state: "REVOKED" });
    expect((await call("GET", `/v1/results/${ids[0]}`)).json).toMatchObject({ state: "REVOKED", error: { type: "TaskRevokedError" } });

    const purge = await call("DELETE", `/v1/queues/${q}/messages`);
    expect(purge.json).toEqual({ purged: 2 });
    const list = await call("GET", "/v1/queues");
    expect(list.json.queues.find((s: { name: string }) => s.name === q)).toMatchObject({ waiting: 0, paused: true });

    // A new task after resuming runs.
    await call("PUT", `/v1/queues/${q}`, { paused: false });
    const after = await call("POST", "/v1/tasks/demo.add", { args: [5, 5], options: { queue: q } });
    expect(await ready(after.json.id)).toMatchObject({ state: "SUCCESS", result: 10, queue: q });
    expect((await call("GET", `/v1/results/${ids[1]}`)).json.state).toBe("PENDING");
  });

  it("a long poll leaves KV alone; the first plain read of a ready result copies it into KV", async () => {
    const r = await call("POST", "/v1/tasks/demo.identity", { args: ["kv"] });
    expect((await ready(r.json.id)).state).toBe("SUCCESS");
    expect(await env.RESULTS_KV.get(`result:${r.json.id}`)).toBeNull();
    expect((await call("GET", `/v1/results/${r.json.id}`)).json).toMatchObject({ state: "SUCCESS", result: "kv" });
    // The copy is written in the background (waitUntil) after the answer.
    let copied: unknown = null;
    for (let i = 0; i < 50 && copied === null; i++) {
      copied = await env.RESULTS_KV.get(`result:${r.json.id}`, "json");
      if (copied === null) await new Promise((ok) => setTimeout(ok, 20));
    }
    expect(copied).toMatchObject({ id: r.json.id, state: "SUCCESS", result: "kv" });
  });

  it("DELETE /v1/results/:id forgets a result", async () => {
    const r = await call("POST", "/v1/tasks/demo.identity", { args: ["x"] });
    expect((await ready(r.json.id)).state).toBe("SUCCESS");
    // Read twice so that the copy into KV happened too.
    expect((await call("GET", `/v1/results/${r.json.id}`)).json.state).toBe("SUCCESS");
    const del = await call("DELETE", `/v1/results/${r.json.id}`);
    expect(del.status).toBe(204);
    expect((await call("GET", `/v1/results/${r.json.id}`)).json).toMatchObject({ id: r.json.id, state: "PENDING", result: null });
  });
});

describe("direct dispatch (the Worker's real EdgeryDelivery)", () => {
  /** A queue object's dispatch counters (durable-objects/queue-do.ts `dispatched`). */
  async function dispatched(queue: string) {
    return runInDurableObject(queueStub(env, queue), (instance) => ({ ...(instance as unknown as { dispatched: { direct: number; queued: number; failed: number; received: number } }).dispatched }));
  }

  it("a task sent to an idle queue is handed straight to a consumer and runs; a burst goes through the Queue", async () => {
    const q = uid("q-live-direct");
    const one = await call("POST", "/v1/tasks/demo.add?wait=20", { args: [2, 3], options: { queue: q } });
    expect(one.status).toBe(200);
    expect(one.json.result).toMatchObject({ state: "SUCCESS", result: 5 });
    // The consumer acknowledged the hand-off (its receipt, over RPC) before it ran the task.
    expect(await dispatched(q)).toStrictEqual({ direct: 1, queued: 0, failed: 0, received: 1 });

    const burst = await call("POST", "/v1/apply/bulk", { signatures: Array.from({ length: 30 }, (_, i) => ({ task: "demo.add", args: [i, 1], options: { queue: q } })) });
    expect(burst.status).toBe(202);
    for (const h of burst.json.handles) expect(await ready(h.id)).toMatchObject({ state: "SUCCESS" });
    const after = await dispatched(q);
    expect(after.queued).toBeGreaterThanOrEqual(1);
    expect(after.failed).toBe(0);
  });

  it("deliveries through the Queue as V8 (all ASCII) and as JSON (any other text) run alike, each value intact", async () => {
    // Prefetch 1: each task is a delivery of its own, encoded for itself (src/runtime/pack.ts deliveryEncoding).
    const q = uid("q-live-encoding");
    expect((await call("PUT", `/v1/queues/${q}`, { paused: true, prefetch: 1 })).status).toBe(200);
    const values = ["plain", 'a "quoted" \\ value', "héllo", "漢字", "😀 emoji", "\u0000 nul", "\u007f del", { nested: ["é", 1, null] }, "x".repeat(20_000), "é".repeat(5_000)];
    const sigs = values.flatMap((v) => [0, 1, 2].map(() => ({ task: "demo.identity", args: [v], options: { queue: q } })));
    const sent = await call("POST", "/v1/apply/bulk", { signatures: sigs });
    expect(sent.status).toBe(202);
    expect((await call("PUT", `/v1/queues/${q}`, { paused: false })).status).toBe(200);
    for (const [i, h] of sent.json.handles.entries()) expect(await ready(h.id)).toMatchObject({ state: "SUCCESS", result: values[Math.floor(i / 3)] });
    const after = await dispatched(q);
    expect(after.queued).toBe(sigs.length);
    expect(after.failed).toBe(0);
  });
});
