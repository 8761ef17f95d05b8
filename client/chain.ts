/** Celery's `chain`: steps run one after another, each result passed to the next step. */
import { CanvasSignature } from "./canvas-signature.js";
import { withHookStamps } from "./stamping.js";
import type { StampContext, Stamps, WireOptions } from "./types.js";

/** A chain signature (`celery.chain`); the result is its last step's. Build it with {@link chain}. */
export class Chain<T = unknown> extends CanvasSignature<T> {
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
    return new Chain<T>(this.tasks, options) as this;
  }

  /** @internal */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const inner = withHookStamps(headers, ctx.visitor?.onChainStart?.(this, headers));
    const options = this.stampCallbacks(this.options, inner, ctx);
    const tasks = this.tasks.map((step) => step.stampWith(inner, ctx));
    ctx.visitor?.onChainEnd?.(this, inner);
    return new Chain<T>(tasks, options) as this;
  }

  protected override wireKwargs(seen: WeakSet<object>): Record<string, unknown> {
    return { tasks: this.tasks.map((step) => step.toWire(seen)) };
  }
}
