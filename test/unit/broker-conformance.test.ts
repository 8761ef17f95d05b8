/**
 * Brokers in plain Node: the conformance suite against the in-memory twin and against the
 * remote (service/http) broker speaking to a fake far side; route validation; Queue packing;
 * and the all-or-none apply when a remote broker fails.
 */
import { describe, expect, it } from "vitest";
import { MemoryBroker } from "../../src/brokers/memory-broker.js";
import { RemoteBroker, BROKER_PATH } from "../../src/brokers/remote-broker.js";
import { BrokerUnavailableError } from "../../src/brokers/broker.js";
import { brokerEnvProblem, compileBrokers, QUEUE_MAX_DELAY_S } from "../../src/app/broker-config.js";
import { delayOf, packDirect } from "../../src/brokers/cloudflare-queue-broker.js";
import type { TaskMessage } from "../../src/protocol/message.js";
import type { SentMessage } from "../../src/protocol/rpc.js";
import { App } from "../../src/app/app.js";
import { applyCanvases } from "../../src/apply/apply.js";
import { prepare } from "../../src/apply/prepare.js";
import { parseSignature, WireError } from "../../src/protocol/index.js";
import type { EdgeryEnv } from "../../src/runtime/env.js";
import { brokerConformance, message, type BrokerHarness } from "../brokers/conformance.js";

function memoryHarness(broker: MemoryBroker, queue = "q"): BrokerHarness {
  const arrivedNow = (id: string) => broker.all().find((m) => m.id === id);
  return {
    broker,
    queue,
    task: "demo.echo",
    async arrived(ids) {
      return new Map(ids.flatMap((id) => {
        const m = arrivedNow(id);
        return m ? [[id, m.args] as [string, unknown[]]] : [];
      }));
    },
    async seen(id) {
      const m = arrivedNow(id);
      // A held message that is not due yet has not been delivered.
      return !!m && (m.eta === null || m.eta <= Date.now()) ;
    },
    async endedRevoked(id) {
      return broker.ended.includes(id) && !arrivedNow(id);
    },
    async setFailing(on) {
      broker.failing = on ? new Error("far side down") : null;
    },
  };
}

brokerConformance("memory twin", () => memoryHarness(new MemoryBroker()));

/** A fake far side: the broker endpoint of another app over a MemoryBroker. */
function fakeRemote(token: string) {
  const far = new MemoryBroker();
  let down = false;
  const send = async (path: string, init: RequestInit): Promise<Response> => {
    if (down) return new Response("upstream down", { status: 502 });
    if (new Headers(init.headers).get("authorization") !== `Bearer ${token}`) return new Response("{}", { status: 401 });
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    const sub = path.slice(BROKER_PATH.length);
    if (sub === "/enqueue") await far.enqueue(body.messages);
    else if (sub === "/cancel") await far.cancel(body.messages);
    else if (sub === "/revoke") return Response.json(await far.revoke("", body.ids, body.terminate));
    else return new Response("{}", { status: 404 });
    return Response.json({ accepted: body.messages.length }, { status: 202 });
  };
  return { far, send, setDown: (on: boolean) => (down = on) };
}

brokerConformance("remote (service/http) over a fake far side", () => {
  const r = fakeRemote("tok");
  const broker = new RemoteBroker("service", r.send, "tok");
  const h = memoryHarness(r.far);
  return { ...h, broker, setFailing: async (on) => void r.setDown(on) };
});

