/**
 * Canvas shape helpers: chain flattening and the chunks split, as Celery does them.
 */
import type { Canvas, ChainNode } from "../protocol/index.js";

/** The steps of a chain with nested chains (without options of their own) spliced in. */
export function chainSteps(node: ChainNode): Canvas[] {
  return node.tasks.flatMap((t) => (flattensInto(t) ? chainSteps(t) : [t]));
}

/** Whether a step of a chain is a chain whose own steps take its place (no link, no partial args). */
export function flattensInto(step: Canvas): step is ChainNode {
  return step.kind === "chain" && !step.options.link && !step.options.link_error && step.args.length === 0;
}

/** `it` cut into consecutive pieces of `n` items. */
export function splitChunks<T>(it: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < it.length; i += n) out.push(it.slice(i, i + n));
  return out;
}
