/** Celery's `group`: members run in parallel; the result is their results in member order. */
import { CanvasSignature } from "./canvas-signature.js";
import { withHookStamps } from "./stamping.js";
import type { StampContext, Stamps, WireOptions } from "./types.js";

/** A group signature (`celery.group`). Build it with {@link group}. */
export class Group<T = unknown> extends CanvasSignature<T> {
  /** Always `"group"`. */
  readonly kind = "group";
  /** Always `"celery.group"`. */
  readonly task = "celery.group";
  /** The members, in member order. */
  readonly tasks: readonly CanvasSignature[];

  constructor(tasks: readonly CanvasSignature[], options: WireOptions = {}) {
    super(options, false);
    this.tasks = [...tasks];
  }

  override get subtaskType(): string {
    return "group";
  }

  /** @internal */
  override withOptions(options: WireOptions): this {
    return new Group<T>(this.tasks, options) as this;
  }

  /** @internal */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const inner = withHookStamps(headers, ctx.visitor?.onGroupStart?.(this, headers));
    const options = this.stampCallbacks(this.options, inner, ctx);
    const tasks = this.tasks.map((member) => member.stampWith(inner, ctx));
    ctx.visitor?.onGroupEnd?.(this, inner);
    return new Group<T>(tasks, options) as this;
  }

  protected override wireKwargs(seen: WeakSet<object>): Record<string, unknown> {
    return { tasks: this.tasks.map((member) => member.toWire(seen)) };
  }
}
