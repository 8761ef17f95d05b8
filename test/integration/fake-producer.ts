/**
 * A stand-in for a QueueDO's TASKS producer that checks what it is sent against the platform's
 * limits, as deployed (a message at most 128,000 UTF-8 bytes of its JSON with its
 * metadata, a sendBatch at most 100 messages and 256 KB), and records the delivery bodies. Local
 * Queues do not enforce these limits, so a test that must fail on an oversized send uses this.
 */
import { runInDurableObject } from "cloudflare:test";
import type { DeliveryBody } from "../../src/protocol/message";
import { queue } from "./helpers";

// The platform's numbers, written out here rather than taken from the code under test.
/** Metadata the platform adds to each message (about 100 bytes). */
const METADATA_BYTES = 100;
const QUEUE_MESSAGE_MAX_BYTES = 128_000;
const QUEUE_SEND_BATCH_MAX_BYTES = 256_000;
const QUEUE_BATCH_MAX = 100;

/** The fake producer: what it accepted, and whether it fails every call for now. */
export interface FakeProducer {
  sent: DeliveryBody[];
  /** The content type each sent message went with, in the order of `sent`. */
  types: Array<string | undefined>;
  calls: number;
  failing: boolean;
}

/** Puts a fake producer in place of a queue's TASKS binding (for the life of its object). */
export async function fakeProducer(name: string): Promise<FakeProducer> {
  const fake: FakeProducer = { sent: [], types: [], calls: 0, failing: false };
  const producer = {
    async send(): Promise<void> {
      throw new Error("the QueueDO sends with sendBatch");
    },
    async sendBatch(messages: Array<{ body: DeliveryBody; contentType?: string }>): Promise<void> {
      fake.calls += 1;
      if (fake.failing) throw new Error("Queue send failed (fake outage)");
      if (messages.length > QUEUE_BATCH_MAX) throw new Error(`sendBatch of ${messages.length} messages`);
      const sizes = messages.map((m) => new TextEncoder().encode(JSON.stringify(m.body)).length + METADATA_BYTES);
      const largest = Math.max(...sizes);
      if (largest > QUEUE_MESSAGE_MAX_BYTES) throw new Error(`message of ${largest} bytes exceeds ${QUEUE_MESSAGE_MAX_BYTES}`);
      const total = sizes.reduce((a, b) => a + b, 0);
      if (total > QUEUE_SEND_BATCH_MAX_BYTES) throw new Error(`sendBatch of ${total} bytes exceeds ${QUEUE_SEND_BATCH_MAX_BYTES}`);
      fake.sent.push(...messages.map((m) => structuredClone(m.body)));
      fake.types.push(...messages.map((m) => m.contentType));
    },
  };
  await runInDurableObject(queue(name), (instance) => {
    (instance as unknown as { env: { TASKS: unknown } }).env.TASKS = producer;
  });
  return fake;
}
