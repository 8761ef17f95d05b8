// The one HTTP front door (src/http/api.ts): every route, the broker endpoint included, answers a
// wrong method with 405 and an Allow header derived from the routes; errors from every part of
// it have the contract's JSON shape. No binding is reached: these answer before any handler.
import { describe, expect, it } from "vitest";
import { createApi } from "../../src/http/api.js";
import { App } from "../../src/app/app.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";
import { encodeCursor as encodeDeadLetterCursor } from "../../src/dead-letters/cursor.js";

const api = createApi(new App({ name: "front-door-test" }));
const env = { EDGERY_TOKEN: "secret" } as EdgeryEnv;
const auth = { authorization: "Bearer secret" };
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/** A concrete path for a route pattern (`:name` → a value). */
const concrete = (pattern: string) => pattern.replace(/:[^/]+/g, "x1");

describe("405 from the router", () => {
  const routes = api.routes.filter((r) => r.method !== "ALL");
  const paths = [...new Set(routes.map((r) => r.path))];

  it("covers the broker endpoint as well as the API", () => {
    expect(paths).toContain("/__edgery/broker/enqueue");
    expect(paths).toContain("/v1/queues/:name/messages");
  });

  for (const pattern of paths) {
    const own = routes.filter((r) => r.path === pattern).map((r) => r.method);
    // A method another route of the same shape serves (GET /v1/results/:id vs /v1/results/x1) is not a 405.
    const servedElsewhere = (m: string) => routes.some((r) => r.method === m && new RegExp(`^${r.path.replace(/:[^/]+/g, "[^/]+")}$`).test(concrete(pattern)));
    for (const method of METHODS.filter((m) => !own.includes(m) && !servedElsewhere(m))) {
      it(`${method} ${pattern} → 405 naming ${own.join(", ")}`, async () => {
        const res = await api.request(concrete(pattern), { method, headers: auth }, env);
        expect(res.status).toBe(405);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
        for (const m of own) expect(res.headers.get("allow")).toContain(m);
      });
    }
  }

  it("an unknown path is 404 not_found, on /v1 and on the broker endpoint", async () => {
    for (const path of ["/v1/nowhere", "/__edgery/broker/nowhere", "/elsewhere"]) {
      const res = await api.request(path, { headers: auth }, env);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});

describe("one error mapper", () => {
  it("the broker endpoint answers the contract's JSON errors (401 without a token, 400 for a body that is not JSON, 422 for a bad one)", async () => {
    const no = await api.request("/__edgery/broker/enqueue", { method: "POST", body: "{}" }, env);
    expect(no.status).toBe(401);
    expect(await no.json()).toMatchObject({ error: { code: "unauthorized" } });
    const notJson = await api.request("/__edgery/broker/enqueue", { method: "POST", headers: auth, body: "not json" }, env);
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: "invalid_json" } });
    const bad = await api.request("/__edgery/broker/enqueue", { method: "POST", headers: auth, body: "{}" }, env);
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", path: "messages" } });
  });

  it("the broker endpoint refuses a forged message or queue setting with 422 at its path, before any binding is reached", async () => {
    const forged = await api.request("/__edgery/broker/enqueue", { method: "POST", headers: auth, body: JSON.stringify({ messages: [{ id: "x", task: "demo.add" }] }) }, env);
    expect(forged.status).toBe(422);
    expect(await forged.json()).toMatchObject({ error: { code: "invalid_request", path: "messages.0.args" } });
    const cancel = await api.request("/__edgery/broker/cancel", { method: "POST", headers: auth, body: JSON.stringify({ messages: [5] }) }, env);
    expect(cancel.status).toBe(422);
    expect(await cancel.json()).toMatchObject({ error: { code: "invalid_request", path: "messages.0" } });
  });

  it("the broker endpoint's revoke takes task ids only, and no more than the largest group's", async () => {
    const revoke = (body: unknown) => api.request("/__edgery/broker/revoke", { method: "POST", headers: auth, body: JSON.stringify(body) }, env);
    for (const [body, path] of [
      [{ ids: Array.from({ length: 20_001 }, (_, i) => `t${i}`) }, "ids"],
      [{ ids: ["x".repeat(256)] }, "ids"],
      [{ ids: [""] }, "ids"],
      [{ ids: [5] }, "ids"],
      [{ ids: "a" }, "ids"],
      [[], "ids"],
      [{ ids: ["a"], terminate: "yes" }, "terminate"],
    ] as const) {
      const res = await revoke(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", path } });
    }
  });
});

describe("a query parameter given more than once", () => {
  const deadLetterCursor = encodeDeadLetterCursor({ failedAt: 1, queue: "default", seq: 1 });
  // Each route's own parameters, repeated: before anything is read or sent, 422 naming the
  // parameter (the first value was taken silently).
  it.each([
    ["GET", "/v1/results/x1?wait=1&wait=30", "wait"],
    ["GET", "/v1/groups/x1?wait=1&wait=30", "wait"],
    ["POST", "/v1/tasks/demo.add?wait=1&wait=2", "wait"],
    ["POST", "/v1/apply?wait=1&wait=2", "wait"],
    ["GET", "/v1/results?limit=1&limit=2", "limit"],
    ["GET", "/v1/results?state=SUCCESS&state=FAILURE", "state"],
    ["GET", "/v1/dead-letters?limit=1&limit=2", "limit"],
    ["GET", `/v1/dead-letters?cursor=${deadLetterCursor}&cursor=${deadLetterCursor}`, "cursor"],
    ["GET", "/v1/dead-letters?queue=a&queue=b", "queue"],
    ["POST", "/v1/dead-letters/x1/replay?queue=a&queue=a", "queue"],
    ["GET", "/v1/inspect/active?limit=1&limit=2", "limit"],
    ["GET", "/v1/inspect/scheduled?queue=a&queue=b", "queue"],
    ["GET", "/__edgery/broker/results/x1?wait=1&wait=2", "wait"],
  ])("%s %s → 422 invalid_request at %s", async (method, path, param) => {
    const res = await api.request(path, { method, headers: auth, ...(method === "POST" ? { body: '{"task": "demo.add"}' } : {}) }, env);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; path: string; message: string } };
    expect(body.error).toMatchObject({ code: "invalid_request", path: param });
    expect(body.error.message).toContain(`${param}: given 2 times`);
  });

  it("no route reads its query but through queryParam (src/http/query.ts)", async () => {
    // node:fs by a computed name: the root tsconfig has no Node types (the unit run is in Node).
    const fsName = "node:fs";
    const fs = (await import(/* @vite-ignore */ fsName)) as { readdirSync(p: URL, o: { recursive: true }): string[]; readFileSync(p: URL, enc: string): string };
    const root = new URL("../../src/http/", (import.meta as unknown as { url: string }).url);
    const readers = fs
      .readdirSync(root, { recursive: true })
      .filter((f) => f.endsWith(".ts") && f !== "query.ts")
      .filter((f) => /\.req\.quer(y|ies)\(/.test(fs.readFileSync(new URL(f, root), "utf8")));
    expect(readers).toEqual([]);
  });
});

