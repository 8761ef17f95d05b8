// The client's waits are bounded whatever the network does: get({ timeout }) gives up a request
// the server never answers, get({ signal }) ends at once, sub-second timeouts are asked for as
// such (?wait to the millisecond), and a group known by its id alone is read before it is revoked.
import { describe, expect, it } from "vitest";
import { createClient, EdgeryHttpError, TimeoutError, type FetchInit, type FetchLike } from "../../client/index.js";
import { fakeClient, taskResult } from "./client-fake-fetch.js";

/** A fetch that accepts every request and never answers: it rejects only when its signal aborts. */
function hungFetch(): { fetch: FetchLike; inits: FetchInit[] } {
  const inits: FetchInit[] = [];
  const fetch: FetchLike = (_url, init) => {
    inits.push(init);
    return new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }));
  };
  return { fetch, inits };
}

describe("bounded waits", () => {
  it("get({ timeout }) against a server that never answers throws TimeoutError, and the request is aborted", async () => {
    const { fetch, inits } = hungFetch();
    const client = createClient({ url: "http://edgery.test", token: "t", fetch });
    const err = await client.result("t1").get({ timeout: 0.05 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(inits).toHaveLength(1);
    expect(inits[0]!.signal?.aborted).toBe(true);
  });

  it("a group's get({ timeout }) too", async () => {
    const { fetch } = hungFetch();
    const client = createClient({ url: "http://edgery.test", token: "t", fetch });
    await expect(client.groupResult("g").get({ timeout: 0.05 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("get({ signal }): an abort ends the wait with the signal's reason, the request aborted with it", async () => {
    const { fetch, inits } = hungFetch();
    const client = createClient({ url: "http://edgery.test", token: "t", fetch });
    const ctrl = new AbortController();
    const waiting = client.result("t1").get({ signal: ctrl.signal });
    await new Promise((r) => setTimeout(r, 10));
    const reason = new Error("user gave up");
    ctrl.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(inits[0]!.signal?.aborted).toBe(true);
  });

  it("an already aborted signal sends nothing", async () => {
    const { fetch, inits } = hungFetch();
    const client = createClient({ url: "http://edgery.test", token: "t", fetch });
    await expect(client.result("t1").get({ signal: AbortSignal.abort(new Error("no")) })).rejects.toThrow("no");
    expect(inits).toHaveLength(0);
  });

  it("watch({ timeout }) against a server that never answers throws TimeoutError", async () => {
    const { fetch } = hungFetch();
    const client = createClient({ url: "http://edgery.test", token: "t", fetch });
    const watching = (async () => {
      for await (const _ of client.result("t1").watch({ timeout: 0.05 })) void _;
    })();
    await expect(watching).rejects.toBeInstanceOf(TimeoutError);
  });

  it("a sub-second timeout is asked for as such: ?wait in seconds to the millisecond, not rounded up to 1", async () => {
    const { client, requests } = fakeClient(() => ({ body: taskResult("t1", "PENDING") }));
    await expect(client.result("t1").get({ timeout: 0.25, interval: 0.5 })).rejects.toBeInstanceOf(TimeoutError);
    const first = Number(requests[0]!.query.get("wait"));
    expect(first).toBeGreaterThan(0.2);
    expect(first).toBeLessThanOrEqual(0.25);
  });
});

describe("GroupResult by id", () => {
  it("revoke() of a group known by its id alone reads its members first, then revokes each", async () => {
    const group = { id: "g", results: [taskResult("m1", "PENDING"), taskResult("m2", "PENDING")], total: 2, completed: 0, ready: false, successful: false, failed: false };
    const { client, requests } = fakeClient((req) => (req.method === "GET" ? { body: group } : { status: 202, body: { id: req.path.split("/")[3], state: "REVOKED" } }));
    expect(await client.groupResult("g").revoke()).toEqual(["REVOKED", "REVOKED"]);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /v1/groups/g", "POST /v1/results/m1/revoke", "POST /v1/results/m2/revoke"]);
  });
});

describe("answers that are not edgery's", () => {
  it("a 2xx with an HTML page or an empty body is an EdgeryHttpError http_error, not a SyntaxError or TypeError", async () => {
    for (const text of ["<html>captive portal</html>", ""]) {
      const { client } = fakeClient(() => ({ status: 200, text }));
      const err = await client.result("t1").state().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EdgeryHttpError);
      expect(err).toMatchObject({ status: 200, code: "http_error" });
    }
  });

  it("a request that fails before any answer (connection refused) is an EdgeryHttpError network_error with the cause", async () => {
    const refused = new TypeError("fetch failed");
    const client = createClient({ url: "http://edgery.test", fetch: async () => Promise.reject(refused) });
    const err = await client.send("demo.add").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeryHttpError);
    expect(err).toMatchObject({ status: 0, code: "network_error" });
    expect((err as Error).cause).toBe(refused);
  });

  it("Retry-After as an HTTP-date is read as seconds from now", async () => {
    const at = new Date(Date.now() + 120_000).toUTCString();
    const { client } = fakeClient(() => ({ status: 503, body: { error: { code: "overloaded", message: "full" } }, headers: { "retry-after": at } }));
    const err = (await client.send("demo.add").catch((e: unknown) => e)) as EdgeryHttpError;
    expect(err).toBeInstanceOf(EdgeryHttpError);
    expect(err.retryAfter).toBeGreaterThan(100);
    expect(err.retryAfter).toBeLessThanOrEqual(120);
  });
});
