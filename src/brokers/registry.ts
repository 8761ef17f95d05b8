/**
 * The broker registry of a Worker: resolves a queue (through the routes that name it) to its
 * broker, with the Worker's bindings. Queues no route puts elsewhere are on the QueueDO.
 */
import { fulfilled } from "../runtime/settled.js";
import type { TaskMessage } from "../protocol/message.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { getApp } from "../runtime/app-registry.js";
import type { App } from "../app/app.js";
import { peerToken } from "../runtime/tokens.js";
import { emptyStats, type Broker } from "./broker.js";
import type { QueueStats } from "../protocol/index.js";
import { brokerEnvProblem, type BrokerMap, type BrokerSpec } from "../app/broker-config.js";
import { DurableObjectBroker } from "./durable-object-broker.js";
import { SINGLE_SHARD } from "../app/queue-config.js";
import { CloudflareQueueBroker, type DirectBody } from "./cloudflare-queue-broker.js";
import { RemoteBroker } from "./remote-broker.js";

const NO_BROKERS: BrokerMap = new Map();

/** Builds a broker from its spec and the Worker's bindings. @throws naming a missing binding. */
export function createBroker(spec: BrokerSpec, env: EdgeryEnv, queue = "?", app?: App): Broker {
  const e = env as unknown as Record<string, unknown>;
  const problem = brokerEnvProblem(new Map([[queue, spec]]), env);
  if (problem) throw new Error(`edgery: ${problem}`);
  switch (spec.kind) {
    case "durable-object":
      return new DurableObjectBroker(env, (q) => app?.queueLayout(q) ?? SINGLE_SHARD);
    case "cloudflare-queue":
      return new CloudflareQueueBroker(e[spec.binding] as Queue<DirectBody>, env.RESULTS_KV);
    case "service": {
      // The peer's own token for this app (its scope `peer`), never this app's admin token.
      const fetcher = e[spec.binding] as Fetcher;
      return new RemoteBroker("service", (path, init) => fetcher.fetch(`https://edgery.internal${path}`, init), peerToken(env, spec.tokenEnv) ?? "");
    }
    case "http": {
      const base = spec.url;
      return new RemoteBroker("http", (path, init) => fetch(base + path, init), peerToken(env, spec.tokenEnv) ?? "");
    }
  }
}

/** Queue → broker for one Worker (its env) and app. */
export class BrokerRegistry {
  readonly default: DurableObjectBroker;
  private readonly built = new Map<string, Broker>();

  constructor(
    private readonly env: EdgeryEnv,
    private readonly app: App | undefined,
  ) {
    this.default = new DurableObjectBroker(env, (q) => app?.queueLayout(q) ?? SINGLE_SHARD);
  }

  /** Queue → broker spec, for the queues routes put on another broker. */
  get map(): BrokerMap {
    return this.app?.brokers ?? NO_BROKERS;
  }

  /** The spec of a queue's broker, or undefined for the default (QueueDO). */
  specOf(queue: string): BrokerSpec | undefined {
    const map = this.map;
    return map.size === 0 ? undefined : map.get(queue);
  }

  /** The broker of a queue. @throws when its binding is missing (caught by the caller: 503 / retry). */
  brokerOf(queue: string): Broker {
    const spec = this.specOf(queue);
    if (!spec) return this.default;
    let b = this.built.get(queue);
    if (!b) {
      b = createBroker(spec, this.env, queue, this.app);
      this.built.set(queue, b);
    }
    return b;
  }

  /** Enqueues messages grouped by queue (one call per queue), each through its broker. */
  enqueue(messages: TaskMessage[]): Promise<unknown[]> {
    const byQueue = new Map<string, TaskMessage[]>();
    for (const m of messages) {
      const list = byQueue.get(m.queue);
      if (list) list.push(m);
      else byQueue.set(m.queue, [m]);
    }
    return Promise.all([...byQueue].map(([queue, msgs]) => this.brokerOf(queue).enqueue(msgs)));
  }

