/**
 * The handle a canvas answers with, computed from its ids before anything runs.
 */
import type { Canvas, Handle } from "../protocol/index.js";
import { chunkId, idOf } from "./ids.js";
import { chainSteps, splitChunks } from "./flatten.js";

/** `h` with `parent` attached at the far end of its parent links. */
function attachParent(h: Handle, parent: Handle | undefined): Handle {
  if (!parent) return h;
  return { ...h, parent: h.parent ? attachParent(h.parent, parent) : parent };
}

/** The handle of a canvas whose ids are assigned: as Celery's AsyncResult / GroupResult. */
export function handleOf(node: Canvas): Handle {
  switch (node.kind) {
    case "task":
    case "map":
    case "starmap":
      return { id: idOf(node), kind: "task" };
    case "group":
      return { id: idOf(node), kind: "group", results: node.tasks.map(handleOf) };
    case "chunks": {
      const gid = idOf(node);
      const results = splitChunks(node.it, node.n).map((_, i): Handle => ({ id: chunkId(gid, i), kind: "task" }));
      return { id: gid, kind: "group", results };
    }
    case "chord":
      return attachParent(handleOf(node.body), { id: idOf(node, "chord_id"), kind: "group", results: node.header.map(handleOf) });
    case "chain": {
      let prev: Handle | undefined;
      for (const step of chainSteps(node)) prev = attachParent(handleOf(step), prev);
      if (!prev) throw new Error("empty chain has no handle");
      return prev;
    }
  }
}

/** The ids whose results stand for a node's result: a chain's last step, a chord's body. */
export function resultIdOf(node: Canvas): string {
  const h = handleOf(node);
  return h.id;
}

/** Every task id that a canvas will create (leaves, chord bodies, chunk tasks), in order. */
export function leafIds(node: Canvas): string[] {
  return leafTasks(node).map((t) => t.id);
}

/** Every task a canvas will create, as {@link leafIds}, with the name it runs under. */
export function leafTasks(node: Canvas): Array<{ id: string; task: string }> {
  switch (node.kind) {
    case "task":
      return [{ id: idOf(node), task: node.name }];
    case "map":
    case "starmap":
      return [{ id: idOf(node), task: `celery.${node.kind}` }];
    case "chunks":
      return splitChunks(node.it, node.n).map((_, i) => ({ id: chunkId(idOf(node), i), task: "celery.starmap" }));
    case "group":
      return node.tasks.flatMap(leafTasks);
    case "chord":
      return [...node.header.flatMap(leafTasks), ...leafTasks(node.body)];
    case "chain":
      return chainSteps(node).flatMap(leafTasks);
  }
}

/** Group records (`GET /v1/groups/:id`): each group's id with its members' result ids. */
export function groupsOf(node: Canvas): Array<{ id: string; members: string[] }> {
  const own = (() => {
    switch (node.kind) {
      case "group":
        return [{ id: idOf(node), members: node.tasks.map(resultIdOf) }];
      case "chord":
        // A member reads as its handle names it: a nested group (or chunks, or a chain or chord
        // ending in one) as that group (it has a record of its own), never through the gatherer
        // the planner gives it.
        return [{ id: idOf(node, "chord_id"), members: node.header.map(resultIdOf) }];
      case "chunks":
        return [{ id: idOf(node), members: splitChunks(node.it, node.n).map((_, i) => chunkId(idOf(node), i)) }];
      default:
        return [];
    }
  })();
  const children: Canvas[] =
    node.kind === "group" ? node.tasks : node.kind === "chord" ? [...node.header, node.body] : node.kind === "chain" ? node.tasks : [];
  const callbacks = [...(node.options.link ?? []), ...(node.options.link_error ?? [])];
  return [...own, ...children.flatMap(groupsOf), ...callbacks.flatMap(groupsOf)];
}

/** The ids of the tasks that start first when a node is applied (Celery's `children` of its parent). */
export function startIds(node: Canvas): string[] {
  switch (node.kind) {
    case "task":
    case "map":
    case "starmap":
      return [idOf(node)];
    case "chunks":
      return splitChunks(node.it, node.n).map((_, i) => chunkId(idOf(node), i));
    case "group":
      return node.tasks.flatMap(startIds);
    case "chord":
      return node.header.length > 0 ? node.header.flatMap(startIds) : startIds(node.body);
    case "chain": {
      const [first] = chainSteps(node);
      return first ? startIds(first) : [];
    }
  }
}
