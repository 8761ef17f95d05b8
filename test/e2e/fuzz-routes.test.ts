// Property-based fuzz (fast-check) of every route of the HTTP contract against `npm run dev`:
// random and malformed JSON, huge numbers, deep nesting, unicode, `__proto__`/`constructor`
// keys, pointer-shaped values, oversized bodies, hostile path segments and query strings.
// Properties: no 5xx (the only 5xx the contract allows, 503 `overloaded`, needs a bounded queue,
// which no case sets); every error is the contract's JSON with a known code; a refused send
// leaves every queue's counts as they were (nothing enqueued). Fixed seed and bounded runs in
// `npm test`; `npm run fuzz` sets FUZZ_RUNS (and a random seed unless FUZZ_SEED).
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { api, expectHealthy, send, sleep, uniq, waitResult, type ApiResponse } from "./helpers";
import { countCase, fuzzParams, fuzzSummary, hostileBody, hostileJson, hostileString, hostileText, uriComponent } from "../fuzz/arbitraries";

const { seed, numRuns } = fuzzParams(60);
const params = { seed, numRuns, endOnFailure: true };

/** Error codes of the contract (and its second release's `forbidden`). */
const CODES = ["invalid_json", "unauthorized", "forbidden", "not_found", "method_not_allowed", "payload_too_large", "invalid_signature", "unknown_task", "invalid_request", "not_configured", "overloaded"];

/** The answer is no 5xx, and an error answer is the contract's JSON. */
function expectContractAnswer(res: ApiResponse, what: string) {
  const at = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, at).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.json, at).toBeTypeOf("object");
    expect(CODES, at).toContain(res.json?.error?.code);
    expect(typeof res.json?.error?.message, at).toBe("string");
    if (res.json?.error?.path !== undefined) expect(typeof res.json.error.path, at).toBe("string");
  }
}

/**
 * Sum over every queue of what it holds or has finished: a send that was refused must not move
 * it. `busy` counts what is still to run, in queues that run (a queue another test left paused
 * holds its waiting tasks for good; it still counts in `total`).
 */
async function queueTotals(): Promise<{ total: number; busy: number }> {
  const res = await api("GET", "/v1/queues");
  expect(res.status).toBe(200);
  let total = 0;
  let busy = 0;
  for (const q of res.json.queues) {
    total += q.waiting + q.delayed + q.leased + q.completed + q.failed;
    if (!q.paused) busy += q.waiting + q.leased;
  }
  return { total, busy };
}

/** Waits (bounded) until no queue has waiting or leased tasks: accepted fuzz cases have run. */
async function quiesce(): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const a = await queueTotals();
    if (a.busy === 0) {
      const b = await queueTotals();
      if (b.busy === 0 && b.total === a.total) return true;
    }
    await sleep(100);
  }
  return false;
}

let refusedChecked = 0;
let refusedUnchecked = 0;

/** Sends one hostile request; when refused, checks that no queue count moved. */
async function sendChecked(method: string, path: string, body: { json?: unknown; raw?: string }) {
  const quiet = await quiesce();
  const before = await queueTotals();
  const res = body.raw !== undefined ? await api(method, path, undefined, { rawBody: body.raw }) : await api(method, path, body.json);
  expectContractAnswer(res, `${method} ${path} ${(body.raw ?? JSON.stringify(body.json) ?? "").slice(0, 300)}`);
  if (res.status >= 400) {
    if (!quiet) {
      refusedUnchecked += 1;
      return res;
    }
    const after = await queueTotals();
    expect(after.total, `${method} ${path} was refused (${res.status}) but a queue count moved`).toBe(before.total);
    refusedChecked += 1;
  }
  return res;
}

const sendRoute = fc.oneof(
  fc.constant("/v1/apply"),
  fc.constant("/v1/apply/bulk"),
  fc.constantFrom("demo.add", "demo.noop", "demo.identity", "nope.nope").map((n) => `/v1/tasks/${n}`),
  // A name that encodes to nothing would make `/v1/tasks/`, which is no route (404), not a send.
  hostileString.map((n) => `/v1/tasks/${uriComponent(n) || "x"}`),
);

