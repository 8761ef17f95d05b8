/**
 * The real brokers in workerd, through the shared conformance suite (test/brokers/conformance.ts):
 * - durable-object: the QueueDO and the TASKS Queue, run by the Worker's own consumer;
 * - cloudflare-queue: the DIRECT Queue, run by the Worker's direct consumer;
 * - service: a service binding to another Worker (the billing stand-in, billing-stub.js).
 * The far side of the first two is observed through the result store (demo.echo returns its args).
 * Project "integration-brokers" (vitest.integration.config.ts).
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DurableObjectBroker } from "../../src/brokers/durable-object-broker.js";
import { CloudflareQueueBroker, type DirectBody } from "../../src/brokers/cloudflare-queue-broker.js";
import { createBroker } from "../../src/brokers/registry.js";
import { resultStub } from "../../src/runtime/stubs.js";
import type { TaskResult } from "../../src/protocol/index.js";
import { brokerConformance, message, type BrokerHarness } from "../brokers/conformance.js";

const e = env as unknown as import("../../src/runtime/env.js").EdgeryEnv & { DIRECT: Queue<DirectBody>; BILLING: Fetcher };

async function resultOf(id: string, waitMs: number): Promise<TaskResult | null> {
  return (await resultStub(e, id).wait(id, waitMs)) as TaskResult | null;
}

/** Observes a broker whose consumer runs demo.echo and writes results. */
function runningHarness(broker: BrokerHarness["broker"], queue: string): BrokerHarness {
  return {
    broker,
    queue,
    task: "demo.echo",
    async arrived(ids) {
      const out = new Map<string, unknown[]>();
      for (const id of ids) {
        const r = await resultOf(id, 20_000);
        if (r?.state === "SUCCESS") out.set(id, (r.result as { args: unknown[] }).args);
      }
      return out;
    },
    async seen(id) {
      return (await resultOf(id, 0)) !== null;
    },
    async endedRevoked(id) {
      return (await resultOf(id, 20_000))?.state === "REVOKED";
    },
  };
}

brokerConformance("durable-object (QueueDO + Queue)", () => runningHarness(new DurableObjectBroker(e), `conf-do`));
brokerConformance("cloudflare-queue (DIRECT Queue)", () => runningHarness(new CloudflareQueueBroker(e.DIRECT, e.RESULTS_KV), "direct"));

async function stubSeen(ids: string[]): Promise<Record<string, { args?: unknown[]; revoked?: boolean } | null>> {
  const res = await e.BILLING.fetch(`https://stub/__test/seen?ids=${ids.join(",")}`);
  return res.json();
}

brokerConformance("service (service binding to another Worker)", () => ({
  broker: createBroker({ kind: "service", binding: "BILLING", tokenEnv: "BILLING_TOKEN" }, e, "billing"),
  queue: "billing",
  task: "billing.charge",
  async arrived(ids) {
    const seen = await stubSeen(ids);
    return new Map(ids.flatMap((id) => (seen[id]?.args ? [[id, seen[id]!.args!] as [string, unknown[]]] : [])));
  },
  async seen(id) {
    return !!(await stubSeen([id]))[id]?.args;
  },
  async endedRevoked(id) {
    return (await stubSeen([id]))[id]?.revoked === true;
  },
  async setFailing(on) {
    await e.BILLING.fetch("https://stub/__test/fail", { method: "POST", body: JSON.stringify({ on }) });
  },
}));

describe("brokers through the API", () => {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await SELF.fetch(`https://edgery.test${path}`, {
      method,
      headers: { authorization: "Bearer test-token", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as any };
  };

  it("billing.* is accepted and sent to the other app; when it is down: 503 overloaded, Retry-After, nothing enqueued", async () => {
    await e.BILLING.fetch("https://stub/__test/fail", { method: "POST", body: JSON.stringify({ on: true }) });
    const chord = {
      task: "celery.group",
      subtask_type: "group",
      kwargs: { tasks: [{ task: "demo.echo", args: ["local"], options: { task_id: `local-${Date.now()}` } }, { task: "billing.charge", args: [3] }] },
    };
    let down;
    try {
      down = await call("POST", "/v1/apply", chord);
    } finally {
      await e.BILLING.fetch("https://stub/__test/fail", { method: "POST", body: JSON.stringify({ on: false }) });
    }
    expect(down.status).toBe(503);
    expect(down.json.error.code).toBe("overloaded");
    expect(down.headers.get("retry-after")).toBe("1");
    const localId = chord.kwargs.tasks[0]!.options!.task_id!;
    expect(await resultOf(localId, 1500)).toBeNull();

    const up = await call("POST", "/v1/tasks/billing.charge", { args: [7] });
    expect(up.status).toBe(202);
    expect((await stubSeen([up.json.id]))[up.json.id]?.args).toEqual([7]);
  });

  it("when the other app refuses (401: it took nothing), the 503 says nothing was enqueued (it said some may have been: the undo was refused too)", async () => {
    await e.BILLING.fetch("https://stub/__test/refuse", { method: "POST", body: JSON.stringify({ on: true }) });
    const localId = `local-refused-${Date.now()}`;
    let down;
    try {
      down = await call("POST", "/v1/apply", {
        task: "celery.group",
        subtask_type: "group",
        kwargs: { tasks: [{ task: "demo.echo", args: ["local"], options: { task_id: localId } }, { task: "billing.charge", args: [3] }] },
      });
    } finally {
      await e.BILLING.fetch("https://stub/__test/refuse", { method: "POST", body: JSON.stringify({ on: false }) });
    }
    expect(down.status).toBe(503);
    expect(down.json.error).toMatchObject({ code: "overloaded" });
    expect(down.json.error.message).toContain("nothing was enqueued");
    expect(await resultOf(localId, 1500)).toBeNull();
  });

  it("a task on the cloudflare-queue route runs and its result is readable", async () => {
    const r = await call("POST", "/v1/tasks/demo.add", { args: [20, 22], options: { queue: "direct" } });
    expect(r.status).toBe(202);
    const got = await call("GET", `/v1/results/${r.json.id}?wait=20`);
    expect(got.json).toMatchObject({ state: "SUCCESS", result: 42, queue: "direct", worker: "edgery" });
  });

  it("the direct queue has no pause or concurrency: PUT answers 422", async () => {
    const r = await call("PUT", "/v1/queues/direct", { paused: true });
    expect(r.status).toBe(422);
  });

  it("direct messages sent through the real Queue keep their order-free delivery semantics (ids unique)", async () => {
    const m = message("direct", "demo.echo", ["x"]);
    await new CloudflareQueueBroker(e.DIRECT, e.RESULTS_KV).enqueue([m, m]);
    const r = await resultOf(m.id, 20_000);
    expect(r?.state).toBe("SUCCESS");
  });
});
