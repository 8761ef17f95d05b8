import { describe, expect, expectTypeOf, it } from "vitest";
import {
  AsyncResult,
  EdgeryHttpError,
  GroupResult,
  chain,
  chord,
  chunks,
  createClient,
  group,
  sig,
  type FetchLike,
} from "../../client/index.js";
import { fakeFetch, type FakeAnswer, type RecordedRequest } from "./client-fake-fetch.js";

const URL_BASE = "http://edgery.test";

function setup(handler: (req: RecordedRequest) => FakeAnswer = () => ({ status: 202, body: { id: "t1", kind: "task" } })) {
  const fake = fakeFetch(handler);
  return { client: createClient({ url: `${URL_BASE}/`, token: "dev-token", fetch: fake.fetch }), requests: fake.requests };
}

describe("send", () => {
  it("POSTs /v1/tasks/:name with the token and snake_case options", async () => {
    const { client, requests } = setup();
    const result = await client.send<number>("demo.add", { args: [2, 2], kwargs: { z: 1 }, options: { countdown: 5, routingKey: "r", link: sig("demo.identity") } });
    expect(result).toBeInstanceOf(AsyncResult);
    expect(result.id).toBe("t1");
    expectTypeOf(result).toEqualTypeOf<AsyncResult<number>>();
    const [req] = requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/v1/tasks/demo.add");
    expect(req?.headers.authorization).toBe("Bearer dev-token");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.body).toStrictEqual({ args: [2, 2], kwargs: { z: 1 }, options: { countdown: 5, routing_key: "r", link: [sig("demo.identity").toJSON()] } });
  });

  it("sends only the fields given", async () => {
    const { client, requests } = setup();
    await client.send("demo.noop");
    expect(requests[0]?.body).toStrictEqual({});
  });

  it("leaves out the Authorization header without a token", async () => {
    const fake = fakeFetch(() => ({ body: { ok: true, version: "0.1.0" } }));
    const client = createClient({ url: URL_BASE, fetch: fake.fetch });
    expect(await client.health()).toEqual({ ok: true, version: "0.1.0" });
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
    expect(fake.requests[0]?.path).toBe("/v1/health");
  });
});

describe("apply", () => {
  it("POSTs a bare signature without call-time values", async () => {
    const { client, requests } = setup();
    const s = sig("demo.add", 2, 2);
    await client.apply(s);
    expect(requests[0]?.path).toBe("/v1/apply");
    expect(requests[0]?.body).toStrictEqual(s.toJSON());
  });

  it("uses the wrapper form with call-time values", async () => {
    const { client, requests } = setup();
    const s = sig("demo.echo", 1);
    await s.applyAsync(client, { args: [2], kwargs: { a: 1 }, options: { priority: 7 } });
    await s.delay(client, 3);
    expect(requests[0]?.body).toStrictEqual({ signature: s.toJSON(), args: [2], kwargs: { a: 1 }, options: { priority: 7 } });
    expect(requests[1]?.body).toStrictEqual({ signature: s.toJSON(), args: [3] });
  });

  it("posts Python dict(sig) JSON as it is", async () => {
    const { client, requests } = setup();
    const wire = { task: "demo.add", args: [1, 2], kwargs: {}, options: {}, subtask_type: null, immutable: false };
    await client.apply(wire);
    expect(requests[0]?.body).toStrictEqual(wire);
  });

  it("a group handle gives a GroupResult with members in order", async () => {
    const { client } = setup(() => ({ status: 202, body: { id: "g", kind: "group", results: [{ id: "m1", kind: "task" }, { id: "m2", kind: "task" }] } }));
    const result = await client.apply(group(sig("demo.add", 1, 1), sig("demo.add", 2, 2)));
    expectTypeOf(result).toEqualTypeOf<GroupResult<unknown>>();
    expect(result).toBeInstanceOf(GroupResult);
    expect(result.id).toBe("g");
    expect(result.results.map((r) => r.id)).toEqual(["m1", "m2"]);
    expect(result.results[0]).toBeInstanceOf(AsyncResult);
  });

  it("a chain handle gives the last step with parent pointing back step by step", async () => {
    const handle = { id: "c3", kind: "task", parent: { id: "c2", kind: "task", parent: { id: "c1", kind: "task" } } };
    const { client } = setup(() => ({ status: 202, body: handle }));
    const result = await client.apply(chain(sig("a"), sig("b"), sig("c")));
    expect(result.id).toBe("c3");
    expect(result.parent?.id).toBe("c2");
    expect(result.parent?.parent?.id).toBe("c1");
    expect(result.parent?.parent?.parent).toBeUndefined();
  });

  it("a chord handle gives the body with the header group as parent", async () => {
    const handle = { id: "body", kind: "task", parent: { id: "hdr", kind: "group", results: [{ id: "h1", kind: "task" }] } };
    const { client } = setup(() => ({ status: 202, body: handle }));
    const result = await client.apply(chord([sig("a")], sig("b")));
    expect(result).toBeInstanceOf(AsyncResult);
    expect(result.parent).toBeInstanceOf(GroupResult);
    expect((result.parent as GroupResult).results.map((r) => r.id)).toEqual(["h1"]);
  });

  it("chunks gives a GroupResult (typed)", async () => {
    const { client } = setup(() => ({ status: 202, body: { id: "g", kind: "group", results: [] } }));
    const result = await client.apply(chunks("demo.add", [[1, 2]], 1));
    expectTypeOf(result).toEqualTypeOf<GroupResult<unknown>>();
    expect(result).toBeInstanceOf(GroupResult);
  });

  it("applyBulk posts {signatures} and returns one result per handle", async () => {
    const { client, requests } = setup(() => ({ status: 202, body: { handles: [{ id: "a", kind: "task" }, { id: "g", kind: "group", results: [] }] } }));
    const results = await client.applyBulk([sig("demo.noop"), group(sig("demo.noop"))]);
    expect(requests[0]?.path).toBe("/v1/apply/bulk");
    expect(requests[0]?.body).toStrictEqual({ signatures: [sig("demo.noop").toJSON(), group(sig("demo.noop")).toJSON()] });
    expect(results.map((r) => r.constructor)).toEqual([AsyncResult, GroupResult]);
  });

  it("applyBulk refuses an empty or oversized list before any request", async () => {
    const { client, requests } = setup();
    await expect(client.applyBulk([])).rejects.toThrow(TypeError);
    await expect(client.applyBulk(Array.from({ length: 1001 }, () => sig("demo.noop")))).rejects.toThrow(/1 to 1000/);
    expect(requests).toHaveLength(0);
  });
});

