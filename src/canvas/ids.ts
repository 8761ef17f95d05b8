/**
 * Ids for every node of a canvas, assigned once when it is applied, so that the handle can be
 * answered at once and the steps planned later (a chain's next step, a chord's body) keep them.
 */
import type { Canvas, ChainNode, TaskOptions } from "../protocol/index.js";
export { suffixIds } from "../protocol/index.js";
import { uuid7 } from "./uuid7.js";
import { chainSteps, flattensInto } from "./flatten.js";

/** A fresh task id: a UUID, as Celery's, but time-ordered (version 7; see uuid7.ts for why). */
export function newId(): string {
  return uuid7();
}

function withId<T extends { options: TaskOptions }>(node: T, key: "task_id" | "chord_id"): T {
  return node.options[key] ? node : { ...node, options: { ...node.options, [key]: newId() } };
}

function callbacks(options: TaskOptions): TaskOptions {
  const out = { ...options };
  if (options.link) out.link = options.link.map(assign);
  if (options.link_error) out.link_error = options.link_error.map(assign);
  return out;
}

/** A copy of `node` in which every task, group, chord and chunks node has its id. */
export function assignIds(node: Canvas): Canvas {
  return assign(givenIdsPlaced(node));
}

function assign(node: Canvas): Canvas {
  const n = { ...node, options: callbacks(node.options) } as Canvas;
  switch (n.kind) {
    case "task":
    case "map":
    case "starmap":
    case "chunks":
      return withId(n, "task_id");
    case "chain":
      return { ...n, tasks: n.tasks.map(assign) };
    case "group":
      return withId({ ...n, tasks: n.tasks.map(assign) }, "task_id");
    case "chord":
      return withId({ ...n, header: n.header.map(assign), body: assign(n.body) }, "chord_id");
  }
}

/**
 * `node` with the `task_id` of each chain and chord in it given to the task whose result stands
 * for it: a chain's last step, a chord's body (as Celery's `chain(...).apply_async(task_id=X)`
 * and `chord(...).apply_async(task_id=X)`: "task id is set for the last task in the chain"), unless
 * that task has an id of its own (Celery's `freeze(_id)` keeps it). The same node when there is
 * nothing to give. Pure.
 */
export function givenIdsPlaced(node: Canvas): Canvas {
  let n = node;
  const o = node.options;
  const link = o.link && mapSame(o.link, givenIdsPlaced);
  const linkError = o.link_error && mapSame(o.link_error, givenIdsPlaced);
  if (link !== o.link || linkError !== o.link_error) n = { ...n, options: { ...o, link, link_error: linkError } } as Canvas;
  switch (n.kind) {
    case "chain": {
      const tasks = mapSame(n.tasks, givenIdsPlaced);
      const placed = tasks === n.tasks ? n : { ...n, tasks };
      return typeof n.options.task_id === "string" ? idGiven(placed, n.options.task_id) : placed;
    }
    case "group": {
      const tasks = mapSame(n.tasks, givenIdsPlaced);
      return tasks === n.tasks ? n : { ...n, tasks };
    }
    case "chord": {
      const header = mapSame(n.header, givenIdsPlaced);
      let body = givenIdsPlaced(n.body);
      if (typeof n.options.task_id === "string") body = idGiven(body, n.options.task_id);
      return header === n.header && body === n.body ? n : { ...n, header, body };
    }
    default:
      return n;
  }
}

/** `node` with `id` on the task whose result stands for it, unless it has one (see givenIdsPlaced). */
function idGiven(node: Canvas, id: string): Canvas {
  switch (node.kind) {
    case "chain": {
      // The last step that is one: an empty chain flattened into the chain is none.
      let i = node.tasks.length - 1;
      while (i >= 0 && flattensInto(node.tasks[i]!) && chainSteps(node.tasks[i] as ChainNode).length === 0) i -= 1;
      if (i < 0) return node;
      const tasks = [...node.tasks];
      tasks[i] = idGiven(tasks[i]!, id);
      return { ...node, tasks };
    }
    case "chord":
      return { ...node, body: idGiven(node.body, id) };
    default:
      return node.options.task_id !== undefined ? node : ({ ...node, options: { ...node.options, task_id: id } } as Canvas);
  }
}

/** `list` mapped by `f`, or `list` itself when `f` returned every item unchanged. */
function mapSame<T>(list: T[], f: (x: T) => T): T[] {
  let out: T[] | null = null;
  list.forEach((x, i) => {
    const y = f(x);
    if (y !== x) (out ??= list.slice())[i] = y;
  });
  return out ?? list;
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