  /**
   * The `http` brokers (other apps in another account or region): they keep their results, so a
   * result unknown here may be asked of them. One per distinct app, built on first use.
   */
  httpBrokers(): RemoteBroker[] {
    const seen = new Set<string>();
    const out: RemoteBroker[] = [];
    for (const [queue, spec] of this.map) {
      if (spec.kind !== "http") continue;
      const key = JSON.stringify(spec);
      if (seen.has(key)) continue;
      seen.add(key);
      const b = this.brokerOf(queue);
      if (b instanceof RemoteBroker) out.push(b);
    }
    return out;
  }

  /** The queues on brokers other than the QueueDO. */
  otherQueues(): string[] {
    return [...this.map.keys()];
  }
}

const cache = new WeakMap<object, BrokerRegistry>();

/** The app this Worker registered, if any. */
function currentApp(): App | undefined {
  try {
    return getApp();
  } catch {
    return undefined;
  }
}

/** The registry of this Worker (cached per env object). `app` defaults to the registered app. */
export function registryOf(env: EdgeryEnv, app: App | undefined = currentApp()): BrokerRegistry {
  let r = cache.get(env);
  if (!r || (r as unknown as { app: App | undefined }).app !== app) {
    r = new BrokerRegistry(env, app);
    cache.set(env, r);
  }
  return r;
}

/** The check's answer per app: a Worker's bindings do not change while its isolate lives. */
const problems = new WeakMap<App, string | null>();

/**
 * The start-up check of the app's brokers against the Worker's bindings: null when every route's
 * binding and secret is there, else a message naming what is missing. Checked once per app and
 * isolate (workerd hands each request its own `env` object, so it is not a cache key).
 */
export function brokerProblem(app: App, env: EdgeryEnv): string | null {
  if (problems.has(app)) return problems.get(app) ?? null;
  const problem = app.brokers.size === 0 ? null : brokerEnvProblem(app.brokers, env);
  problems.set(app, problem);
  return problem;
}

/**
 * Revokes ids in the given queues and in this Worker's other apps, each through its broker; a
 * remote app is asked once. Returns what each answered. A queue that fails is left out (logged):
 * one damaged queue must not fail every revoke.
 * @throws only when every queue asked failed (the API answers 503: a revoke may be sent again).
 */
export async function revokeEverywhere(env: EdgeryEnv, app: App, queues: string[], ids: string[], terminate: boolean): Promise<Array<{ revoked: string[] }>> {
  const registry = registryOf(env, app);
  const asked = new Set<string>();
  const calls: Array<{ queue: string; call: Promise<{ revoked: string[] }> }> = [];
  for (const queue of new Set([...queues, ...registry.otherQueues()])) {
    const spec = registry.specOf(queue);
    if (spec && (spec.kind === "service" || spec.kind === "http")) {
      const key = JSON.stringify(spec);
      if (asked.has(key)) continue;
      asked.add(key);
    }
    try {
      const broker = registry.brokerOf(queue);
      if (broker.revoke) calls.push({ queue, call: broker.revoke(queue, ids, terminate) });
    } catch (err) {
      calls.push({ queue, call: Promise.reject(err) });
    }
  }
  const settled = await Promise.allSettled(calls.map((c) => c.call));
  const answers = fulfilled(settled, (i, reason) => console.error(`edgery: revoke in queue '${calls[i]!.queue}' failed`, reason));
  if (calls.length > 0 && answers.length === 0) throw (settled.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
  return answers;
}

/** A queue's stats from its broker (a remote app's own, forwarded). */
export function brokerOfQueue(env: EdgeryEnv, app: App, queue: string): Broker {
  return registryOf(env, app).brokerOf(queue);
}

/**
 * A queue's stats where the queue is: its broker's (another app's queue asked there); all zeros
 * for a broker that keeps none (a Cloudflare Queue).
 */
export function queueStatsOf(env: EdgeryEnv, app: App, queue: string): Promise<QueueStats> {
  const broker = brokerOfQueue(env, app, queue);
  return broker.stats ? broker.stats(queue) : Promise.resolve(emptyStats(queue));
}
