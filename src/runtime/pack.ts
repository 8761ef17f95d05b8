/**
 * Packs leased tasks into Cloudflare Queue messages: up to 100 tasks and ~120 KB each.
 */
import { QUEUE_BATCH_MAX, QUEUE_MESSAGE_BUDGET_BYTES } from "../protocol/index.js";
import type { DeliveryBody, WireLeasedTask } from "../protocol/message.js";

/** Splits leased tasks (already in dispatch order) into delivery bodies. */
export function packDeliveries(queue: string, tasks: Array<{ task: WireLeasedTask; bytes: number }>): DeliveryBody[] {
  const out: DeliveryBody[] = [];
  let current: WireLeasedTask[] = [];
  let size = 0;
  for (const { task, bytes } of tasks) {
    if (current.length > 0 && (current.length >= QUEUE_BATCH_MAX || size + bytes > QUEUE_MESSAGE_BUDGET_BYTES)) {
      out.push({ queue, tasks: current });
      current = [];
      size = 0;
    }
    current.push(task);
    size += bytes + 64;
  }
  if (current.length > 0) out.push({ queue, tasks: current });
  return out;
}

/** Splits delivery bodies into `sendBatch` calls (100 messages, 256 KB at most each). */
export function sendBatches(bodies: DeliveryBody[], sizes: number[]): DeliveryBody[][] {
  const out: DeliveryBody[][] = [];
  let current: DeliveryBody[] = [];
  let size = 0;
  bodies.forEach((b, i) => {
    const bytes = sizes[i] ?? 0;
    if (current.length > 0 && (current.length >= QUEUE_BATCH_MAX || size + bytes > 250 * 1024)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(b);
    size += bytes;
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** `items` as JSON arrays of at most ~`budget` characters each, in order. */
export function jsonSlices(items: unknown[], budget: number): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const item of items) {
    const text = JSON.stringify(item);
    if (parts.length > 0 && size + text.length + 1 > budget) {
      out.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length > 0) out.push(`[${parts.join(",")}]`);
  return out;
}
