/**
 * Ids for every node of a canvas, assigned once when it is applied, so that the handle can be
 * answered at once and the steps planned later (a chain's next step, a chord's body) keep them.
 */
import type { Canvas, TaskOptions } from "../protocol/index.js";
import { uuid7 } from "./uuid7.js";

/** A fresh task id: a UUID, as Celery's, but time-ordered (version 7; see uuid7.ts for why). */
export function newId(): string {
  return uuid7();
}

function withId<T extends { options: TaskOptions }>(node: T, key: "task_id" | "chord_id"): T {
  return node.options[key] ? node : { ...node, options: { ...node.options, [key]: newId() } };
}

function callbacks(options: TaskOptions): TaskOptions {
  const out = { ...options };
  if (options.link) out.link = options.link.map(assignIds);
  if (options.link_error) out.link_error = options.link_error.map(assignIds);
  return out;
}

/** A copy of `node` in which every task, group, chord and chunks node has its id. */
export function assignIds(node: Canvas): Canvas {
  const n = { ...node, options: callbacks(node.options) } as Canvas;
  switch (n.kind) {
    case "task":
    case "map":
    case "starmap":
    case "chunks":
      return withId(n, "task_id");
    case "chain":
      return { ...n, tasks: n.tasks.map(assignIds) };
    case "group":
      return withId({ ...n, tasks: n.tasks.map(assignIds) }, "task_id");
    case "chord":
      return withId({ ...n, header: n.header.map(assignIds), body: assignIds(n.body) }, "chord_id");
  }
}

/** The id of a node that has been through {@link assignIds}. */
export function idOf(node: { options: TaskOptions }, key: "task_id" | "chord_id" = "task_id"): string {
  const id = node.options[key];
  if (typeof id !== "string") throw new Error(`canvas node has no ${key}: assignIds first`);
  return id;
}

/** The id of the i-th chunk task of a chunks node. */
export function chunkId(groupId: string, index: number): string {
  return `${groupId}-${index}`;
}

/** The id of the internal body that gathers a nested group's results into one list. */
export function accumulateId(groupId: string): string {
  return `${groupId}-all`;
}

/** A copy of an id-assigned canvas whose every id ends in `suffix` (one copy per group member). */
export function suffixIds(node: Canvas, suffix: string): Canvas {
  const options: TaskOptions = { ...node.options };
  for (const key of ["task_id", "chord_id"] as const) if (typeof options[key] === "string") options[key] = `${options[key]}${suffix}`;
  if (options.link) options.link = options.link.map((c) => suffixIds(c, suffix));
  if (options.link_error) options.link_error = options.link_error.map((c) => suffixIds(c, suffix));
  const n = { ...node, options } as Canvas;
  switch (n.kind) {
    case "chain":
    case "group":
      return { ...n, tasks: n.tasks.map((t) => suffixIds(t, suffix)) };
    case "chord":
      return { ...n, header: n.header.map((t) => suffixIds(t, suffix)), body: suffixIds(n.body, suffix) };
    default:
      return n;
  }
}
