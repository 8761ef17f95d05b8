/**
 * Built-in tasks every app has: Celery's `celery.map`, `celery.starmap` (run one task over a
 * list, in one message) and `celery.accumulate` (gathers a nested group's results).
 */
import type { TaskNode } from "../protocol/index.js";
import type { App } from "./app.js";

/** Registers the built-ins on an app. */
export function registerBuiltins(app: App): void {
  const over = (star: boolean) => async (ctx: Parameters<Parameters<App["task"]>[1]>[0], _args: unknown[], kwargs: Record<string, unknown>) => {
    const sig = kwargs.task as TaskNode;
    const def = app.get(sig.name);
    if (!def) throw Object.assign(new Error(`'${sig.name}'`), { name: "NotRegistered" });
    const out: unknown[] = [];
    for (const item of kwargs.it as unknown[]) {
      const args = star ? (item as unknown[]) : [item];
      out.push(await def.fn({ ...ctx, task: sig.name }, args, {}));
    }
    return out;
  };
  app.task("celery.map", over(false));
  app.task("celery.starmap", over(true));
  app.task("celery.accumulate", (_ctx, args) => args[0] ?? []);
}
