/**
 * 405 answers derived from the router: for a path no route of the request's method serves, the
 * methods whose routes do match it (Hono's own path matching, over the routes the app registered).
 */
import type { Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";

/** Matches a path against the registered routes (middleware left out), per method. */
export type AllowedMethods = (path: string) => string[];

/**
 * Builds the matcher once, from the routes registered so far: call it after the last route.
 * `HEAD` is allowed wherever `GET` is (Hono answers it from the GET route).
 */
export function allowedMethodsOf(api: Hono<any>): AllowedMethods {
  const router = new TrieRouter<string>();
  const methods = new Set<string>();
  for (const r of api.routes) {
    if (r.method === "ALL") continue;
    router.add(r.method, r.path, r.method);
    methods.add(r.method);
  }
  return (path) => {
    const allowed = [...methods].filter((m) => router.match(m, path)[0].length > 0);
    return allowed.includes("GET") ? [...allowed, "HEAD"] : allowed;
  };
}
