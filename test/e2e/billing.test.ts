// The second app (docs/brokers.md): `billing.charge` is registered by the billing Worker
// (apps/billing), started by the same `npm run dev`, reached through the `service` broker, and
// its result is readable from the main API with `worker: "billing"`.
import { describe, expect, it } from "vitest";
import { api, apply, chain, chord, describeRes, send, sig, sleep, uniqId, waitResult, watchEvents, type Handle } from "./helpers";

describe("billing app (service broker, second Worker)", () => {
  it("billing.charge sent to the main API runs in the billing app", async () => {
    const h = await send("billing.charge", { args: [42] });
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r)).toBe("SUCCESS");
    expect(r.result).toEqual({ charged: 42 });
    expect(r.worker).toBe("billing");
    expect(r.task).toBe("billing.charge");
  });

  it("billing.* is served by a route: not unknown_task; other names still are", async () => {
    const ok = await api("POST", "/v1/tasks/billing.charge", { args: [1] });
    expect(ok.status, describeRes(ok)).toBe(202);
    const unknown = await api("POST", "/v1/tasks/nobody.serves.this", {});
    expect(unknown.status, describeRes(unknown)).toBe(422);
    expect(unknown.json?.error?.code).toBe("unknown_task");
  });

  it("a chain crosses apps both ways: demo.add → billing.charge → demo.identity", async () => {
    const h = await apply(chain([sig("demo.add", [40, 2]), sig("billing.charge"), sig("demo.identity")]));
    const last = await waitResult(h.id);
    expect(last.state, JSON.stringify(last)).toBe("SUCCESS");
    expect(last.result).toEqual({ charged: 42 });
    expect(last.worker).toBe("edgery");
    const middle = await waitResult(h.parent!.id);
    expect(middle).toMatchObject({ state: "SUCCESS", result: { charged: 42 }, worker: "billing", parent_id: h.parent!.parent!.id });
  });

  it("a large result (kept in R2) passed to a billing task reaches it as the value, not as the pointer (the billing app bound no R2, and the task ran on the pointer)", async () => {
    const n = 1_500_000;
    const h = await apply(chain([sig("demo.blob", [n]), sig("billing.charge")]));
    const r = await waitResult(h.id);
    expect(r.state, JSON.stringify(r).slice(0, 300)).toBe("SUCCESS");
    const charged = (r.result as { charged: unknown }).charged;
    expect(typeof charged).toBe("string");
    expect((charged as string).length).toBe(n);
    // A chord body in the billing app gets the header's list (kept in R2 when large) as values.
    const c = await apply(chord([sig("demo.blob", [60_000]), sig("demo.blob", [60_000]), sig("demo.blob", [60_000])], sig("billing.charge")));
    const body = await waitResult(c.id);
    expect(body.state, JSON.stringify(body).slice(0, 300)).toBe("SUCCESS");
    expect(((body.result as { charged: unknown }).charged as string[]).map((v) => v.length)).toEqual([60_000, 60_000, 60_000]);
  });

  it("a billing task's events reach the main app's feed: received, started, succeeded (the billing app bound no event feed: only the ending was seen)", async () => {
    // The billing queue is another app's object, which the feed cannot tell when a subscriber
    // arrives: it trusts a "nobody listens" answer for 1 s (docs/brokers.md), as a Worker
    // running cloudflare-queue tasks does. Sent after that, the task's events are all seen.
    const FIRST_SECOND_MS = 1000;
    await send("billing.charge", { args: [0] }); // the queue asks, and is told "no"
    let h: Handle | undefined;
    const seen = await watchEvents(
      async () => {
        await sleep(FIRST_SECOND_MS);
        h = await send("billing.charge", { args: [5] });
      },
      (name, data) => name === "task-succeeded" && data.id === h?.id,
    );
    expect(seen.filter((e) => e.data.id === h!.id).map((e) => e.name)).toEqual(["task-received", "task-started", "task-succeeded"]);
  });

  it("a chord joins across apps: billing members, a main-app body", async () => {
    const h = await apply(chord([sig("billing.charge", [1]), sig("billing.charge", [2]), sig("demo.identity", [3])], sig("demo.echo")));
    const body = await waitResult(h.id);
    expect(body.state, JSON.stringify(body)).toBe("SUCCESS");
    expect(body.result).toEqual({ args: [[{ charged: 1 }, { charged: 2 }, 3]], kwargs: {} });
  });

  it("revoking a delayed billing task reaches the billing app", async () => {
    const id = uniqId();
    const h = await send("billing.charge", { args: [5], options: { countdown: 30, task_id: id } });
    const res = await api("POST", `/v1/results/${h.id}/revoke`, {});
    expect(res.status, describeRes(res)).toBe(202);
    const r = await waitResult(h.id);
    expect(r.state).toBe("REVOKED");
  });

  it("the billing queue's stats come from the billing app", async () => {
    await waitResult((await send("billing.charge", { args: [9] })).id);
    const res = await api("GET", "/v1/queues/billing");
    expect(res.status, describeRes(res)).toBe(200);
    expect(res.json.completed).toBeGreaterThan(0);
  });
});
