/**
 * Built-in tasks every app has: Celery's `celery.map`, `celery.starmap` (run one task over a
 * list, in one message) and `celery.accumulate` (gathers a nested group's results).
 */
import type { TaskNode } from "../protocol/index.js";
import type { TaskContext } from "./task-context.js";
import type { TaskDefinition, TaskFn } from "./task-definition.js";

/** The built-in tasks; `lookup` finds the task a map or starmap runs. */
export function builtinTasks(lookup: (name: string) => TaskDefinition | undefined): Array<{ name: string; fn: TaskFn }> {
  const over = (star: boolean): TaskFn => async (ctx: TaskContext, _args, kwargs) => {
    const sig = kwargs.task as TaskNode;
    const def = lookup(sig.name);
    if (!def) throw Object.assign(new Error(`'${sig.name}'`), { name: "NotRegistered" });
    const out: unknown[] = [];
    for (const item of kwargs.it as unknown[]) {
      const args = star ? (item as unknown[]) : [item];
      out.push(await def.fn({ ...ctx, task: sig.name }, args, {}));
    }
    return out;
  };
  return [
    { name: "celery.map", fn: over(false) },
    { name: "celery.starmap", fn: over(true) },
    { name: "celery.accumulate", fn: (_ctx, args) => args[0] ?? [] },
  ];
}
