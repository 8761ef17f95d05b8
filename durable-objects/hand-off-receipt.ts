/**
 * The receipt a QueueDO hands over with a direct delivery (src/runtime/direct-dispatch.ts): the
 * consumer calls `received()` as it starts and runs only the tasks it answers. It is an
 * RpcTarget, so the call comes back to this object over the hand-off's own RPC session. When the
 * hand-off fails, the receipt tells a delivery no consumer got (its tasks are given back and go
 * to the Queue) from one whose consumer started and then failed (its tasks are left to their
 * leases, as when a consumer is lost).
 */
import { RpcTarget } from "cloudflare:workers";
import type { HandOffReceipt } from "../src/runtime/direct-dispatch.js";

/** A direct hand-off's receipt: `got` once its consumer has asked for the tasks to run. */
export class Receipt extends RpcTarget implements HandOffReceipt {
  /** True once the consumer called received(). */
  got = false;
  /** The first answer, given again to a repeated call. */
  private answer: Promise<string[]> | undefined;

  /**
   * `onReceived`: called once, when the consumer first acknowledges; answers the leases to run
   * once the queue's change is stored.
   */
  constructor(private readonly onReceived: () => Promise<string[]>) {
    super();
  }

  /** Called by the consumer as it starts (see EdgeryDelivery.run in src/index.ts): the leases it may run. */
  received(): Promise<string[]> {
    this.got = true;
    this.answer ??= this.onReceived();
    return this.answer;
  }
}
