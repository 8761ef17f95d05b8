/**
 * The receipt a QueueDO hands over with a direct delivery (src/runtime/direct-dispatch.ts): the
 * consumer calls `received()` as it starts, before it runs anything. It is an RpcTarget, so the
 * call comes back to this object over the hand-off's own RPC session, ahead of that call's
 * answer. When the hand-off fails, the receipt tells a delivery no consumer got (its tasks are
 * given back and go to the Queue) from one whose consumer started and then failed (its tasks are
 * left to their leases, as when a consumer is lost).
 */
import { RpcTarget } from "cloudflare:workers";
import type { HandOffReceipt } from "../src/runtime/direct-dispatch.js";

/** A direct hand-off's receipt: `got` once its consumer has started. */
export class Receipt extends RpcTarget implements HandOffReceipt {
  /** True once the consumer called received(). */
  got = false;

  /** `onReceived`: called once, when the consumer first acknowledges. */
  constructor(private readonly onReceived: () => void = () => undefined) {
    super();
  }

  /** Called by the consumer as it starts (see EdgeryDelivery.run in src/index.ts). */
  received(): void {
    if (this.got) return;
    this.got = true;
    this.onReceived();
  }
}
