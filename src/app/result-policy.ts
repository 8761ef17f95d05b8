/**
 * Which backend keeps a task's result, and how: Celery's `backend` / `result_backend`,
 * `result_expires`, `result_persistent` and `result_extended`.
 *
 * The backend is the task's own `backend` default, else its route's `backend`, else the app-wide
 * default (`new App({ defaults: { backend } })`), else `kv`. `ignore_result` means `none`.
 * The other settings are task defaults merged over the app's (`app.defaultsOf`); how long a result
 * is kept (`result_expires`) is a per-message setting (task-settings.ts).
 */
import { DEFAULT_R2_THRESHOLD, type BackendKind } from "../protocol/index.js";
import type { App } from "./app.js";
import { findRoute } from "./routing.js";

/** How a task's result is kept. */
export interface ResultPolicy {
  backend: BackendKind;
  /** Written behind into D1 (backend `d1`, or `result_persistent`). */
  toD1: boolean;
  /** Kept in D1 until forgotten (`result_persistent`), not only for `result_expires`. */
  persistent: boolean;
  /** Store `args`/`kwargs` with the result (`result_extended`). */
  extended: boolean;
  /** Values with more JSON bytes than this go to R2 (0 for backend `r2`). */
  r2Threshold: number;
}

/** The policy when nothing is configured. */
export const DEFAULT_POLICY: ResultPolicy = {
  backend: "kv",
  toD1: false,
  persistent: false,
  extended: false,
  r2Threshold: DEFAULT_R2_THRESHOLD,
};

const cache = new WeakMap<App, { routes: unknown; byTask: Map<string, ResultPolicy> }>();

/** The result policy of a task (cached per app; the cache resets when routes change). */
export function resultPolicyOf(app: App, task: string): ResultPolicy {
  let c = cache.get(app);
  if (!c || c.routes !== app.routes) cache.set(app, (c = { routes: app.routes, byTask: new Map() }));
  let p = c.byTask.get(task);
  if (!p) c.byTask.set(task, (p = computePolicy(app, task)));
  return p;
}

function computePolicy(app: App, task: string): ResultPolicy {
  const own = app.get(task)?.defaults ?? {};
  const d = app.defaultsOf(task);
  let backend = (own.backend ?? findRoute(app.routes, task)?.backend ?? app.defaults.backend ?? "kv") as BackendKind;
  if (d.ignore_result) backend = "none";
  const persistent = d.result_persistent === true;
  return {
    backend,
    toD1: backend !== "none" && (backend === "d1" || persistent),
    persistent,
    extended: d.result_extended === true,
    r2Threshold: backend === "r2" ? 0 : (d.result_r2_threshold ?? DEFAULT_R2_THRESHOLD),
  };
}
