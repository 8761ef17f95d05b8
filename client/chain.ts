/** Celery's `chain`: steps run one after another, each result passed to the next step. */
import { CanvasSignature } from "./canvas-signature.js";
import { withHookStamps } from "./stamping.js";
import type { StampContext, Stamps, WireOptions } from "./types.js";

/**
 * A chain signature (`celery.chain`); the result is its last step's. Build it with {@link chain}.
 * @typeParam T - The result type (its last step's).
 * @typeParam L - Type-only: the last step's type, when the compiler knows it (`unknown` when
 *   not): applying the chain answers that step's handle (see `ApplyResult`).
 */
export class Chain<T = unknown, L = unknown> extends CanvasSignature<T> {
  /** Type-only: the last step's type (see `HandleNode`). Never set. */
  declare readonly __last?: L;
  /** Always `"chain"`. */
  readonly kind = "chain";
  /** Always `"celery.chain"`. */
  readonly task = "celery.chain";
  /** The steps, in order. */
  readonly tasks: readonly CanvasSignature[];

  constructor(tasks: readonly CanvasSignature[], options: WireOptions = {}) {
    super(options, false);
    this.tasks = [...tasks];
  }

  override get subtaskType(): string {
    return "chain";
  }

  /** @internal */
  override withOptions(options: WireOptions): this {
    return new Chain<T, L>(this.tasks, options) as this;
  }

  /** @internal */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const inner = withHookStamps(headers, ctx.visitor?.onChainStart?.(this, headers));
    const options = this.stampCallbacks(this.options, inner, ctx);
    const tasks = this.tasks.map((step) => step.stampWith(inner, ctx));
    ctx.visitor?.onChainEnd?.(this, inner);
    return new Chain<T, L>(tasks, options) as this;
  }

  protected override wireKwargs(seen: WeakSet<object>): Record<string, unknown> {
    return { tasks: this.tasks.map((step) => step.toWire(seen)) };
  }
}