describe("route fuzz", () => {
  afterAll(() => console.log(fuzzSummary("route fuzz", seed) + `\n  refused sends checked for nothing enqueued: ${refusedChecked} (unchecked, queues busy: ${refusedUnchecked})`));

  it("send routes, JSON bodies: contract answers, nothing enqueued when refused", async () => {
    await fc.assert(
      fc.asyncProperty(sendRoute, hostileBody, async (path, body) => {
        countCase("send routes, hostile JSON");
        await sendChecked("POST", path, { json: body });
      }),
      params,
    );
  });

  it("send routes, bodies that are not JSON (or barely): 400 invalid_json or a contract answer", async () => {
    await fc.assert(
      fc.asyncProperty(sendRoute, hostileText, async (path, raw) => {
        countCase("send routes, malformed text");
        await sendChecked("POST", path, { raw });
      }),
      params,
    );
  });

  it("oversized bodies (around 1 MiB) are 413 payload_too_large, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(sendRoute, fc.integer({ min: 1024 * 1024 - 64, max: 3 * 1024 * 1024 }), async (path, size) => {
        countCase("oversized bodies");
        const pad = "x".repeat(size);
        const body = path === "/v1/apply/bulk" ? { signatures: [{ task: "demo.identity", args: [pad] }] } : path === "/v1/apply" ? { task: "demo.identity", args: [pad] } : { args: [pad] };
        const res = await sendChecked("POST", path, { json: body });
        if (JSON.stringify(body).length > 1024 * 1024) expect(res.status, res.text.slice(0, 200)).toBe(413);
      }),
      { ...params, numRuns: Math.max(4, Math.floor(numRuns / 10)) },
    );
  });

  it("read and admin routes with hostile ids, names, queries and bodies", async () => {
    const done = await send("demo.noop", { options: { task_id: uniq("fuzz-done") } });
    await waitResult(done.id);
    const queue = uniq("fuzz-q");
    const id = fc.oneof(fc.constant(done.id), hostileString.map((s) => `fuzz-${s}`));
    const seg = (a: fc.Arbitrary<string>) => a.map((s) => uriComponent(s) || "x");
    // ?wait holds only for a task not yet ready: hostile waits are asked of a finished task or are not positive.
    const wait = fc.oneof(fc.constantFrom("", "0", "-1", "abc", "1e308", "NaN", "30", "31", "0x10", "%00"), hostileString).map(uriComponent);
    const request = fc.oneof(
      fc.tuple(seg(id), wait).map(([i, w]) => ["GET", `/v1/results/${i === uriComponent(done.id) ? i : i}?wait=${i === uriComponent(done.id) ? w : "0"}`, undefined] as const),
      seg(id).map((i) => ["GET", `/v1/groups/${i}?wait=0`, undefined] as const),
      fc.tuple(seg(id), hostileJson).map(([i, b]) => ["POST", `/v1/results/${i}/revoke`, b] as const),
      seg(id).map((i) => ["DELETE", `/v1/results/fuzz-${i}`, undefined] as const),
      seg(hostileString).map((q) => ["GET", `/v1/queues/${q}`, undefined] as const),
      hostileJson.map((b) => ["PUT", `/v1/queues/${queue}`, b] as const),
      fc.constant(["DELETE", `/v1/queues/${queue}/messages`, undefined] as const),
      fc.tuple(hostileString, hostileString, hostileString).map(([s, l, c]) => ["GET", `/v1/results?state=${uriComponent(s)}&limit=${uriComponent(l)}&cursor=${uriComponent(c)}`, undefined] as const),
      fc.tuple(hostileString, hostileString).map(([l, c]) => ["GET", `/v1/dead-letters?limit=${uriComponent(l)}&cursor=${uriComponent(c)}&queue=${uriComponent(l)}`, undefined] as const),
      seg(id).map((i) => ["POST", `/v1/dead-letters/fuzz-${i}/replay`, undefined] as const),
      fc.constantFrom(["GET", "/v1/queues", undefined] as const, ["GET", "/v1/metrics", undefined] as const, ["GET", "/v1/schedules", undefined] as const),
    );
    await fc.assert(
      fc.asyncProperty(request, async ([method, path, body]) => {
        countCase("read/admin routes");
        const res = await api(method, path, body);
        expectContractAnswer(res, `${method} ${path} ${JSON.stringify(body)?.slice(0, 200)}`);
      }),
      params,
    );
  });

  it("unknown paths, wrong methods, missing or hostile tokens: 404/405/401 as JSON", async () => {
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH");
    const path = fc.oneof(
      fc.constantFrom("/v1/apply", "/v1/apply/bulk", "/v1/queues", "/v1/results", "/v1/metrics", "/v1/tasks/demo.add", "/v1/nope", "/v1/", "/v1/results/x/revoke"),
      hostileString.map((s) => `/v1/${uriComponent(s)}`),
    );
    const token = fc.oneof(fc.constant(undefined), fc.constant(null), hostileString.map((s) => s.replace(/[^\x21-\x7e]/g, "") || "x"));
    await fc.assert(
      fc.asyncProperty(method, path, token, async (m, p, t) => {
        countCase("methods, paths, tokens");
        const res = await api(m, p, m === "GET" ? undefined : {}, { token: t });
        expectContractAnswer(res, `${m} ${p} token=${t}`);
        if (t === null) expect(res.status, p).toBe(401);
      }),
      params,
    );
    await expectHealthy();
  });
});
