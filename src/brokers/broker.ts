/**
 * The broker interface: where a queue's messages live and how they are delivered. One
 * implementation per kind (see config.ts for how routes choose one):
 *
 * - `durable-object` (default): the QueueDO, strict priority, leases, pause and concurrency.
 * - `cloudflare-queue`: straight onto a Queue binding, consumed without leases.
 * - `service` / `http`: another edgery app (service binding, or HTTPS with its token).
 * - `memory`: the in-memory twin, for unit tests (memory-broker.ts).
 *
 * All of them pass the same conformance suite (test/brokers/conformance.ts).
 */
import { DEFAULT_CONCURRENCY, DEFAULT_PREFETCH, type QueueStats } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import type { QueueSettings } from "../protocol/rpc.js";

export type { QueueSettings } from "../protocol/rpc.js";
import type { BrokerKind } from "../app/broker-config.js";

export type { BrokerKind, BrokerSpec, BrokerMap } from "../app/broker-config.js";


/** One broker: takes the messages of a queue, and (where it can) manages that queue. */
export interface Broker {
  readonly kind: BrokerKind | "memory";
  /**
   * True when `cancel` takes an accepted enqueue back completely (all-or-none apply). A broker
   * that cannot is enqueued last, after every cancellable one has taken its messages.
   */
  readonly cancellable: boolean;
  /**
   * Takes messages, all of one queue. Resolves once the broker holds them (they are durable);
   * rejects when it cannot (the caller keeps them: the API answers 503, an outbox retries).
   */
  enqueue(messages: TaskMessage[]): Promise<unknown>;
  /** Takes back messages this broker accepted and has not started (undo of a failed apply). */
  cancel?(messages: TaskMessage[]): Promise<unknown>;
  /** Revokes ids in a queue; returns the ids it ended now. */
  revoke?(queue: string, ids: string[], terminate: boolean): Promise<{ revoked: string[] }>;
  stats?(queue: string): Promise<QueueStats>;
  configure?(queue: string, settings: QueueSettings): Promise<QueueStats>;
  purge?(queue: string): Promise<{ purged: number }>;
}

/** A queue that holds as many messages as its `max_waiting` allows: send again later (503). */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
}

/**
 * Messages no Queue message can carry, even alone (UTF-8 bytes as sent): the broker took the
 * others and refuses these for good. A caller fails them (PayloadTooLarge) instead of retrying.
 */
export class PayloadTooLargeError extends Error {
  override readonly name = "PayloadTooLargeError";
  constructor(
    /** The refused messages' ids. */
    readonly ids: string[],
    message: string,
  ) {
    super(message);
  }
}

/** A broker that could not take or answer a request (its far side failed or timed out). */
export class BrokerUnavailableError extends Error {
  override readonly name = "BrokerUnavailableError";
}

/** Stats of a queue whose broker keeps no counts (cloudflare-queue): all zero. */
export function emptyStats(name: string): QueueStats {
  return { name, waiting: 0, delayed: 0, leased: 0, paused: false, concurrency: DEFAULT_CONCURRENCY, prefetch: DEFAULT_PREFETCH, completed: 0, failed: 0 };
}
