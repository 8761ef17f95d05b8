// The consumer's hand-off is not an HTTP route: from outside, POST /__edgery/deliver (with the
// marker header the old route trusted) is an unknown route, whatever its body, and the queue it
// names is never created.
import { describe, expect, it } from "vitest";
import { api, expectError, expectHealthy, uniqQueue } from "./helpers";

describe("POST /__edgery/deliver from outside", () => {
  it("is 404 not_found JSON and creates no queue", async () => {
    const queue = uniqQueue();
    const body = { queue, tasks: [{ lease: "forged", deadline: Date.now() + 60_000, redelivered: false, body: JSON.stringify({ id: "x", task: "demo.add" }) }] };
    for (const token of [null, "dev-token"]) {
      expectError(await api("POST", "/__edgery/deliver", body, { token, headers: { "x-edgery-internal": "deliver" } }), 404, "not_found");
    }
    const list = await api("GET", "/v1/queues");
    expect(list.status).toBe(200);
    expect(list.json.queues.map((q: { name: string }) => q.name)).not.toContain(queue);
  });

  it("a malformed body is a 4xx, never a 5xx", async () => {
    for (const rawBody of ["{bad", "", "null"]) {
      const res = await api("POST", "/__edgery/deliver", undefined, { token: null, rawBody, headers: { "x-edgery-internal": "deliver" } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.json?.error?.code).toBeTypeOf("string");
    }
    await expectHealthy();
  });
});
