/**
 * CORS, off by default: no `Access-Control-Allow-*` header for any origin, preflights included,
 * unless `EDGERY_CORS_ORIGINS` lists origins (comma- or space-separated, exact
 * `scheme://host[:port]`, or `*` for any). For a listed origin a preflight answers 204 before auth
 * (a browser sends it without the token), and every answer, errors included, names the origin.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./types.js";

/** What a browser may send cross-origin: the methods and headers of the API. */
const ALLOW_METHODS = "GET, POST, PUT, DELETE";
const ALLOW_HEADERS = "authorization, content-type";
/** Headers a cross-origin script may read (back-pressure and 405 answers carry them). */
const EXPOSE_HEADERS = "retry-after, allow";
/** How long a browser may keep a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/** The configured origins, by their raw setting. */
const parsed = new Map<string, ReadonlySet<string>>();

/** The origins `EDGERY_CORS_ORIGINS` lists (empty: CORS off). */
export function corsOrigins(raw: string | undefined): ReadonlySet<string> {
  if (!raw) return new Set();
  let set = parsed.get(raw);
  if (!set) {
    set = new Set(raw.split(/[\s,]+/).map((o) => o.replace(/\/+$/, "")).filter((o) => o !== ""));
    parsed.set(raw, set);
  }
  return set;
}

/** The CORS middleware: first in the chain, so that error answers carry it too. */
export const cors: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const origins = corsOrigins(c.env.EDGERY_CORS_ORIGINS);
  const origin = c.req.header("origin");
  if (origins.size === 0 || origin === undefined || !(origins.has("*") || origins.has(origin))) return next();
  const allowOrigin = origins.has("*") ? "*" : origin;
  if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
    return c.body(null, 204, {
      "access-control-allow-origin": allowOrigin,
      "access-control-allow-methods": ALLOW_METHODS,
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
      vary: "Origin",
    });
  }
  await next();
  // A response from a Durable Object (the event stream) has immutable headers: copy it.
  const res = new Response(c.res.body, c.res);
  res.headers.set("access-control-allow-origin", allowOrigin);
  res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
  res.headers.append("vary", "Origin");
  c.res = res;
};
