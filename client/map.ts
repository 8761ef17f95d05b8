/**
 * Celery's `map`, `starmap` and `chunks`: one task signature applied to a list of items. All
 * three are immutable, as in Celery.
 */
import { CanvasSignature } from "./canvas-signature.js";
import type { Signature } from "./signature.js";
import { withHookStamps, writeStamps } from "./stamping.js";
import type { StampContext, Stamps, WireOptions } from "./types.js";

/** Stamps the map-like node itself, and its inner task with the same stamps. */
function stampMapped<S extends CanvasSignature>(node: S, task: Signature, headers: Readonly<Stamps>, ctx: StampContext): { options: WireOptions; task: Signature } {
  const own = withHookStamps(headers, ctx.visitor?.onSignature?.(node, headers));
  return {
    options: writeStamps(node.options, own, ctx.append),
    task: task.stampWith(own, { visitor: undefined, append: ctx.append }),
  };
}

/**
 * `celery.map` (one argument per item) or `celery.starmap` (an argument list per item): one task
 * whose result is the list of results. Build it with {@link map} or {@link starmap}.
 */
export class MapSignature<T = unknown> extends CanvasSignature<T> {
  /** `"map"` or `"starmap"`. */
  readonly kind: "map" | "starmap";
  /** `"celery.map"` or `"celery.starmap"`. */
  readonly task: "celery.map" | "celery.starmap";
  /** The task applied to each item. */
  readonly mapped: Signature;
  /** The items (for starmap, each an argument list). */
  readonly it: readonly unknown[];

  constructor(kind: "map" | "starmap", mapped: Signature, it: readonly unknown[], options: WireOptions = {}) {
    super(options, true);
    this.kind = kind;
    this.task = kind === "map" ? "celery.map" : "celery.starmap";
    this.mapped = mapped;
    this.it = [...it];
  }

  /** @internal */
  override withOptions(options: WireOptions): this {
    return new MapSignature<T>(this.kind, this.mapped, this.it, options) as this;
  }

  /** @internal */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const { options, task } = stampMapped(this, this.mapped, headers, ctx);
    return new MapSignature<T>(this.kind, task, this.it, this.stampCallbacks(options, headers, ctx)) as this;
  }

  protected override wireKwargs(seen: WeakSet<object>): Record<string, unknown> {
    return { task: this.mapped.toWire(seen), it: [...this.it] };
  }
}

/** `celery.chunks`: `it` split into tasks of `n` items, run as a group. Build it with {@link chunks}. */
export class Chunks<T = unknown> extends CanvasSignature<T> {
  /** Always `"chunks"`. */
  readonly kind = "chunks";
  /** Always `"celery.chunks"`. */
  readonly task = "celery.chunks";
  /** The task applied to each item. */
  readonly mapped: Signature;
  /** The items, each an argument list. */
  readonly it: readonly (readonly unknown[])[];
  /** Items per chunk. */
  readonly n: number;

  constructor(mapped: Signature, it: readonly (readonly unknown[])[], n: number, options: WireOptions = {}) {
    super(options, true);
    this.mapped = mapped;
    this.it = it.map((args) => [...args]);
    this.n = n;
  }

  /** @internal */
  override withOptions(options: WireOptions): this {
    return new Chunks<T>(this.mapped, this.it, this.n, options) as this;
  }

  /** @internal */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const { options, task } = stampMapped(this, this.mapped, headers, ctx);
    return new Chunks<T>(task, this.it, this.n, this.stampCallbacks(options, headers, ctx)) as this;
  }

  protected override wireKwargs(seen: WeakSet<object>): Record<string, unknown> {
    return { task: this.mapped.toWire(seen), it: this.it.map((args) => [...args]), n: this.n };
  }
}