describe("a path parameter that is not valid percent-encoding", () => {
  // Hono keeps a sequence it cannot decode as it stands: the id was looked up (or revoked,
  // forgotten, replayed) as the literal '%ZZ'. Now 422 before anything is read.
  it.each([
    ["GET", "/v1/results/%E0%A4%A", "id"],
    ["GET", "/v1/results/%ZZ", "id"],
    ["DELETE", "/v1/results/%ZZ", "id"],
    ["DELETE", "/v1/results/%E0%A4%A", "id"],
    ["GET", "/v1/groups/%C3", "id"],
    ["POST", "/v1/results/a%ZZ/revoke", "id"],
    ["POST", "/v1/dead-letters/%FF/replay", "id"],
    ["POST", "/v1/tasks/demo.%ZZ", "name"],
    ["GET", "/v1/queues/%E0%A4%A", "name"],
    ["GET", "/__edgery/broker/results/%ZZ", "id"],
  ])("%s %s → 422 invalid_request at %s", async (method, path, param) => {
    const res = await api.request(path, { method, headers: auth, ...(method === "POST" ? { body: "{}" } : {}) }, env);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request", path: param } });
  });

  it("a well-formed escape is still decoded", async () => {
    const res = await api.request("/v1/tasks/demo.%E2%9C%93", { method: "POST", headers: auth, body: "{}" }, env);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; path: string; message: string } };
    expect(body.error).toMatchObject({ code: "unknown_task", path: "task" });
    expect(body.error.message).toContain("demo.✓");
  });

  it("no route reads a path parameter but through pathParam (src/http/path-param.ts)", async () => {
    const fsName = "node:fs";
    const fs = (await import(/* @vite-ignore */ fsName)) as { readdirSync(p: URL, o: { recursive: true }): string[]; readFileSync(p: URL, enc: string): string };
    const root = new URL("../../src/http/", (import.meta as unknown as { url: string }).url);
    const readers = fs
      .readdirSync(root, { recursive: true })
      .filter((f) => f.endsWith(".ts") && f !== "path-param.ts")
      .filter((f) => /\.req\.param\(/.test(fs.readFileSync(new URL(f, root), "utf8")));
    expect(readers).toEqual([]);
  });
});
