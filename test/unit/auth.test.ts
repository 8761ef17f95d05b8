// The contract's auth, through the real Hono app (no bindings are reached: auth answers first).
import { describe, expect, it } from "vitest";
import { createApi } from "../../src/http/api.js";
import { App } from "../../src/app/app.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";

const api = createApi(new App({ name: "auth-test" }));
const env = (vars: Partial<EdgeryEnv>) => vars as EdgeryEnv;
const call = async (path: string, vars: Partial<EdgeryEnv>, token?: string) => {
  const res = await api.request(path, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, env(vars));
  return { status: res.status, json: (await res.json()) as { error?: { code: string }; ok?: boolean }, retryAfter: res.headers.get("retry-after") };
};

describe("auth", () => {
  it("deployed without a token: every route but health answers 503 not_configured (fail closed)", async () => {
    const r = await call("/v1/queues", { EDGERY_DEV: "false" }, "anything");
    expect(r.status).toBe(503);
    expect(r.json.error?.code).toBe("not_configured");
    expect(r.retryAfter).not.toBeNull();
    expect((await call("/v1/health", { EDGERY_DEV: "false" })).json.ok).toBe(true);
  });

  it("a wrong or missing token is 401 unauthorized, even on an unknown path", async () => {
    expect((await call("/v1/queues", { EDGERY_TOKEN: "secret" }, "wrong")).json.error?.code).toBe("unauthorized");
    expect((await call("/v1/nowhere", { EDGERY_TOKEN: "secret" })).status).toBe(401);
  });

  it("local dev takes dev-token unless EDGERY_TOKEN is set; then only that token", async () => {
    expect((await call("/v1/nowhere", { EDGERY_DEV: "true" }, "dev-token")).status).toBe(404);
    expect((await call("/v1/nowhere", { EDGERY_DEV: "true", EDGERY_TOKEN: "mine" }, "dev-token")).status).toBe(401);
    expect((await call("/v1/nowhere", { EDGERY_DEV: "true", EDGERY_TOKEN: "mine" }, "mine")).status).toBe(404);
  });
});

describe("scoped tokens", () => {
  const tokens = JSON.stringify({ "tok-enq": "enqueue", "tok-read": ["read"], "tok-both": ["enqueue", "read"], "tok-peer": "peer" });
  const vars = { EDGERY_TOKENS: tokens, EDGERY_TOKEN: "tok-admin" };
  const req = async (method: string, path: string, token?: string) => {
    const res = await api.request(path, { method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, env(vars));
    return { status: res.status, code: ((await res.json().catch(() => ({}))) as { error?: { code: string } }).error?.code };
  };
  // Every route under /v1 but health, from the router itself: its method says what it needs.
  const routes = [...new Set(api.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/") && r.path !== "/v1/health").map((r) => `${r.method} ${r.path}`))].map((k) => {
    const [method, pattern] = k.split(" ") as [string, string];
    return { method, path: pattern.replace(/:[^/]+/g, "x1"), pattern };
  });
  const SENDING = ["POST /v1/tasks/:name", "POST /v1/apply", "POST /v1/apply/bulk"];

  it("finds the routes of the contract", () => {
    expect(routes.length).toBeGreaterThanOrEqual(16);
  });

  for (const r of routes) {
    const needs = r.method === "GET" ? "read" : SENDING.includes(`${r.method} ${r.pattern}`) ? "enqueue" : "admin";
    it(`${r.method} ${r.pattern} needs '${needs}'`, async () => {
      for (const [token, scope] of [["tok-enq", "enqueue"], ["tok-read", "read"], ["tok-peer", "peer"]] as const) {
        const res = await req(r.method, r.path, token);
        if (scope === needs) expect(res.code).not.toBe("forbidden");
        else expect(res, `${token} on ${r.method} ${r.path}`).toEqual({ status: 403, code: "forbidden" });
      }
      // admin reaches every route (past auth: whatever the handler answers here, never 401/403).
      expect([401, 403]).not.toContain((await req(r.method, r.path, "tok-admin")).status);
      expect(await req(r.method, r.path)).toEqual({ status: 401, code: "unauthorized" });
      expect(await req(r.method, r.path, "tok-unknown")).toEqual({ status: 401, code: "unauthorized" });
    });
  }

  it("a token is compared whole: a prefix, an extension or another case is unknown", async () => {
    for (const t of ["tok-en", "tok-enqx", "TOK-ENQ", "tok-enq tok-read"]) expect((await req("POST", "/v1/apply", t)).status).toBe(401);
  });

  it("the broker endpoint takes a peer (or admin) token only", async () => {
    // Past auth, a POST with no body is read as the API reads one: 400 invalid_json.
    expect((await req("POST", "/__edgery/broker/enqueue", "tok-enq")).code).toBe("forbidden");
    expect((await req("POST", "/__edgery/broker/enqueue", "tok-read")).code).toBe("forbidden");
    expect((await req("POST", "/__edgery/broker/enqueue", "tok-peer")).code).toBe("invalid_json");
    expect((await req("POST", "/__edgery/broker/enqueue", "tok-admin")).code).toBe("invalid_json");
    expect((await req("POST", "/__edgery/broker/enqueue")).code).toBe("unauthorized");
  });

  it("local dev without configured tokens: dev-token (admin), dev-enqueue, dev-read", async () => {
    const dev = async (method: string, path: string, token: string) =>
      (await api.request(path, { method, headers: { authorization: `Bearer ${token}` } }, env({ EDGERY_DEV: "true" }))).status;
    expect(await dev("DELETE", "/v1/queues/q/messages", "dev-enqueue")).toBe(403);
    expect(await dev("DELETE", "/v1/queues/q/messages", "dev-read")).toBe(403);
    expect(await dev("POST", "/v1/apply", "dev-read")).toBe(403);
    expect(await dev("GET", "/v1/queues", "dev-enqueue")).toBe(403);
    expect(await dev("GET", "/v1/nowhere", "dev-token")).toBe(404);
    // Deployed, the dev tokens do not exist.
    expect((await api.request("/v1/nowhere", { headers: { authorization: "Bearer dev-read" } }, env({ EDGERY_TOKEN: "x" }))).status).toBe(401);
  });

  it("a malformed EDGERY_TOKENS fails closed (503 not_configured), naming no token", async () => {
    for (const bad of ["not json", "[]", '{"t": "root"}', '{"t": []}', '{"": "read"}', '{"a b": "read"}']) {
      const res = await api.request("/v1/queues", { headers: { authorization: "Bearer t" } }, env({ EDGERY_TOKENS: bad, EDGERY_TOKEN: "t" }));
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, bad).toBe(503);
      expect(body.error.code).toBe("not_configured");
      expect(body.error.message).not.toContain('"t"');
    }
  });
});
