/**
 * Direct dispatch: a QueueDO whose queue is nearly idle hands a delivery straight to a consumer
 * invocation of its own Worker (RPC to the EdgeryDelivery entrypoint) instead of sending it
 * through the Cloudflare Queue, so that a task sent to an idle queue starts without the Queue's
 * hop. A busy queue (a burst, a backlog) still goes through the Queue, which gives backpressure.
 * The delivery body and its leases are the same on both paths: the consumer begins, runs and
 * settles exactly as it does for a Queue message.
 *
 * The one home of the rule: {@link directDispatchLimit} (the setting) and {@link goesDirect}.
 */
import type { DeliveryBody } from "../protocol/message.js";
import type { EdgeryEnv } from "./env.js";
import { IntSetting } from "./int-setting.js";

/**
 * Default of `EDGERY_DIRECT_DISPATCH`: a dispatch goes direct while the queue (this shard of it)
 * would then have at most this many tasks leased.
 */
export const DEFAULT_DIRECT_DISPATCH_LIMIT = 8;

/**
 * What a direct hand-off's consumer confirms as it starts, before it runs anything: the QueueDO
 * began the delivery's tasks itself (`DeliveryBody.begun`) as handed off, and `received()`
 * answers the leases the consumer may run (those still held, now begun). A hand-off that fails
 * before its consumer got it gives them back (durable-objects/hand-off-receipt.ts), and so does
 * a lease that ends before its consumer confirmed it: a task runs only once its queue knows.
 */
export interface HandOffReceipt {
  received(): string[] | Promise<string[]>;
}

/** What a delivery is handed to: this Worker's EdgeryDelivery entrypoint (src/index.ts). */
export interface DeliveryTarget {
  /** Starts one delivery and returns at once (its work runs on in the callee's `waitUntil`). */
  deliver(body: DeliveryBody): Promise<void>;
  /**
   * Runs one delivery to its end; rejects only when the hand-off itself failed. Calls
   * `receipt.received()` first, when given, and runs only the tasks it answers.
   */
  run(body: DeliveryBody, receipt?: HandOffReceipt): Promise<void>;
}

/**
 * The Worker's EdgeryDelivery entrypoint: `ctx.exports` (compat flag enable_ctx_exports; a
 * Worker's fetch/queue context and a Durable Object's state both carry it), else the SELF
 * service binding; undefined when the Worker exports neither.
 */
export function deliveryTarget(ctx: ExecutionContext | DurableObjectState, env: EdgeryEnv): DeliveryTarget | undefined {
  const exported = (ctx as unknown as { exports?: { EdgeryDelivery?: DeliveryTarget } }).exports?.EdgeryDelivery;
  return exported ?? (env.SELF as unknown as DeliveryTarget | undefined);
}

/** EDGERY_DIRECT_DISPATCH: any whole number (a limit past the queue's window always goes direct). */
const DIRECT_SETTING = new IntSetting("EDGERY_DIRECT_DISPATCH", 0, Number.MAX_SAFE_INTEGER, DEFAULT_DIRECT_DISPATCH_LIMIT);

/**
 * The most tasks a queue (shard) may have leased for a dispatch to go direct: the Worker's
 * `EDGERY_DIRECT_DISPATCH` (a whole number; 0 turns direct dispatch off), default
 * {@link DEFAULT_DIRECT_DISPATCH_LIMIT}. Any other value is logged once and the default used, as
 * with the other whole-number settings (src/runtime/int-setting.ts).
 */
export function directDispatchLimit(env: Pick<EdgeryEnv, "EDGERY_DIRECT_DISPATCH">): number {
  return DIRECT_SETTING.read(env.EDGERY_DIRECT_DISPATCH, (message) => {
    console.error(`${message}; using ${DEFAULT_DIRECT_DISPATCH_LIMIT}`);
    return DEFAULT_DIRECT_DISPATCH_LIMIT;
  });
}

/**
 * Whether a dispatch goes direct: the queue's leased tasks, those of this dispatch included, are
 * within the limit (a limit of 0 never goes direct). Pure.
 */
export function goesDirect(leasedAfter: number, limit: number): boolean {
  return limit > 0 && leasedAfter <= limit;
}
