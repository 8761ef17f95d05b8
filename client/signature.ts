/**
 * Task signatures: Celery's `signature()`, `.s()` and `.si()`, with partial args, immutability
 * and `clone` semantics.
 */
import { CanvasSignature } from "./canvas-signature.js";
import { toWireOptions, type SignatureOptions } from "./options.js";
import { withHookStamps, writeStamps } from "./stamping.js";
import type { StampContext, Stamps, WireOptions } from "./types.js";

/** Values for {@link Signature.clone}, {@link Signature.replace}. */
export interface SignatureParts {
  args?: readonly unknown[];
  kwargs?: Record<string, unknown>;
  options?: SignatureOptions;
}

/**
 * One task call, not yet sent: a task name with partial args, kwargs and options.
 * @typeParam T - The result type, as declared (`sig<number>(...)`).
 * @typeParam N - The task name as the compiler knows it: a typed client reads the task's result
 *   type from its task map by this name.
 */
export class Signature<T = unknown, N extends string = string> extends CanvasSignature<T> {
  /** Always `"task"`. */
  readonly kind = "task";
  /** The registered task name. */
  readonly task: N;
  /** Partial positional args: call-time args (a parent's result first) go before them. */
  readonly args: readonly unknown[];
  /** Partial keyword args: call-time kwargs win over them. */
  readonly kwargs: Readonly<Record<string, unknown>>;

  /**
   * @param task - The task name.
   * @param args - Partial positional args.
   * @param kwargs - Partial keyword args.
   * @param options - Options in wire form (see {@link toWireOptions}).
   * @param immutable - Ignore the parent's result and call-time args.
   */
  constructor(task: N, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: WireOptions = {}, immutable = false) {
    super(options, immutable);
    if (typeof task !== "string" || task === "") throw new TypeError("a signature needs a task name");
    if (!Array.isArray(args)) throw new TypeError(`args of '${task}' must be an array`);
    if (typeof kwargs !== "object" || kwargs === null || Array.isArray(kwargs)) throw new TypeError(`kwargs of '${task}' must be an object`);
    this.task = task;
    this.args = [...args];
    this.kwargs = { ...kwargs };
  }

  /** @internal */
  override withOptions(options: WireOptions): this {
    return new Signature<T, N>(this.task, this.args, this.kwargs, options, this.immutable) as this;
  }

  /**
   * Celery's `clone(args, kwargs, **options)`: `args` go before the partial args, `kwargs` win
   * over the partial kwargs, options are merged. An immutable signature keeps its args and
   * kwargs (only options merge).
   */
  clone(parts: SignatureParts = {}): Signature<T, N> {
    const args = this.immutable || !parts.args ? this.args : [...parts.args, ...this.args];
    const kwargs = this.immutable || !parts.kwargs ? this.kwargs : { ...this.kwargs, ...parts.kwargs };
    return new Signature<T, N>(this.task, args, kwargs, { ...this.options, ...toWireOptions(parts.options) }, this.immutable);
  }

  /** Celery's partial call: {@link clone} with more args and kwargs. */
  partial(args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}): Signature<T, N> {
    return this.clone({ args, kwargs });
  }

  /** Celery's `replace()`: a copy whose args, kwargs or options are replaced wholesale. */
  replace(parts: SignatureParts): Signature<T, N> {
    return new Signature<T, N>(
      this.task,
      parts.args ?? this.args,
      parts.kwargs ?? this.kwargs,
      parts.options ? toWireOptions(parts.options) : this.options,
      this.immutable,
    );
  }

  /** @internal */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const own = withHookStamps(headers, ctx.visitor?.onSignature?.(this, headers));
    const options = this.stampCallbacks(writeStamps(this.options, own, ctx.append), headers, ctx);
    return this.withOptions(options);
  }

  protected override wireArgs(): unknown[] {
    return [...this.args];
  }

  protected override wireKwargs(): Record<string, unknown> {
    return { ...this.kwargs };
  }
}

/**
 * Celery's `signature(name, args, kwargs, **options)`.
 * @example signature("app.tasks.send_email", ["user@example.com"], { template: "welcome" })
 */
export function signature<T = unknown, N extends string = string>(
  task: N,
  args: readonly unknown[] = [],
  kwargs: Record<string, unknown> = {},
  options: SignatureOptions & { immutable?: boolean } = {},
): Signature<T, N> {
  const { immutable, ...rest } = options;
  return new Signature<T, N>(task, args, kwargs, toWireOptions(rest), immutable === true);
}

/** Celery's `task.s(*args)`: a partial that receives its parent's result as first argument. */
export function sig<T = unknown, N extends string = string>(task: N, ...args: unknown[]): Signature<T, N> {
  return new Signature<T, N>(task, args);
}

/** Celery's `task.si(*args)`: an immutable signature that ignores its parent's result. */
export function si<T = unknown, N extends string = string>(task: N, ...args: unknown[]): Signature<T, N> {
  return new Signature<T, N>(task, args, {}, {}, true);
}
