/**
 * The consumer's hand-off (src/index.ts EdgeryDelivery) is RPC inside the Worker, not an HTTP
 * route: a request from outside, marker header and all, is an unknown route (404 JSON), whatever
 * its body, and no Durable Object is created for the queue it names.
 */
import { createExecutionContext, env, listDurableObjectIds, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EdgeryDelivery } from "../../src/index";
import type { DeliveryBody } from "../../src/protocol/message";
import { taskMessage, uid } from "./helpers";

/** A delivery of the right shape for a queue nobody declared or sent to, with a made-up lease. */
function forgedDelivery(queue: string): DeliveryBody {
  const m = taskMessage(queue, "demo.add", { args: [1, 2] });
  return { queue, tasks: [{ lease: crypto.randomUUID(), deadline: Date.now() + 60_000, redelivered: false, body: JSON.stringify(m) }] };
}

async function queueObjectExists(queue: string): Promise<boolean> {
  const id = env.QUEUE_DO.idFromName(queue);
  return (await listDurableObjectIds(env.QUEUE_DO)).some((x) => x.equals(id));
}

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await SELF.fetch("https://edgery.test/__edgery/deliver", {
    method: "POST",
    headers: { "content-type": "application/json", "x-edgery-internal": "deliver", ...headers },
    body,
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null };
}

describe("internal delivery", () => {
  it("POST /__edgery/deliver from outside is 404 not_found JSON and creates no queue", async () => {
    const queue = uid("q-forged");
    for (const headers of [{}, { authorization: "Bearer test-token" }] as Array<Record<string, string>>) {
      const res = await post(JSON.stringify(forgedDelivery(queue)), headers);
      expect(res.status).toBe(404);
      expect(res.json?.error?.code).toBe("not_found");
    }
    expect(await queueObjectExists(queue)).toBe(false);
  });

  it("a malformed body is a 4xx JSON error, never a 500", async () => {
    for (const body of ["{bad", "", "null", '{"queue": 5}', '{"queue": "q", "tasks": "x"}']) {
      const res = await post(body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof res.json?.error?.message).toBe("string");
    }
  });

  it("the RPC entrypoint refuses a body of another shape before any Durable Object is reached", async () => {
    const ctx = createExecutionContext();
    const entry = new EdgeryDelivery(ctx, env);
    const queue = uid("q-shape");
    for (const body of [null, "x", { queue }, { queue, tasks: [] }, { queue, tasks: [{ lease: 1 }] }, { queue: 7, tasks: forgedDelivery(queue).tasks }]) {
      await expect(entry.deliver(body)).rejects.toBeInstanceOf(TypeError);
    }
    await waitOnExecutionContext(ctx);
    expect(await queueObjectExists(queue)).toBe(false);
  });
});
