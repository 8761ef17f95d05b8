/**
 * The base of every signature, task or canvas: options, callbacks, stamping and the exact wire
 * JSON. Every method returns a new signature; a signature is never changed in place.
 */
import type { TaskMap, UntypedTasks } from "../src/protocol/shared.js";
import type { ApplyResult, CallOptions, SignatureApplier } from "./applier.js";
import { toWireOptions, type SignatureOptions } from "./options.js";
import { isStampingVisitor, withHookStamps, type StampOptions } from "./stamping.js";
import type { CanvasNode, SignatureJSON, SignatureKind, StampContext, Stamps, StampingVisitor, WireOptions } from "./types.js";

/** Base class of {@link Signature}, {@link Chain}, {@link Group}, {@link Chord}, {@link MapSignature} and {@link Chunks}. */
export abstract class CanvasSignature<T = unknown> implements CanvasNode {
  /** Type-only: the result type this signature was declared with. Never set. */
  declare readonly __result?: T;
  /** Which primitive this is. */
  abstract readonly kind: SignatureKind;
  /** The wire `task`: the task name, or `celery.chain`, `celery.group`, ... */
  abstract readonly task: string;
  /** Options with their wire names (`routing_key`, `stamped_headers`, ...). */
  readonly options: Readonly<WireOptions>;
  /** An immutable signature ignores its parent's result (and any call-time args). */
  readonly immutable: boolean;

  protected constructor(options: WireOptions, immutable: boolean) {
    this.options = options;
    this.immutable = immutable;
  }

  /** The wire `subtask_type` (Celery writes `null` for tasks, map, starmap and chunks). */
  get subtaskType(): string | null {
    return null;
  }

  /** @internal The same signature with other options. */
  abstract withOptions(options: WireOptions): this;

  /** @internal Stamps this node and everything below it with `headers` (plus the visitor's). */
  abstract stampWith(headers: Readonly<Stamps>, ctx: StampContext): this;

  /** @internal The wire `kwargs`, serializing children with the cycle guard `seen`. */
  protected abstract wireKwargs(seen: WeakSet<object>): Record<string, unknown>;

  /** The wire `args`: a canvas has none of its own. */
  protected wireArgs(): unknown[] {
    return [];
  }

  /**
   * A copy with `options` merged over the current ones (camelCase or wire names; Celery's
   * `.set()`).
   * @throws TypeError for an invalid option value (priority outside 0-9, negative countdown, ...).
   */
  set(options: SignatureOptions): this {
    return this.withOptions({ ...this.options, ...toWireOptions(options) });
  }

  /** A copy with `callback` added to `options.link`: it runs with this signature's result. */
  link(callback: CanvasNode): this {
    return this.withOptions({ ...this.options, link: [...(this.options.link ?? []), callback] });
  }

  /** A copy with `errback` added to `options.link_error`: it runs with `(request, exc)` on failure. */
  linkError(errback: CanvasNode): this {
    return this.withOptions({ ...this.options, link_error: [...(this.options.link_error ?? []), errback] });
  }

  /** A copy stamped by `visitor` at every node (Celery's `StampingVisitor`). */
  stamp(visitor: StampingVisitor, options?: StampOptions): this;
  /** A copy with `stamps` (`{name: value, ...}`) on every task, callbacks included. */
  stamp(stamps: Stamps, options?: StampOptions): this;
  /** A copy with stamp `name` = `value` on every task, callbacks included. */
  stamp(name: string, value: unknown, options?: StampOptions): this;
  stamp(first: string | Stamps | StampingVisitor, second?: unknown, third?: StampOptions): this {
    if (typeof first === "string") {
      if (first === "") throw new TypeError("a stamp needs a non-empty name");
      return this.stampWith({ [first]: second }, { visitor: undefined, append: third?.appendStamps === true });
    }
    if (typeof first !== "object" || first === null || Array.isArray(first)) {
      throw new TypeError("stamp() takes a name and a value, an object of stamps, or a StampingVisitor");
    }
    const append = (second as StampOptions | undefined)?.appendStamps === true;
    if (isStampingVisitor(first)) return this.stampWith({}, { visitor: first, append });
    return this.stampWith({ ...first }, { visitor: undefined, append });
  }

  /** @internal Stamps the callbacks in `options` (with `onCallback` / `onErrback`). */
  protected stampCallbacks(options: WireOptions, headers: Readonly<Stamps>, ctx: StampContext): WireOptions {
    let out = options;
    const { link, link_error: linkError } = options;
    if (link?.length) {
      out = { ...out, link: link.map((cb) => cb.stampWith(withHookStamps(headers, ctx.visitor?.onCallback?.(cb, headers)), ctx)) };
    }
    if (linkError?.length) {
      out = { ...out, link_error: linkError.map((eb) => eb.stampWith(withHookStamps(headers, ctx.visitor?.onErrback?.(eb, headers)), ctx)) };
    }
    return out;
  }

  /**
   * The exact wire JSON (`{task, args, kwargs, options, subtask_type, immutable}`).
   * @throws TypeError when the signature contains itself.
   */
  toJSON(): SignatureJSON {
    return this.toWire(new WeakSet());
  }

  /** @internal `toJSON` with the set of signatures being serialized above this one. */
  toWire(seen: WeakSet<object>): SignatureJSON {
    if (seen.has(this)) throw new TypeError(`signature '${this.task}' contains itself: a canvas cannot be a cycle`);
    seen.add(this);
    try {
      return {
        task: this.task,
        args: this.wireArgs(),
        kwargs: this.wireKwargs(seen),
        options: this.wireOptions(seen),
        subtask_type: this.subtaskType,
        immutable: this.immutable,
      };
    } finally {
      seen.delete(this);
    }
  }

  private wireOptions(seen: WeakSet<object>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.options };
    if (this.options.link) out.link = this.options.link.map((cb) => cb.toWire(seen));
    if (this.options.link_error) out.link_error = this.options.link_error.map((eb) => eb.toWire(seen));
    if (this.options.stamped_headers) out.stamped_headers = [...this.options.stamped_headers];
    return out;
  }

  /** Sends this signature with call-time values (Celery's `apply_async`). */
  applyAsync<Tasks extends TaskMap = UntypedTasks>(client: SignatureApplier<CanvasSignature, Tasks>, call?: CallOptions): Promise<ApplyResult<this, Tasks>> {
    return client.apply(this.asNode(), call) as Promise<ApplyResult<this, Tasks>>;
  }

  /** Sends this signature with call-time `args` (Celery's `delay`). */
  delay<Tasks extends TaskMap = UntypedTasks>(client: SignatureApplier<CanvasSignature, Tasks>, ...args: unknown[]): Promise<ApplyResult<this, Tasks>> {
    return client.apply(this.asNode(), args.length ? { args } : undefined) as Promise<ApplyResult<this, Tasks>>;
  }

  /**
   * This signature as the base type. The compiler does not relate a generic `this` to
   * `CanvasSignature`: its result type reaches `ApplyResult`'s test for an undeclared (`unknown`)
   * result, which it cannot measure, and the overloads of `stamp` then fail the structural check.
   */
  private asNode(): CanvasSignature {
    return this as CanvasSignature<unknown>;
  }
}