describe("remote broker", () => {
  it("rejects with BrokerUnavailableError on an error answer, a wrong token, or a timeout", async () => {
    const r = fakeRemote("tok");
    r.setDown(true);
    await expect(new RemoteBroker("http", r.send, "tok").enqueue([message("q", "t", [])])).rejects.toBeInstanceOf(BrokerUnavailableError);
    r.setDown(false);
    await expect(new RemoteBroker("http", r.send, "wrong").enqueue([message("q", "t", [])])).rejects.toThrow(/401/);
    const hang = (_p: string, init: RequestInit) =>
      new Promise<Response>((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    await expect(new RemoteBroker("http", hang, "tok", 50).enqueue([message("q", "t", [])])).rejects.toBeInstanceOf(BrokerUnavailableError);
  });
});

describe("route brokers are checked when the app is built", () => {
  it("accepts the four kinds and maps each queue to its broker", () => {
    const map = compileBrokers({
      "a.*": { queue: "a", broker: "cloudflare-queue", binding: "DIRECT" },
      "b.*": { queue: "b", broker: "service", binding: "BILLING", token_env: "B_TOKEN" },
      "c.*": { queue: "c", broker: "http", url: "https://c.example.com/", token_env: "C_TOKEN" },
      "d.*": { queue: "d", broker: "durable-object" },
      "e.*": { queue: "e" },
    });
    expect(Object.fromEntries(map)).toEqual({
      a: { kind: "cloudflare-queue", binding: "DIRECT" },
      b: { kind: "service", binding: "BILLING", tokenEnv: "B_TOKEN" },
      c: { kind: "http", url: "https://c.example.com", tokenEnv: "C_TOKEN" },
    });
  });

  it("fails naming the route and the broker: unknown kind, missing binding/url/token, no queue, one queue on two brokers", () => {
    expect(() => new App({ name: "x", routes: { "a.*": { queue: "a", broker: "redis" } } })).toThrow(/route 'a\.\*' names unknown broker 'redis'/);
    expect(() => new App({ name: "x" }).route({ "a.*": { queue: "a", broker: "kafka" } })).toThrow(/unknown broker 'kafka'/);
    expect(() => compileBrokers({ a: { queue: "a", broker: "service" } })).toThrow(/route 'a' on broker 'service' needs "binding"/);
    // A peer's own token, never this app's admin token: token_env is required for `service` too.
    expect(() => compileBrokers({ a: { queue: "a", broker: "service", binding: "B" } })).toThrow(/route 'a' on broker 'service' needs "token_env"/);
    expect(() => compileBrokers({ a: { queue: "a", broker: "http", token_env: "T" } })).toThrow(/needs "url"/);
    expect(() => compileBrokers({ a: { queue: "a", broker: "http", url: "https://x" } })).toThrow(/needs "token_env"/);
    expect(() => compileBrokers({ a: { queue: "a", broker: "http", url: "not a url", token_env: "T" } })).toThrow(/not a URL/);
    expect(() => compileBrokers({ a: { broker: "cloudflare-queue", binding: "Q" } })).toThrow(/must name its queue/);
    expect(() => compileBrokers({ a: { queue: "q" }, b: { queue: "q", broker: "cloudflare-queue", binding: "Q" } })).toThrow(/queue 'q' is put on broker 'durable-object' by route 'a' and on broker 'cloudflare-queue' by route 'b'/);
  });

  it("an http broker needs https: plain http to another host fails at build, to loopback it runs in local dev only", () => {
    for (const url of ["http://c.example.com", "http://10.0.0.5:8787", "http://127.0.0.1.example.com", "ftp://c.example.com"]) {
      expect(() => compileBrokers({ a: { queue: "a", broker: "http", url, token_env: "T" } }), url).toThrow(/needs an https:\/\/ url/);
    }
    for (const url of ["http://127.0.0.1:8788", "http://localhost:8788", "http://[::1]:8788"]) {
      const map = compileBrokers({ a: { queue: "a", broker: "http", url, token_env: "T" } });
      expect(brokerEnvProblem(map, { T: "tok", EDGERY_DEV: "true" }), url).toBeNull();
      expect(brokerEnvProblem(map, { T: "tok" }), url).toMatch(/plain http is allowed to loopback in local dev only/);
    }
    expect(brokerEnvProblem(compileBrokers({ a: { queue: "a", broker: "http", url: "https://c.example.com", token_env: "T" } }), { T: "tok" })).toBeNull();
  });

  it("names a binding or secret the Worker lacks", () => {
    const map = compileBrokers({ "b.*": { queue: "b", broker: "service", binding: "BILLING", token_env: "B_TOKEN" }, "d.*": { queue: "d", broker: "cloudflare-queue", binding: "DIRECT" } });
    expect(brokerEnvProblem(map, {})).toMatch(/service binding 'BILLING'/);
    expect(brokerEnvProblem(map, { BILLING: { fetch() {} }, B_TOKEN: "peer" })).toMatch(/Queue producer binding 'DIRECT'/);
    expect(brokerEnvProblem(map, { BILLING: { fetch() {} }, DIRECT: { send() {}, sendBatch() {} } })).toMatch(/token_env 'B_TOKEN'/);
    expect(brokerEnvProblem(map, { BILLING: { fetch() {} }, DIRECT: { send() {}, sendBatch() {} }, B_TOKEN: "peer" })).toBeNull();
    // Local dev sends dev-peer when the secret is not set.
    expect(brokerEnvProblem(map, { BILLING: { fetch() {} }, DIRECT: { send() {}, sendBatch() {} }, EDGERY_DEV: "true" })).toBeNull();
    expect(brokerEnvProblem(compileBrokers({ c: { queue: "c", broker: "http", url: "https://x", token_env: "C_TOKEN" } }), {})).toMatch(/token_env 'C_TOKEN'/);
  });
});

describe("cloudflare-queue packing", () => {
  it("packs up to 100 tasks per Queue message, one delay per message, 100 messages per send", () => {
    const now = 1_000_000;
    const msgs: TaskMessage[] = [
      ...Array.from({ length: 10_050 }, (_, i) => message("direct", "direct.noop", [i])),
      message("direct", "direct.noop", [], { eta: now + 5_500 }),
    ];
    const { batches, tooBig } = packDirect("direct", msgs, now);
    expect(tooBig).toStrictEqual([]);
    const all = batches.flat();
    expect(all.every((m) => (m.body.tasks?.length ?? 0) <= 100)).toBe(true);
    expect(batches.every((b) => b.length <= 100)).toBe(true);
    expect(all.reduce((n, m) => n + (m.body.tasks?.length ?? 0), 0)).toBe(10_051);
    expect(all.filter((m) => m.delaySeconds === 6).map((m) => m.body.tasks?.length)).toEqual([1]);
    expect(all.length).toBe(102);
  });

  it("delays at most 12 h per hop", () => {
    expect(delayOf(null, 0)).toBe(0);
    expect(delayOf(1000, 2000)).toBe(0);
    expect(delayOf(10 * 86_400_000, 0)).toBe(QUEUE_MAX_DELAY_S);
  });
});

/** An env whose QueueDOs are one MemoryBroker and whose BILLING service answers `status`. */
function fakeEnv(billingStatus: number) {
  const mem = new MemoryBroker();
  const stub = {
    enqueue: (m: TaskMessage[]) => mem.enqueue(m).then(() => ({ added: m.length })),
    // What the durable-object broker sends: each message's JSON (see SentMessage).
    enqueueSent: (_queue: string, sent: SentMessage[]) => mem.enqueue(sent.map((s) => JSON.parse(s[5]) as TaskMessage)).then(() => ({ added: sent.length })),
    cancel: (ids: string[]) => mem.cancel(ids.map((id) => message("", "", [], { id }))),
  };
  const calls: string[] = [];
  const env = {
    QUEUE_DO: { idFromName: (n: string) => n, get: () => stub },
    RESULT_DO: { idFromName: (n: string) => n, get: () => ({ recordGroups: async () => undefined }) },
    CHORD_DO: { idFromName: (n: string) => n, get: () => ({ open: async () => undefined }) },
    EDGERY_TOKEN: "admin-tok",
    BILLING_TOKEN: "peer-tok",
    BILLING: {
      fetch: async (url: string, init: RequestInit) => {
        // The peer's token for this app, never this app's own admin token.
        expect(new Headers(init.headers).get("authorization")).toBe("Bearer peer-tok");
        calls.push(url);
        return new Response(billingStatus < 300 ? '{"accepted":1}' : "down", { status: billingStatus });
      },
    },
  } as unknown as EdgeryEnv;
  return { env, mem, calls };
}

describe("apply through brokers", () => {
  const app = () => {
    const a = new App({ name: "main", routes: { "billing.*": { queue: "billing", broker: "service", binding: "BILLING", token_env: "BILLING_TOKEN" }, "direct.*": { queue: "direct", broker: "cloudflare-queue", binding: "DIRECT" } } });
    a.task("demo.add", () => 0).task("direct.noop", () => null);
    return a;
  };
  const group = parseSignature({ task: "celery.group", subtask_type: "group", kwargs: { tasks: [{ task: "demo.add", args: [1, 2] }, { task: "billing.charge", args: [5] }] } });

  it("sends a remote route's messages to the other app and the rest to the QueueDO", async () => {
    const { env, mem, calls } = fakeEnv(202);
    await applyCanvases(env, app(), [{ canvas: group, path: "" }]);
    expect(calls).toEqual(["https://edgery.internal/__edgery/broker/enqueue"]);
    expect(mem.all().map((m) => m.task)).toEqual(["demo.add"]);
  });

  it("a remote broker that fails: 503 overloaded and nothing of the canvas stays enqueued", async () => {
    const { env, mem } = fakeEnv(500);
    const err = await applyCanvases(env, app(), [{ canvas: group, path: "" }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).code).toBe("overloaded");
    expect(mem.all()).toEqual([]);
  });

  it("refuses a countdown or eta over 12 h onto a cloudflare-queue route, with the option's path", () => {
    const over = QUEUE_MAX_DELAY_S + 60;
    const c1 = parseSignature({ task: "direct.noop", options: { countdown: over } });
    expect(() => prepare(app(), [{ canvas: c1, path: "" }])).toThrow(expect.objectContaining({ code: "invalid_signature", path: "options.countdown" }));
    const eta = new Date(Date.now() + over * 1000).toISOString();
    const c2 = parseSignature({ task: "celery.chain", subtask_type: "chain", kwargs: { tasks: [{ task: "direct.noop", options: { eta } }] } });
    expect(() => prepare(app(), [{ canvas: c2, path: "signatures.0" }])).toThrow(expect.objectContaining({ path: "signatures.0.kwargs.tasks.0.options.eta" }));
    const ok = parseSignature({ task: "demo.add", options: { countdown: over } });
    expect(() => prepare(app(), [{ canvas: ok, path: "" }])).not.toThrow();
  });
});

describe("remote broker: reading a result the other app holds", () => {
  it("asks GET {BROKER_PATH}/results/:id (with ?wait= in seconds) and returns its answer", async () => {
    const calls: string[] = [];
    const answer = { id: "x/1", state: "SUCCESS", result: 3 };
    const send = async (path: string, init: RequestInit) => {
      calls.push(`${init.method} ${path} ${new Headers(init.headers).get("authorization")}`);
      return Response.json(answer);
    };
    const broker = new RemoteBroker("http", send, "tok");
    expect(await broker.result("x/1")).toStrictEqual(answer);
    await broker.result("x/1", 2500);
    expect(calls).toStrictEqual([`GET ${BROKER_PATH}/results/x%2F1 Bearer tok`, `GET ${BROKER_PATH}/results/x%2F1?wait=3 Bearer tok`]);
  });

  it("an error answer is BrokerUnavailableError (the reader falls back to PENDING)", async () => {
    const broker = new RemoteBroker("http", async () => new Response("nope", { status: 500 }), "tok");
    await expect(broker.result("y")).rejects.toBeInstanceOf(BrokerUnavailableError);
  });
});
