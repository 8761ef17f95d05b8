// The cloudflare-queue broker (docs/brokers.md): queue "direct" (route `direct.*`, or any task
// sent with options.queue "direct") goes straight onto the DIRECT Queue and is run by its
// consumer without a QueueDO.
import { describe, expect, it } from "vitest";
import { api, apply, chain, describeRes, expectError, send, sig, sleep, waitResult, watchEvents, type Handle } from "./helpers";

describe("cloudflare-queue broker (queue 'direct')", () => {
  it("direct.noop runs", async () => {
    const r = await waitResult((await send("direct.noop")).id);
    expect(r).toMatchObject({ state: "SUCCESS", result: null, queue: "direct", worker: "edgery" });
  });

  it("any task sent to queue 'direct' runs there, and a chain continues from it", async () => {
    const h = await apply(chain([sig("demo.add", [1, 2], { queue: "direct" }), sig("demo.mul", [10])]));
    const first = await waitResult(h.parent!.id);
    expect(first).toMatchObject({ state: "SUCCESS", result: 3, queue: "direct" });
    const last = await waitResult(h.id);
    expect(last).toMatchObject({ state: "SUCCESS", result: 30, queue: "math" });
  });

  it("a large value goes through R2 as with the leased consumer, and a chain step gets it back", async () => {
    const big = await waitResult((await send("demo.blob", { args: [2_000_000], options: { queue: "direct" } })).id);
    expect(big.state).toBe("SUCCESS");
    expect((big.result as string).length).toBe(2_000_000);
    const h = await apply(chain([sig("demo.blob", [1_200_000], { queue: "direct" }), sig("demo.identity", [], { queue: "direct" })]));
    const last = await waitResult(h.id);
    expect(last.state).toBe("SUCCESS");
    expect((last.result as string).length).toBe(1_200_000);
  });

  it("result_extended keeps the task's args (demo.persist)", async () => {
    const r = await waitResult((await send("demo.persist", { args: [{ on: "direct" }], options: { queue: "direct" } })).id);
    expect(r).toMatchObject({ state: "SUCCESS", result: { on: "direct" }, args: [{ on: "direct" }], kwargs: {} });
  });

  it("a failure is stored with its error", async () => {
    const r = await waitResult((await send("demo.fail", { args: ["boom"], options: { queue: "direct" } })).id);
    expect(r.state).toBe("FAILURE");
    expect(r.error).toEqual({ type: "DemoError", message: "boom" });
  });

  it("retries are sent again and counted", async () => {
    const r = await waitResult((await send("demo.retry_until", { args: [3], options: { queue: "direct" } })).id);
    expect(r).toMatchObject({ state: "SUCCESS", result: 2, retries: 2 });
  });

  it("a countdown runs after its delay; a revoked one never runs", async () => {
    const kept = await send("direct.noop", { options: { countdown: 2 } });
    const revoked = await send("direct.noop", { options: { countdown: 2 } });
    const res = await api("POST", `/v1/results/${revoked.id}/revoke`, {});
    expect(res.status, describeRes(res)).toBe(202);
    expect((await waitResult(kept.id)).state).toBe("SUCCESS");
    const r = await waitResult(revoked.id);
    expect(r.state).toBe("REVOKED");
    expect(r.error?.type).toBe("TaskRevokedError");
  });

  it("a countdown or eta over 12 h is refused with the option's path", async () => {
    expectError(await api("POST", "/v1/tasks/direct.noop", { options: { countdown: 13 * 3600 } }), 422, "invalid_signature", "options.countdown");
    const eta = new Date(Date.now() + 13 * 3600 * 1000).toISOString();
    expectError(await api("POST", "/v1/apply", sig("demo.add", [1, 2], { queue: "direct", eta })), 422, "invalid_signature", "options.eta");
  });

  it("has no pause or concurrency window: PUT and purge answer 422", async () => {
    expectError(await api("PUT", "/v1/queues/direct", { paused: true }), 422, "invalid_request");
    expectError(await api("DELETE", "/v1/queues/direct/messages"), 422, "invalid_request");
  });

  it("bulk: 1000 signatures land and run", async () => {
    const res = await api("POST", "/v1/apply/bulk", { signatures: Array.from({ length: 1000 }, (_, i) => sig("demo.identity", [i], { queue: "direct" })) });
    expect(res.status, describeRes(res)).toBe(202);
    const handles = res.json.handles as Array<{ id: string }>;
    const last = await waitResult(handles[999]!.id);
    expect(last.result).toBe(999);
    const first = await waitResult(handles[0]!.id);
    expect(first.result).toBe(0);
  });
});

describe("cloudflare-queue broker: GET /v1/events", () => {
  // A Worker isolate trusts a "nobody listens" answer for 1 s (docs/brokers.md): a task begun in
  // a subscriber's first second may lack task-received/started. Sent after that, none may.
  const FIRST_SECOND_MS = 1000;

  it("a task: received, started (without track_started), succeeded; a failing one: received, started, failed", async () => {
    let ok: Handle | undefined;
    let bad: Handle | undefined;
    const done = new Set<string>();
    const seen = await watchEvents(
      async () => {
        await sleep(FIRST_SECOND_MS);
        ok = await send("demo.add", { args: [20, 22], options: { queue: "direct" } });
        bad = await send("demo.fail", { args: ["direct events"], options: { queue: "direct", max_retries: 0 } });
      },
      (name, data) => {
        if (name === "task-succeeded" && data.id === ok?.id) done.add("ok");
        if (name === "task-failed" && data.id === bad?.id) done.add("bad");
        return done.size === 2;
      },
    );
    const of = (id: string) => seen.filter((e) => e.data.id === id);
    expect(of(ok!.id).map((e) => e.name)).toEqual(["task-received", "task-started", "task-succeeded"]);
    expect(of(ok!.id)[0]!.data).toMatchObject({ id: ok!.id, state: "RECEIVED", task: "demo.add", queue: "direct" });
    expect(of(ok!.id)[1]!.data).toMatchObject({ id: ok!.id, state: "STARTED", task: "demo.add" });
    expect(of(ok!.id)[2]!.data).toMatchObject({ state: "SUCCESS", result: 42 });
    expect(of(bad!.id).map((e) => e.name)).toEqual(["task-received", "task-started", "task-failed"]);
  });
});
