/**
 * The default broker: each queue is a QueueDO (strict priority, leases, pause, concurrency).
 * `enqueue` is the QueueDO's own RPC; a full queue (max_waiting) answers `full`, thrown here as
 * QueueFullError (the API answers 503 overloaded, an outbox retries later).
 */
import type { QueueStats } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import { queueStub } from "../runtime/stubs.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { QueueFullError, type Broker, type QueueSettings } from "./broker.js";

const NOTHING = Promise.resolve();

/** Every QueueDO of a Worker's QUEUE_DO namespace. */
export class DurableObjectBroker implements Broker {
  readonly kind = "durable-object" as const;
  readonly cancellable = true;

  constructor(private readonly env: EdgeryEnv) {}

  async enqueue(messages: TaskMessage[]): Promise<unknown> {
    const first = messages[0];
    if (!first) return NOTHING;
    const answer = await queueStub(this.env, first.queue).enqueue(messages);
    if (answer.full) throw new QueueFullError(answer.full);
    return answer;
  }

  cancel(messages: TaskMessage[]): Promise<unknown> {
    const first = messages[0];
    return first ? queueStub(this.env, first.queue).cancel(messages.map((m) => m.id)) : NOTHING;
  }

  revoke(queue: string, ids: string[], terminate: boolean): Promise<{ revoked: string[] }> {
    return queueStub(this.env, queue).revoke(ids, terminate);
  }

  stats(queue: string): Promise<QueueStats> {
    return queueStub(this.env, queue).stats(queue);
  }

  configure(queue: string, settings: QueueSettings): Promise<QueueStats> {
    return queueStub(this.env, queue).configure(queue, settings);
  }

  purge(queue: string): Promise<{ purged: number }> {
    return queueStub(this.env, queue).purge(queue);
  }
}
