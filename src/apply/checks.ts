/**
 * The checks of a canvas before anything is planned or sent: task names, chains with a task,
 * the number of runs, one id per task, delays a broker can carry; and the lookup of a node by
 * task id that points an error at its path. Pure.
 */
import { MAX_CANVAS_TASKS, WireError, type Canvas, type TaskOptions } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import { plannedRuns } from "../canvas/runs.js";
import { chainSteps, flattensInto } from "../canvas/flatten.js";
import { givenIdsPlaced } from "../canvas/ids.js";
import type { App } from "../app/app.js";
import { QUEUE_MAX_DELAY_S } from "../app/broker-config.js";
import { joinPath as join, withCallOptions, type ApplyItem } from "./apply-item.js";

/** Throws `unknown_task` for the first task name no registered task or route serves. */
export function checkTasks(app: App, node: Canvas, path: string): void {
  const visitCallbacks = (o: TaskOptions, p: string) => {
    o.link?.forEach((c, i) => checkTasks(app, c, join(join(p, "options.link"), i)));
    o.link_error?.forEach((c, i) => checkTasks(app, c, join(join(p, "options.link_error"), i)));
  };
  visitCallbacks(node.options, path);
  switch (node.kind) {
    case "task":
      if (!app.serves(node.name)) throw new WireError("unknown_task", `no registered task or route serves '${node.name}'`, join(path, "task"));
      return;
    case "map":
    case "starmap":
    case "chunks":
      checkTasks(app, node.task, join(path, "kwargs.task"));
      return;
    case "chain":
    case "group":
      node.tasks.forEach((t, i) => checkTasks(app, t, join(path, `kwargs.tasks.${i}`)));
      return;
    case "chord":
      node.header.forEach((t, i) => checkTasks(app, t, join(path, `${node.headerPath ?? "kwargs.header"}.${i}`)));
      checkTasks(app, node.body, join(path, "kwargs.body"));
      return;
  }
}

/**
 * Throws `invalid_signature` for a chain with no task where its result is needed (the canvas
 * itself, a group member, a chord's header member or body, a step of a chain): it has nothing to
 * answer with. A chain of chains counts its steps as the planner flattens them.
 */
export function checkChains(node: Canvas, path: string): void {
  switch (node.kind) {
    case "chain":
      if (chainSteps(node).length === 0) throw new WireError("invalid_signature", `${join(path, "kwargs.tasks")}: a chain needs at least one task`, join(path, "kwargs.tasks"));
      node.tasks.forEach((t, i) => checkStep(t, join(path, `kwargs.tasks.${i}`)));
      return;
    case "group":
      node.tasks.forEach((t, i) => checkChains(t, join(path, `kwargs.tasks.${i}`)));
      return;
    case "chord":
      node.header.forEach((t, i) => checkChains(t, join(path, `${node.headerPath ?? "kwargs.header"}.${i}`)));
      checkChains(node.body, join(path, "kwargs.body"));
      return;
    default:
      return;
  }
}

/** checkChains for a step of a chain: a chain the planner flattens into it may be empty. */
function checkStep(node: Canvas, path: string): void {
  if (flattensInto(node)) node.tasks.forEach((t, i) => checkStep(t, join(path, `kwargs.tasks.${i}`)));
  else checkChains(node, path);
}

/**
 * Throws `invalid_signature` when the request plans more than MAX_CANVAS_TASKS runs, every
 * callback copy counted (the parser counts each node once; a `link` on a group runs per member).
 */
export function checkRuns(items: ApplyItem[]): void {
  let runs = 0;
  for (const item of items) {
    runs += plannedRuns(withCallOptions(item.canvas, item.options));
    if (runs > MAX_CANVAS_TASKS) {
      throw new WireError("invalid_signature", `the request plans ${runs > 1e12 ? "over a trillion" : runs} task runs, callback copies included; at most ${MAX_CANVAS_TASKS}`, item.path || undefined);
    }
  }
}

/**
 * One id per task across a request: a queue holds one message per id (a repeated send of a held
 * id is taken as the same task sent again), so a second task of the same request with that id
 * would be dropped, or merged into the first when a later step or callback is enqueued, and a
 * chord or chain waiting for it would never go on. Checked over the tasks enqueued now and over
 * every task given an id of its own (`options.task_id`) anywhere in the canvas: chain steps,
 * chord bodies, callbacks. Errbacks may share one (only a failure runs one, and Celery gives every
 * step of a chain the same errback). A repeat is refused with the paths of both.
 */
export class UniqueIds {
  private readonly seen = new Map<string, { canvas: Canvas; path: string }>();
  /** The ids given in the canvases so far (not errbacks), with the path of their node. */
  private readonly given = new Map<string, string>();

