// CORS (contract, "Additions: second release"): off by default, for every origin and for
// preflights; on for the origins EDGERY_CORS_ORIGINS lists, and only those.
import { describe, expect, it } from "vitest";
import { createApi } from "../../src/http/api.js";
import { App } from "../../src/app/app.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";

const api = createApi(new App({ name: "cors-test" }));
const acHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));
const preflight = (origin: string, vars: Partial<EdgeryEnv>) =>
  api.request("/v1/apply", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } }, vars as EdgeryEnv);
const get = (origin: string, vars: Partial<EdgeryEnv>, token = "t") => api.request("/v1/nowhere", { headers: { origin, authorization: `Bearer ${token}` } }, vars as EdgeryEnv);

describe("CORS", () => {
  it("is off by default: no Access-Control-Allow-* for any origin, preflights included", async () => {
    for (const origin of ["https://app.example.com", "null", "http://localhost:3000"]) {
      expect(acHeaders(await preflight(origin, { EDGERY_TOKEN: "t" }))).toEqual([]);
      expect(acHeaders(await get(origin, { EDGERY_TOKEN: "t" }))).toEqual([]);
    }
  });

  it("configured: a listed origin's preflight is 204 before auth, and answers (errors too) name it", async () => {
    const vars = { EDGERY_TOKEN: "t", EDGERY_CORS_ORIGINS: "https://app.example.com, https://admin.example.com" };
    const pre = await preflight("https://admin.example.com", vars);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    const res = await get("https://app.example.com", vars, "wrong");
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("configured: an origin not listed gets no CORS header and no preflight answer", async () => {
    const vars = { EDGERY_TOKEN: "t", EDGERY_CORS_ORIGINS: "https://app.example.com" };
    for (const origin of ["https://evil.example.com", "https://app.example.com.evil.com", "http://app.example.com", "null"]) {
      const pre = await preflight(origin, vars);
      expect(acHeaders(pre), origin).toEqual([]);
      expect(pre.status).toBe(401);
      expect(acHeaders(await get(origin, vars)), origin).toEqual([]);
    }
  });

  it("'*' allows any origin", async () => {
    const pre = await preflight("https://any.example.org", { EDGERY_TOKEN: "t", EDGERY_CORS_ORIGINS: "*" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
  });
});
