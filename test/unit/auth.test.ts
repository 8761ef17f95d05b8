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
