/**
 * Brokers chosen by routes (Celery's per-route `broker`), checked when the app is built: pure,
 * no bindings here. Which queue lives on which broker is decided by the routes that name it;
 * every other queue is on the default broker, the QueueDO (`durable-object`).
 */
import { DEFAULT_QUEUE } from "../protocol/index.js";
import type { Route } from "./routing.js";

/** The broker kinds a route may name. */
export const BROKER_KINDS = ["durable-object", "cloudflare-queue", "service", "http"] as const;
/** One of {@link BROKER_KINDS}. */
export type BrokerKind = (typeof BROKER_KINDS)[number];

/** A broker as a route configures it. */
export type BrokerSpec =
  | { kind: "durable-object" }
  | { kind: "cloudflare-queue"; binding: string }
  | { kind: "service"; binding: string; tokenEnv: string }
  | { kind: "http"; url: string; tokenEnv: string };

/** The default broker. */
export const DEFAULT_BROKER: BrokerSpec = { kind: "durable-object" };

/** Longest delay a Cloudflare Queue message can carry (`delaySeconds`), in seconds. */
export const QUEUE_MAX_DELAY_S = 12 * 60 * 60;

/** Queue name → broker, for the queues not on the default broker. */
export type BrokerMap = Map<string, BrokerSpec>;

/** True for a loopback host name (localhost, 127.0.0.0/8, ::1). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function specOf(key: string, route: Route): BrokerSpec {
  const kind = route.broker ?? "durable-object";
  const where = `edgery: route '${key}'`;
  if (!(BROKER_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`${where} names unknown broker '${kind}' (known: ${BROKER_KINDS.join(", ")})`);
  }
  const need = (field: "binding" | "url" | "token_env"): string => {
    const v = route[field];
    if (typeof v !== "string" || v === "") throw new Error(`${where} on broker '${kind}' needs "${field}"`);
    return v;
  };
  switch (kind as BrokerKind) {
    case "durable-object":
      return DEFAULT_BROKER;
    case "cloudflare-queue":
      return { kind: "cloudflare-queue", binding: need("binding") };
    case "service":
      // The peer app's token for this app, never this app's own (its admin token would open this
      // app's whole API to the peer, and tie both apps to one secret).
      return { kind: "service", binding: need("binding"), tokenEnv: need("token_env") };
    case "http": {
      const url = need("url");
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new Error(`${where} on broker 'http' has url '${url}', which is not a URL`);
      }
      // The token travels in every request: https only; plain http to loopback for local dev
      // (refused at start-up outside it, see brokerEnvProblem).
      if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && isLoopback(parsed.hostname))) {
        throw new Error(`${where} on broker 'http' needs an https:// url, not '${url}' (plain http only to loopback in local dev)`);
      }
      return { kind: "http", url: url.replace(/\/+$/, ""), tokenEnv: need("token_env") };
    }
  }
}

function sameSpec(a: BrokerSpec, b: BrokerSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Checks the routes' brokers and maps each queue to its broker.
 * @throws Error naming the route: an unknown broker kind, a missing `binding`/`url`/`token_env`,
 * a route on another broker without a `queue`, or one queue put on two brokers.
 */
export function compileBrokers(routes: Record<string, Route>): BrokerMap {
  const map: BrokerMap = new Map();
  const by = new Map<string, string>();
  for (const [key, route] of Object.entries(routes)) {
    const spec = specOf(key, route);
    if (spec.kind === "durable-object" && !route.queue) continue;
    if (spec.kind !== "durable-object" && !route.queue) {
      throw new Error(`edgery: route '${key}' on broker '${spec.kind}' must name its queue ("queue"): a queue lives on one broker`);
    }
    const queue = route.queue ?? DEFAULT_QUEUE;
    const seen = map.get(queue) ?? (by.has(queue) ? DEFAULT_BROKER : undefined);
    if (seen && !sameSpec(seen, spec)) {
      throw new Error(`edgery: queue '${queue}' is put on broker '${seen.kind}' by route '${by.get(queue)}' and on broker '${spec.kind}' by route '${key}'`);
    }
    by.set(queue, key);
    if (spec.kind !== "durable-object") map.set(queue, spec);
  }
  return map;
}

/** The env var names and bindings a broker map needs, for the start-up check. */
export function brokerEnvProblem(map: BrokerMap, env: object): string | null {
  const e = env as Record<string, unknown>;
  const dev = e.EDGERY_DEV === "true";
  for (const [queue, spec] of map) {
    switch (spec.kind) {
      case "cloudflare-queue": {
        const b = e[spec.binding] as { sendBatch?: unknown } | undefined;
        if (!b || typeof b.sendBatch !== "function") {
          return `queue '${queue}' is on broker 'cloudflare-queue' with binding '${spec.binding}', but the Worker has no Queue producer binding '${spec.binding}' (add [[queues.producers]] binding = "${spec.binding}" to wrangler.toml)`;
        }
        break;
      }
      case "service": {
        const b = e[spec.binding] as { fetch?: unknown } | undefined;
        if (!b || typeof b.fetch !== "function") {
          return `queue '${queue}' is on broker 'service' with binding '${spec.binding}', but the Worker has no service binding '${spec.binding}' (add [[services]] binding = "${spec.binding}" to wrangler.toml)`;
        }
        // Local dev sends `dev-peer` when the secret is not set (src/runtime/tokens.ts).
        if (!dev && (typeof e[spec.tokenEnv] !== "string" || e[spec.tokenEnv] === "")) {
          return `queue '${queue}' is on broker 'service' with token_env '${spec.tokenEnv}', but the Worker has no such secret (wrangler secret put ${spec.tokenEnv}: the token the peer app gives this app)`;
        }
        break;
      }
      case "http":
        if (!dev && new URL(spec.url).protocol !== "https:") {
          return `queue '${queue}' is on broker 'http' with url '${spec.url}': plain http is allowed to loopback in local dev only; use https://`;
        }
        if (!dev && (typeof e[spec.tokenEnv] !== "string" || e[spec.tokenEnv] === "")) {
          return `queue '${queue}' is on broker 'http' (${spec.url}) with token_env '${spec.tokenEnv}', but the Worker has no such secret (wrangler secret put ${spec.tokenEnv})`;
        }
        break;
      case "durable-object":
        break;
    }
  }
  return null;
}
