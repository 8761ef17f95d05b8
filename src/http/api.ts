/**
 * The HTTP front door of an edgery Worker: one Hono app for every request. In order: CORS (off
 * unless origins are configured, cors.ts); the broker configuration check; auth before routing on
 * every `/v1` path but health, each route then naming the scope it needs (auth.ts); thin routes
 * (parse → call → answer); the internal broker endpoint mounted as a sub-app. One error mapper
 * (errors.ts) turns anything thrown into the contract's JSON; 404 and 405 are derived from the
 * routes registered here. The consumer's local-dev hand-off is RPC (src/index.ts EdgeryDelivery),
 * not a route.
 */
import { Hono } from "hono";
import { VERSION, WireError } from "../protocol/index.js";
import type { App } from "../app/app.js";
import { brokerProblem } from "../brokers/registry.js";
import { BROKER_PATH } from "../brokers/remote-broker.js";
import { authenticated } from "./auth.js";
import { brokerEndpoint } from "./broker-endpoint.js";
import { errorResponse } from "./errors.js";
import { cors } from "./cors.js";
import { allowedMethodsOf } from "./allowed-methods.js";
import { applyRoutes } from "./routes/apply.js";
import { queueRoutes } from "./routes/queues.js";
import { resultRoutes } from "./routes/results.js";
import { metricsRoutes } from "./routes/metrics.js";
import { eventsRoutes } from "./routes/events.js";
import { deadLetterRoutes } from "./routes/dead-letters.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { inspectRoutes } from "./routes/inspect.js";
import type { ApiEnv } from "./types.js";

/** Builds the front door for an app. */
export function createApi(app: App): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  api.onError((err) => errorResponse(err));
  api.use("*", cors);

  api.use("*", async (c, next) => {
    // A route whose broker binding or secret is missing: every request says so, by name.
    const problem = brokerProblem(app, c.env);
    if (problem) throw new WireError("not_configured", `edgery: ${problem}`);
    c.set("app", app);
    await next();
  });
  // Auth before routing: no token → 401 even for an unknown /v1 path. Each route then names
  // the scope it needs (src/http/auth.ts `need`).
  api.use("/v1/*", async (c, next) => (c.req.path === "/v1/health" ? next() : authenticated(c, next)));

  api.get("/v1/health", (c) => c.json({ ok: true, version: VERSION }));
  applyRoutes(api);
  resultRoutes(api);
  queueRoutes(api);
  metricsRoutes(api);
  eventsRoutes(api);
  deadLetterRoutes(api);
  scheduleRoutes(api);
  inspectRoutes(api);
  dashboardRoutes(api);
  api.route(BROKER_PATH, brokerEndpoint());

  const allowed = allowedMethodsOf(api);
  api.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods.length > 0) {
      const err = new WireError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${methods.join(" or ")}`);
      return errorResponse(err, { allow: methods.join(", ") });
    }
    return errorResponse(new WireError("not_found", `no route ${c.req.method} ${c.req.path}`));
  });
  return api;
}
