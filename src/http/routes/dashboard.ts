/**
 * `GET /dashboard`: the web dashboard. No auth on the page itself: it asks for the token and
 * sends it with every API call it makes.
 */
import type { Hono } from "hono";
import { DASHBOARD_HTML } from "../../dashboard/page.js";
import type { ApiEnv } from "../types.js";

/** Registers the dashboard route. */
export function dashboardRoutes(api: Hono<ApiEnv>): void {
  api.get("/dashboard", (c) =>
    c.html(DASHBOARD_HTML, 200, {
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    }),
  );
}
