/**
 * The API: a Hono app with thin routes (parse → call → answer), auth before routing on every
 * `/v1` path but health, and one error mapper that turns anything into the contract's JSON.
 */
import { Hono } from "hono";
import { VERSION, WireError } from "../protocol/index.js";
import type { App } from "../app/app.js";
import { checkAuth } from "./auth.js";
import { applyRoutes } from "./routes/apply.js";
import { queueRoutes } from "./routes/queues.js";
import { resultRoutes } from "./routes/results.js";
import { metricsRoutes } from "./routes/metrics.js";
import { eventsRoutes } from "./routes/events.js";
import { deadLetterRoutes } from "./routes/dead-letters.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import type { ApiEnv } from "./types.js";

/** Path patterns of the contract with their methods, for 404 vs 405. */
const KNOWN: Array<[RegExp, string[]]> = [
  [/^\/v1\/health$/, ["GET"]],
  [/^\/v1\/tasks\/[^/]+$/, ["POST"]],
  [/^\/v1\/apply$/, ["POST"]],
  [/^\/v1\/apply\/bulk$/, ["POST"]],
  [/^\/v1\/results$/, ["GET"]],
  [/^\/v1\/results\/[^/]+$/, ["GET", "DELETE"]],
  [/^\/v1\/results\/[^/]+\/revoke$/, ["POST"]],
  [/^\/v1\/groups\/[^/]+$/, ["GET"]],
  [/^\/v1\/queues$/, ["GET"]],
  [/^\/v1\/queues\/[^/]+$/, ["GET", "PUT"]],
  [/^\/v1\/queues\/[^/]+\/messages$/, ["DELETE"]],
  [/^\/v1\/metrics$/, ["GET"]],
  [/^\/v1\/events$/, ["GET"]],
  [/^\/v1\/dead-letters$/, ["GET"]],
  [/^\/v1\/dead-letters\/[^/]+\/replay$/, ["POST"]],
  [/^\/v1\/schedules$/, ["GET"]],
  [/^\/dashboard$/, ["GET"]],
];

/** Builds the API for an app. */
export function createApi(app: App): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();

  api.onError((err, c) => {
    if (err instanceof WireError) {
      if (err.code === "overloaded" || err.code === "not_configured") c.header("Retry-After", "1");
      return c.json(err.toJSON(), err.status as 400);
    }
    console.error("edgery: unexpected error", err);
    return c.json({ error: { code: "overloaded", message: "the request could not be carried out now; try again" } }, 503, { "Retry-After": "1" });
  });

  api.use("*", async (c, next) => {
    c.set("app", app);
    const path = c.req.path;
    if (path.startsWith("/v1/") && path !== "/v1/health") checkAuth(c.env, c.req.header("authorization"));
    const known = KNOWN.find(([re]) => re.test(path));
    if (known && !known[1].includes(c.req.method) && !(c.req.method === "HEAD" && known[1].includes("GET"))) {
      throw new WireError("method_not_allowed", `${c.req.method} is not allowed on ${path}; use ${known[1].join(" or ")}`);
    }
    await next();
  });

  api.get("/v1/health", (c) => c.json({ ok: true, version: VERSION }));
  applyRoutes(api);
  resultRoutes(api);
  queueRoutes(api);
  metricsRoutes(api);
  eventsRoutes(api);
  deadLetterRoutes(api);
  scheduleRoutes(api);
  dashboardRoutes(api);

  api.notFound((c) => c.json(new WireError("not_found", `no route ${c.req.method} ${c.req.path}`).toJSON(), 404));
  return api;
}
