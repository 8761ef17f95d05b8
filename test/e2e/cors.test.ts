// Contract, "Additions: second release": CORS is off by default (npm run dev configures no
// origins): no Access-Control-Allow-* header for any origin, preflights included.
import { describe, expect, it } from "vitest";
import { api, baseUrl } from "./helpers";

const acHeaders = (h: Headers) => [...h.keys()].filter((k) => k.startsWith("access-control-"));

describe("CORS off by default", () => {
  it.each(["/v1/apply", "/v1/health", "/v1/results/x", "/dashboard"])("preflight of %s from another origin", async (path) => {
    const res = await fetch(baseUrl() + path, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    await res.arrayBuffer();
    expect(acHeaders(res.headers)).toEqual([]);
  });

  it("answers to a request with an Origin, token or not", async () => {
    for (const token of [null, "dev-token"]) {
      const res = await api("GET", "/v1/queues", undefined, { token, headers: { origin: "https://evil.example.com" } });
      expect(acHeaders(res.headers)).toEqual([]);
    }
  });
});