describe("queues and health", () => {
  const stats = { name: "math", waiting: 1, delayed: 0, leased: 2, paused: false, concurrency: 10, completed: 3, failed: 0 };

  it("queues(), queue(name), setQueue(), purge()", async () => {
    const { client, requests } = setup((req) => {
      if (req.path === "/v1/queues") return { body: { queues: [stats] } };
      if (req.path.endsWith("/messages")) return { body: { purged: 4 } };
      return { body: { ...stats, paused: req.method === "PUT" } };
    });
    expect(await client.queues()).toEqual([stats]);
    expect(await client.queue("math")).toEqual(stats);
    expect((await client.setQueue("math", { paused: true, concurrency: 2 })).paused).toBe(true);
    expect(await client.purge("math")).toBe(4);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/queues", "GET /v1/queues/math", "PUT /v1/queues/math", "DELETE /v1/queues/math/messages"]);
    expect(requests[2]?.body).toEqual({ paused: true, concurrency: 2 });
  });
});

describe("HTTP errors", () => {
  it("turns the contract's error body into EdgeryHttpError with status, code and path", async () => {
    const { client } = setup(() => ({
      status: 422,
      body: { error: { code: "invalid_signature", message: "options.priority: too big", path: "options.priority" } },
    }));
    const err = await client.send("demo.add").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeryHttpError);
    expect(err).toMatchObject({ status: 422, code: "invalid_signature", path: "options.priority", message: "options.priority: too big" });
  });

  it("keeps Retry-After on 503", async () => {
    const { client } = setup(() => ({ status: 503, headers: { "retry-after": "7" }, body: { error: { code: "overloaded", message: "busy" } } }));
    await expect(client.queues()).rejects.toMatchObject({ status: 503, code: "overloaded", retryAfter: 7, path: undefined });
  });

  it("a non-JSON error body becomes code http_error", async () => {
    const { client } = setup(() => ({ status: 502, text: "<html>bad gateway</html>" }));
    await expect(client.health()).rejects.toMatchObject({ name: "EdgeryHttpError", status: 502, code: "http_error" });
  });

  it("401 unauthorized", async () => {
    const { client } = setup(() => ({ status: 401, body: { error: { code: "unauthorized", message: "missing token" } } }));
    await expect(client.result("x").state()).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("uses the global fetch when none is given", async () => {
    const fake = fakeFetch(() => ({ body: { ok: true, version: "9" } }));
    const original = globalThis.fetch;
    globalThis.fetch = fake.fetch as unknown as typeof globalThis.fetch;
    try {
      const client = createClient({ url: URL_BASE, token: "t" });
      expect((await client.health()).version).toBe("9");
    } finally {
      globalThis.fetch = original;
    }
    expect(fake.requests).toHaveLength(1);
  });

  it("accepts any fetch of the FetchLike shape", () => {
    expectTypeOf(globalThis.fetch).toExtend<FetchLike>();
  });
});

describe("call", () => {
  const done = { id: "t1", state: "SUCCESS", result: 4, meta: null, error: null, task: "demo.add", queue: "default", retries: 0, parent_id: null, group_id: null, children: [], started_at: null, date_done: null };

  it("sends and waits in one request: the result comes with the handle, get() asks nothing more", async () => {
    const { client, requests } = setup(() => ({ status: 200, body: { id: "t1", kind: "task", result: done } }));
    const r = await client.call<number>("demo.add", { args: [2, 2] }, 10);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.path).toBe("/v1/tasks/demo.add");
    expect(requests[0]?.query.get("wait")).toBe("10");
    expect(requests[0]?.body).toStrictEqual({ args: [2, 2] });
    expect(await r.get()).toBe(4);
    expect(requests).toHaveLength(1);
  });

  it("not ready in time (202, handle alone): reads on as send's result; wait is capped at 30", async () => {
    const { client, requests } = setup((req) => (req.method === "POST" ? { status: 202, body: { id: "t1", kind: "task" } } : { body: done }));
    const r = await client.call<number>("demo.add", { args: [2, 2] }, 120);
    expect(requests[0]?.query.get("wait")).toBe("30");
    expect(await r.get()).toBe(4);
    expect(requests[1]?.path).toBe("/v1/results/t1");
  });
});
