/**
 * How many task runs a canvas can plan, callback copies included: a group's `link` is copied to
 * each member, a chain's `link_error` to each step, so a small request can multiply (a group of
 * 120 linked to a group of 120 plans 14,520 runs). The canvas limit counts these. Pure.
 */
import type { Canvas, TaskOptions } from "../protocol/index.js";

/** How many runs end `node` (where a `link` on it is copied to). */
function ends(node: Canvas): number {
  switch (node.kind) {
    case "task":
    case "map":
    case "starmap":
      return 1;
    case "chunks":
      return Math.ceil(node.it.length / node.n);
    case "chain":
      return node.tasks.length > 0 ? ends(node.tasks[node.tasks.length - 1]!) : 0;
    case "group":
      return node.tasks.reduce((n, t) => n + ends(t), 0);
    case "chord":
      return ends(node.body);
  }
}

/** The runs of one copy of a node's callbacks (errbacks count too: they are planned). */
function callbackRuns(o: TaskOptions): number {
  let n = 0;
  for (const c of o.link ?? []) n += plannedRuns(c);
  for (const c of o.link_error ?? []) n += plannedRuns(c);
  return n;
}

/** Every run `node` can plan, each copy of a callback counted. */
export function plannedRuns(node: Canvas): number {
  const own = callbackRuns(node.options);
  switch (node.kind) {
    case "task":
    case "map":
    case "starmap":
      return 1 + own;
    case "chunks":
      return ends(node) * (1 + callbackRuns(node.task.options) + own);
    case "chain": {
      const errbacks = (node.options.link_error ?? []).reduce((n, c) => n + plannedRuns(c), 0);
      const links = own - errbacks;
      const last = node.tasks.at(-1);
      return node.tasks.reduce((n, t) => n + plannedRuns(t) + ends(t) * errbacks, 0) + (last ? ends(last) * links : 0);
    }
    case "group":
      return node.tasks.reduce((n, t) => n + plannedRuns(t) + ends(t) * own, 0);
    case "chord":
      return node.header.reduce((n, t) => n + plannedRuns(t), 0) + plannedRuns(node.body) + ends(node.body) * own;
  }
}