  /** @throws WireError `invalid_signature` at the second task's `options.task_id`. */
  add(messages: TaskMessage[], canvas: Canvas, path: string): void {
    for (const m of messages) {
      const first = this.seen.get(m.id);
      if (!first) {
        this.seen.set(m.id, { canvas, path });
        continue;
      }
      // The paths are looked up only now: findNode walks the canvas.
      const firstAt = findNode(first.canvas, m.id, first.path)?.path;
      throw repeated(m.id, [...nodesWithId(canvas, m.id, path)].at(-1)?.path ?? path, firstAt);
    }
    for (const { node, path: at } of canvasNodes(canvas, path, false)) {
      const id = node.options.task_id;
      // A group's id names the group; a chain's and a chord's went to a task (givenIdsPlaced).
      if (id === undefined || node.kind === "group" || node.kind === "chain" || node.kind === "chord") continue;
      const firstAt = this.given.get(id);
      if (firstAt !== undefined) throw repeated(id, at, firstAt);
      this.given.set(id, at);
    }
  }
}

/**
 * The ids a canvas gives its tasks itself (`options.task_id` of a task, map or starmap node, errbacks included,
 * and of a chain or chord, given to its last step or body): what may collide with a task a queue
 * still holds. A group's id names no task.
 */
export function givenTaskIds(canvas: Canvas): Set<string> {
  const out = new Set<string>();
  for (const { node } of canvasNodes(givenIdsPlaced(canvas), "", true)) if (runsAsOneTask(node) && node.options.task_id !== undefined) out.add(node.options.task_id);
  return out;
}

/** Whether a node is enqueued as one message under its own `task_id`: a task, a map, a starmap (a chunks node is a group of them). */
function runsAsOneTask(node: Canvas): boolean {
  return node.kind === "task" || node.kind === "map" || node.kind === "starmap";
}

/** The error for a task id a request gives twice: at the second node's `options.task_id`. */
function repeated(id: string, nodePath: string, firstAt: string | undefined): WireError {
  const at = join(nodePath, "options.task_id");
  return new WireError("invalid_signature", `${at}: task id '${id}' is already the id of another task of this request (${firstAt || "the signature"}); each task needs its own id`, at);
}

/**
 * A message for a queue on a `cloudflare-queue` broker may be delayed at most 12 h (a Queue
 * message's `delaySeconds`): a longer countdown/eta is refused, with the path of the option.
 */
export function checkDelays(app: App, canvas: Canvas, messages: TaskMessage[], path: string, now: number): void {
  for (const m of messages) {
    if (m.eta === null || m.eta - now <= QUEUE_MAX_DELAY_S * 1000) continue;
    if (app.brokers.get(m.queue)?.kind !== "cloudflare-queue") continue;
    const found = findNode(canvas, m.id, path);
    const option = found && found.node.options.countdown === undefined && found.node.options.eta !== undefined ? "eta" : "countdown";
    throw new WireError(
      "invalid_signature",
      `${option}: task '${m.task}' goes to queue '${m.queue}' on the cloudflare-queue broker, which delays a message at most ${QUEUE_MAX_DELAY_S / 3600} h`,
      join(join(found?.path ?? path, "options"), option),
    );
  }
}

/** The first node of a canvas that has task id `id` (not a group or chain), with its path; null if none. */
export function findNode(node: Canvas, id: string, path: string): { node: Canvas; path: string } | null {
  for (const hit of nodesWithId(node, id, path)) return hit;
  return null;
}

/** Every node of a canvas (callbacks included) that has task id `id`, not a group or chain, with its path, in canvas order. */
export function* nodesWithId(node: Canvas, id: string, path: string): Generator<{ node: Canvas; path: string }> {
  for (const hit of canvasNodes(node, path, true)) if (hit.node.options.task_id === id && hit.node.kind !== "group" && hit.node.kind !== "chain") yield hit;
}

/**
 * Every node of a canvas with its path, in canvas order (a node, then its callbacks, then its
 * members); the errbacks (`link_error`) and what they hold only when `errbacks`.
 */
function* canvasNodes(node: Canvas, path: string, errbacks: boolean): Generator<{ node: Canvas; path: string }> {
  yield { node, path };
  const kids: Array<[Canvas, string]> = [];
  node.options.link?.forEach((c, i) => kids.push([c, join(join(path, "options.link"), i)]));
  if (errbacks) node.options.link_error?.forEach((c, i) => kids.push([c, join(join(path, "options.link_error"), i)]));
  switch (node.kind) {
    case "chain":
    case "group":
      node.tasks.forEach((t, i) => kids.push([t, join(path, `kwargs.tasks.${i}`)]));
      break;
    case "chord":
      node.header.forEach((t, i) => kids.push([t, join(path, `${node.headerPath ?? "kwargs.header"}.${i}`)]));
      kids.push([node.body, join(path, "kwargs.body")]);
      break;
    case "map":
    case "starmap":
    case "chunks":
      kids.push([node.task, join(path, "kwargs.task")]);
      break;
    case "task":
      break;
  }
  for (const [kid, p] of kids) yield* canvasNodes(kid, p, errbacks);
}
