/**
 * Celery's `task_routes`: exact task names first, then glob patterns, then the default queue.
 */
import { DEFAULT_QUEUE } from "../protocol/index.js";

/** Where a route sends a task, and with what defaults. */
export interface Route {
  queue?: string;
  priority?: number;
  routing_key?: string;
  /** Celery's `rate_limit` for the tasks of this route ("10/s", "100/m", "1000/h"). */
  rate_limit?: string | number;
  /** A stamp or kwarg name: a separate rate limit per value. */
  rate_limit_key?: string;
  /**
   * Where the route's queue lives (Celery's per-route `broker`): `"durable-object"` (default),
   * `"cloudflare-queue"`, `"service"` or `"http"`. A route on any other broker must name its
   * `queue`, and every route naming that queue must agree on the broker. See docs/brokers.md.
   */
  broker?: string;
  /** The binding a `cloudflare-queue` (Queue producer) or `service` (service binding) broker uses. */
  binding?: string;
  /** Base URL of the other edgery app an `http` broker posts to. */
  url?: string;
  /**
   * Name of the secret holding the token the other app gave this one (scope `peer` there), for
   * `service` and `http` brokers (required); in local dev `dev-peer` when it is not set.
   */
  token_env?: string;
  /** Result backend of the tasks this route matches (a task's own `backend` wins). See docs/result-backends.md. */
  backend?: string;
}

/** A compiled route table. */
export interface RouteTable {
  exact: Map<string, Route>;
  patterns: Array<{ pattern: string; regex: RegExp; route: Route }>;
}

/** Compiles `{ "reports.*": { queue: "reports" }, "demo.mul": { queue: "math" } }`. */
export function compileRoutes(routes: Record<string, Route>): RouteTable {
  const table: RouteTable = { exact: new Map(), patterns: [] };
  for (const [key, route] of Object.entries(routes)) {
    if (/[*?]/.test(key)) table.patterns.push({ pattern: key, regex: globToRegExp(key), route });
    else table.exact.set(key, route);
  }
  return table;
}

/** `reports.*` → /^reports\..*$/ (`*` any run, `?` one character), as Celery's glob routes. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** The route for a task name, or undefined when none matches. */
export function findRoute(table: RouteTable, task: string): Route | undefined {
  const exact = table.exact.get(task);
  if (exact) return exact;
  for (const p of table.patterns) if (p.regex.test(task)) return p.route;
  return undefined;
}

/** What routing decides for a task: where it goes, its route's routing key and rate limit. */
export interface Routed {
  queue: string;
  priority: number;
  routing_key?: string;
  rate_limit?: string | number;
  rate_limit_key?: string;
}

/**
 * The queue and priority a task goes to: explicit options win, then its route, then defaults;
 * the route's `routing_key` (a call-time one wins over it, see task-settings.ts).
 */
export function resolveRoute(
  table: RouteTable,
  task: string,
  options: { queue?: string; priority?: number },
  taskDefaults: { queue?: string; priority?: number; rate_limit?: string | number; rate_limit_key?: string } = {},
): Routed {
  const route = findRoute(table, task);
  const out: Routed = {
    queue: options.queue ?? route?.queue ?? taskDefaults.queue ?? DEFAULT_QUEUE,
    priority: options.priority ?? route?.priority ?? taskDefaults.priority ?? 0,
  };
  if (route?.routing_key !== undefined) out.routing_key = route.routing_key;
  const rate = taskDefaults.rate_limit ?? route?.rate_limit;
  if (rate !== undefined) out.rate_limit = rate;
  const rateKey = taskDefaults.rate_limit_key ?? route?.rate_limit_key;
  if (rateKey !== undefined) out.rate_limit_key = rateKey;
  return out;
}
