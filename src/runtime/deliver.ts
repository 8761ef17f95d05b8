/**
 * Sends planned deliveries to the Cloudflare Queue the consumers read, in `sendBatch` calls
 * within the platform's limits (src/runtime/pack.ts).
 */
import type { DeliveryBody, WireLeasedTask } from "../protocol/message.js";
import { deliveryEncoding, sendBatches, type SizedDelivery } from "./pack.js";

/** What did not go out: the tasks of the failed call and of every call after it, with the error. */
export interface Unsent {
  tasks: WireLeasedTask[];
  error: unknown;
}

/**
 * Sends deliveries in order, each with its encoding (`deliveryEncoding`: V8 serialization for an
 * all-ASCII delivery, else JSON), in sendBatch calls sized by what each may take; stops at the
 * first failed call (the platform is likely failing every call then). Returns null when
 * everything went out.
 */
export async function sendDeliveries(producer: Queue<DeliveryBody>, deliveries: SizedDelivery[]): Promise<Unsent | null> {
  const batches = sendBatches(deliveries.map((d) => ({ body: d.body, ...deliveryEncoding(d) })));
  for (const [i, batch] of batches.entries()) {
    try {
      await producer.sendBatch(batch.map((d) => ({ body: d.body, contentType: d.contentType })));
    } catch (error) {
      return { tasks: batches.slice(i).flatMap((b) => b.flatMap((d) => d.body.tasks)), error };
    }
  }
  return null;
}
