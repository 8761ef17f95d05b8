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
   * rejects when it cannot (the caller keeps them: the API answers 503, an outbox retries). A
   * broker that holds one message per id may answer the ids it already held (see {@link skippedOf}).
   */
  enqueue(messages: TaskMessage[], options?: EnqueueOptions): Promise<unknown>;
  /** Releases messages it took held (EnqueueOptions.hold) once the rest of their apply is enqueued. */
  release?(messages: TaskMessage[]): Promise<unknown>;
    /** Takes back messages this broker accepted and has not started (undo of a failed apply). */
  cancel?(messages: TaskMessage[]): Promise<unknown>;
  /** The ids among `ids` the queue still holds (sent and not ended), for a broker that holds one message per id. */
  holding?(queue: string, ids: string[]): Promise<string[]>;
  /** Revokes ids in a queue; returns the ids it ended now. */
  revoke?(queue: string, ids: string[], terminate: boolean): Promise<{ revoked: string[] }>;
  stats?(queue: string): Promise<QueueStats>;
  configure?(queue: string, settings: QueueSettings): Promise<QueueStats>;
  purge?(queue: string): Promise<{ purged: number }>;
}

/**
 * The ids an enqueue's answer names as `skipped`: messages whose ids the queue already held (the
 * same tasks sent again), which the sender did not add and must not take back. Pure.
 */
export function skippedOf(answer: unknown): string[] {
  const skipped = (answer as { skipped?: unknown } | null | undefined)?.skipped;
  return Array.isArray(skipped) ? skipped.filter((id): id is string => typeof id === "string") : [];
}

/** How an enqueue is meant. */
export interface EnqueueOptions {
  /**
   * The messages are new sends of an API apply (not an outbox's follow-ups, which may be sent
   * again). A message that is part of a canvas ({@link isCanvasMember}) must then be new to its
   * queue: when the queue still holds its id, the broker takes none of the messages and rejects
   * with {@link TaskIdInUseError}. A plain task whose id is held is skipped, as before (the same
   * task sent again). Brokers without per-id messages (a Queue, another app) ignore it.
   */
  fresh?: boolean;
  /**
   * With `fresh`: the apply spans several queues, so the messages are held back from dispatch
   * until the apply calls {@link Broker.release} (or APPLY_HOLD_MS passes). A broker that spreads
   * one enqueue over several objects (a sharded queue) holds a fresh send by itself. The answer
   * says `staged: true` when it held them.
   */
  hold?: boolean;
}

/** Whether an enqueue's answer says its messages were held for a release (see EnqueueOptions.hold). Pure. */
export function stagedOf(answer: unknown): boolean {
  return (answer as { staged?: unknown } | null | undefined)?.staged === true;
}

/**
 * Whether a message is part of a canvas: a chord header member, a group member, a chain step with
 * later steps, or a task with callbacks. Such a message, dropped because its queue already holds
 * its id, would leave the canvas waiting for the other task's report (a chord that never fires) or
 * run the other task's follow-ups in its place. Pure.
 */
export function isCanvasMember(m: TaskMessage): boolean {
  return m.chord !== null || m.group_id !== null || m.chain.length > 0 || m.link.length > 0 || m.link_error.length > 0;
}

/**
 * A fresh enqueue (see {@link EnqueueOptions.fresh}) with canvas members whose ids the queue still
 * holds: nothing of it was taken. The API answers `409 task_id_in_use`.
 */
export class TaskIdInUseError extends Error {
  override readonly name = "TaskIdInUseError";
  /** `untouched`: as on {@link QueueFullError}. */
  constructor(
    readonly ids: string[],
    readonly untouched: string[] = ids,
  ) {
    super(`task id${ids.length > 1 ? "s" : ""} ${ids.map((id) => `'${id}'`).join(", ")} still held by the queue`);
  }
}

/**
 * The ids of an enqueue's messages that a refusal (QueueFullError, TaskIdInUseError) says the
 * broker did not take, or had held already: the undo of the apply must leave them, since a
 * message with such an id in the queue is an earlier send's. Empty for any other failure (its
 * answer may be lost: the undo takes back every message by id).
 */
export function untouchedOf(err: unknown): string[] {
  return err instanceof QueueFullError || err instanceof TaskIdInUseError ? err.untouched : [];
}

/** A queue that holds as many messages as its `max_waiting` allows: send again later (503). */
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  /**
   * `untouched`: ids of the refused enqueue that are not the sender's to take back: those the
   * refusing queue (or shard) took nothing of, and those another shard already held.
   */
  constructor(
    message: string,
    readonly untouched: string[] = [],
  ) {
    super(message);
  }
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
  /**
   * @param refused - True when the far side answered that it took nothing (a 4xx: a wrong token,
   *   a refused body): there is nothing of the request to take back. False when it may have
   *   taken it (a 5xx, a timeout, a lost connection).
   */
  constructor(
    message: string,
    readonly refused = false,
  ) {
    super(message);
  }
}

/** Stats of a queue whose broker keeps no counts (cloudflare-queue): all zero. */
export function emptyStats(name: string): QueueStats {
  return { name, waiting: 0, delayed: 0, leased: 0, paused: false, concurrency: DEFAULT_CONCURRENCY, prefetch: DEFAULT_PREFETCH, completed: 0, failed: 0 };
}
