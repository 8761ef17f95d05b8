/** Celery's `chord`: a header run as a group, whose results (in header order) go to the body. */
import { CanvasSignature } from "./canvas-signature.js";
import { Group } from "./group.js";
import { withHookStamps } from "./stamping.js";
import type { StampContext, Stamps, WireOptions } from "./types.js";

/**
 * A chord signature (`celery.chord`); the result is the body's. Build it with {@link chord}.
 * @typeParam T - The result type (the body's).
 * @typeParam B - Type-only: the body's type, when the compiler knows it (`unknown` when not):
 *   applying the chord answers the body's handle (see `ApplyResult`).
 */
export class Chord<T = unknown, B = unknown> extends CanvasSignature<T> {
  /** Type-only: the body's type (see `HandleNode`). Never set. */
  declare readonly __last?: B;
  /** Always `"chord"`. */
  readonly kind = "chord";
  /** Always `"celery.chord"`. */
  readonly task = "celery.chord";
  /** The header members, in header order. */
  readonly header: readonly CanvasSignature[];
  /** The callback that receives the list of header results. */
  readonly body: CanvasSignature;

  constructor(header: readonly CanvasSignature[], body: CanvasSignature, options: WireOptions = {}) {
    super(options, false);
    this.header = [...header];
    this.body = body;
  }

  override get subtaskType(): string {
    return "chord";
  }

  /** @internal */
  override withOptions(options: WireOptions): this {
    return new Chord<T, B>(this.header, this.body, options) as this;
  }

  /**
   * @internal A visitor without `onChordHeaderStart`/`onChordHeaderEnd` has its `onGroupStart`/
   * `onGroupEnd` called with the header as a group, as Celery's StampingVisitor defaults do (a
   * chord's header is a group).
   */
  override stampWith(headers: Readonly<Stamps>, ctx: StampContext): this {
    const v = ctx.visitor;
    const asGroup = () => new Group(this.header);
    const started = v?.onChordHeaderStart ? v.onChordHeaderStart(this, headers) : v?.onGroupStart?.(asGroup(), headers);
    const inner = withHookStamps(headers, started);
    const options = this.stampCallbacks(this.options, inner, ctx);
    const header = this.header.map((member) => member.stampWith(inner, ctx));
    if (v?.onChordHeaderEnd) v.onChordHeaderEnd(this, inner);
    else v?.onGroupEnd?.(asGroup(), inner);
    const bodyHeaders = withHookStamps(inner, v?.onChordBody?.(this, inner));
    const body = this.body.stampWith(bodyHeaders, ctx);
    return new Chord<T, B>(header, body, options) as this;
  }

  protected override wireKwargs(seen: WeakSet<object>): Record<string, unknown> {
    return { header: this.header.map((member) => member.toWire(seen)), body: this.body.toWire(seen), kwargs: {} };
  }
}
