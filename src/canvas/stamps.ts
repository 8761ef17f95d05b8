/**
 * Stamping: a signature's stamps, read from Celery's two wire forms.
 *
 * `options.stamped_headers: ["k"]` with `options.k = v` (Celery 5.3), and `options.stamps`
 * (`{k: v}`, the only way to stamp a name that is also an option, e.g. `priority`).
 */
import type { TaskOptions } from "../protocol/index.js";

/** The stamps a node's own options carry. */
export function ownStamps(options: TaskOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of options.stamped_headers ?? []) if (name in options) out[name] = options[name];
  return { ...out, ...(options.stamps ?? {}) };
}

/**
 * Stamps as they reach a node: those of the canvas around it, then its own. A stamp applied to
 * the whole canvas reaches every leaf; the leaf keeps its own stamps of other names.
 */
export function mergeStamps(outer: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  return { ...own, ...outer };
}
