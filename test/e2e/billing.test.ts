// The second app (docs/brokers.md): `billing.charge` is registered by the billing Worker
// (apps/billing), started by the same `npm run dev`, reached through the `service` broker, and
// its result is readable from the main API with `worker: "billing"`.
import { describe, expect, it } from "vitest";
import { api, apply, chain, chord, describeRes, send, sig, uniqId, waitResult } from "./helpers";

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
