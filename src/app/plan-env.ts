/**
 * The planner's view of an app: its routes and task settings, and the clock.
 */
import type { PlanEnv } from "../canvas/plan.js";
import type { App } from "./app.js";
import { placementOf } from "./task-settings.js";

/** Placement by the app's routes and task settings, at time `now`. */
export function planEnvOf(app: App, now: number): PlanEnv {
  return { now, place: (task, call, options) => placementOf(app, task, call, options) };
}
