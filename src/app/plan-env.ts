/**
 * The planner's view of an app: its routes and the clock.
 */
import type { PlanEnv } from "../canvas/plan.js";
import { resolveRoute } from "./routing.js";
import type { App } from "./app.js";

/** Routing by the app's routes and task defaults, at time `now`. */
export function planEnvOf(app: App, now: number): PlanEnv {
  return { now, route: (task, options) => resolveRoute(app.routes, task, options, app.defaultsOf(task)) };
}
