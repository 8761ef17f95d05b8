/**
 * The tasks an app serves, as `GET /v1/inspect/registered` lists them (Celery's
 * `inspect registered`): Celery's built-ins left out as Celery leaves them out, the optional
 * (demo) tasks only while they are on. Pure.
 */
import type { RegisteredTask } from "../protocol/index.js";
import type { App } from "./app.js";
import { builtinTasks } from "./builtins.js";
import { queueOf } from "./task-settings.js";

const BUILTINS = new Set(builtinTasks(() => undefined).map((b) => b.name));

/** The served tasks by name, each with its merged defaults and the queue a plain call goes to. */
export function registeredTasks(app: App): RegisteredTask[] {
  return app
    .names()
    .filter((name) => !BUILTINS.has(name) && app.get(name) !== undefined)
    .sort()
    .map((name) => ({ name, defaults: { ...app.defaultsOf(name), queue: queueOf(app, name) } }));
}
