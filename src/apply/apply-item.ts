/**
 * What an apply takes: one canvas with its call-time values, and the rules that read them (the
 * call options merged over the signature's, the idempotency key, the paths errors point at).
 */
import type { Canvas, TaskOptions } from "../protocol/index.js";

/** One canvas to apply, with call-time values and the path of its body (for errors). */
export interface ApplyItem {
  canvas: Canvas;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: TaskOptions;
  /** Dotted path of the signature in the request body ("" for a bare one). */
  path: string;
  /**
   * The running task that applies it (`ctx.send`, `ctx.apply`): as in Celery, the new tasks'
   * `parent_id` is that task and their `root_id` its root.
   */
  sender?: { id: string; rootId: string };
}

/** `path` and `key` joined as a dotted path into the request body. */
export function joinPath(path: string, key: string | number): string {
  return path ? `${path}.${key}` : String(key);
}

/** Call-time options merged over the signature's; stamps are not call options (immutable). */
export function withCallOptions(canvas: Canvas, options: TaskOptions | undefined): Canvas {
  if (!options) return canvas;
  const { stamps: _s, stamped_headers: _h, ...rest } = options;
  return { ...canvas, options: { ...canvas.options, ...rest } } as Canvas;
}

/** The idempotency key of an item: its call options' or its signature's. */
export function idempotencyKeyOf(item: ApplyItem): string | undefined {
  const key = item.options?.idempotency_key ?? item.canvas.options.idempotency_key;
  return typeof key === "string" ? key : undefined;
}
