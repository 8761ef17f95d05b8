/**
 * The task message: what a QueueDO stores, a Cloudflare Queue delivers and a consumer runs.
 */
import type { Canvas } from "./signature.js";

/** Where a chord header member reports its result. */
export interface ChordRef {
  /** The chord's id (its header group id), naming its ChordDO. */
  id: string;
  /** The member's index in the header. */
  index: number;
}

/** Per-message execution options, resolved against the task's defaults by the consumer. */
export interface MessageOptions {
  soft_time_limit?: number;
  time_limit?: number;
  max_retries?: number | null;
  acks_late?: boolean;
  ignore_result?: boolean;
  result_expires?: number;
  track_started?: boolean;
  routing_key?: string;
  /** Celery's rate limit ("10/s", "100/m", "1000/h"), enforced by the queue at dispatch. */
  rate_limit?: string | number;
  /** A stamp or kwarg name: a separate rate limit per value. */
  rate_limit_key?: string;
  /** The time slot a rate-limited message was given when it had to wait (set by the queue). */
  rate_slot?: number;
}

/** One task to run, with everything needed to continue the workflow after it. */
export interface TaskMessage {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue: string;
  priority: number;
  /** Not before this time (epoch ms); null = now. */
  eta: number | null;
  /** Revoked (TaskRevokedError) if not started by this time (epoch ms). */
  expires: number | null;
  retries: number;
  options: MessageOptions;
  stamps: Record<string, unknown>;
  parent_id: string | null;
  root_id: string;
  group_id: string | null;
  group_index: number | null;
  /** The steps after this one in a chain (ids already assigned). */
  chain: Canvas[];
  /** The chord this task (or, with `chain`, the chain it starts) is a header member of. */
  chord: ChordRef | null;
  link: Canvas[];
  link_error: Canvas[];
}

/**
 * Whether a task whose `expires` is this (epoch ms; null: never) has expired at `now`: from that
 * instant on. The one rule of every check of it (enqueue, begin, dispatch's SQL `expires <= ?`,
 * the consumers as a task is about to run). Pure.
 */
export function hasExpired(expires: number | null, now: number): boolean {
  return expires !== null && expires <= now;
}

/** A leased task as it travels in a Queue message (the message as stored, JSON text). */
export interface WireLeasedTask {
  /** Lease id and fencing token: a settle with a stale token is refused. */
  lease: string;
  /** Lease deadline at dispatch (epoch ms). */
  deadline: number;
  /** True when an earlier lease of this message expired (Celery's `delivery_info.redelivered`). */
  redelivered: boolean;
  /** The TaskMessage as JSON: the QueueDO sends it as stored, without parsing it. */
  body: string;
}

/** A leased task as the consumer runs it. */
export interface LeasedTask extends Omit<WireLeasedTask, "body"> {
  message: TaskMessage;
}

/** The body of one Cloudflare Queue message: up to 100 leased tasks of one queue. */
export interface DeliveryBody {
  queue: string;
  /**
   * The id (hex) of the QueueDO that leased the tasks: one shard of a sharded queue. The consumer
   * begins and settles there. Absent from deliveries of earlier versions: the queue's own object.
   */
  object?: string;
  tasks: WireLeasedTask[];
  /**
   * Set (epoch ms) when the QueueDO began the tasks itself as it handed the delivery straight to a
   * consumer (direct dispatch), their leases held from then: the consumer confirms them through the
   * hand-off's receipt instead of calling begin, and runs those the receipt answers. Absent from a
   * delivery that went through the Queue.
   */
  begun?: number;
}

/** A Durable Object id as a string: 64 hex digits. */
const OBJECT_ID = /^[0-9a-f]{64}$/;

/** True for a value of the {@link DeliveryBody} shape (a queue name and leased tasks as sent). */
export function isDeliveryBody(v: unknown): v is DeliveryBody {
  if (typeof v !== "object" || v === null) return false;
  const { queue, object, tasks, begun } = v as { queue?: unknown; object?: unknown; tasks?: unknown; begun?: unknown };
  if (typeof queue !== "string" || queue === "" || queue.length > 128 || !Array.isArray(tasks) || tasks.length === 0) return false;
  if (object !== undefined && (typeof object !== "string" || !OBJECT_ID.test(object))) return false;
  if (begun !== undefined && (typeof begun !== "number" || !Number.isFinite(begun))) return false;
  return tasks.every((t) => {
    const x = t as Partial<Record<keyof WireLeasedTask, unknown>> | null;
    return typeof x === "object" && x !== null && typeof x.lease === "string" && typeof x.deadline === "number" && typeof x.redelivered === "boolean" && typeof x.body === "string";
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A stored message's JSON read back as a TaskMessage, or null when it is not one: not JSON, or
 * without the fields every reader of a message relies on (a damaged row; nothing edgery writes,
 * and the broker endpoint checks what a peer sends). Cheap: one parse and a few type tests.
 */
export function readStoredMessage(json: string): TaskMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isObject(m)) return null;
  const ok =
    typeof m.id === "string" &&
    typeof m.task === "string" &&
    typeof m.queue === "string" &&
    Array.isArray(m.args) &&
    isObject(m.kwargs) &&
    isObject(m.options) &&
    isObject(m.stamps) &&
    Array.isArray(m.chain) &&
    Array.isArray(m.link) &&
    Array.isArray(m.link_error) &&
    (m.chord === null || isObject(m.chord));
  return ok ? (m as unknown as TaskMessage) : null;
}

/**
 * What stands in for a message that could not be read (see readStoredMessage), to end its task:
 * only its id and queue are known, so it has no follow-ups.
 */
export function standInMessage(id: string, queue: string): TaskMessage {
  return {
    id,
    task: "(unreadable)",
    args: [],
    kwargs: {},
    queue,
    priority: 0,
    eta: null,
    expires: null,
    retries: 0,
    options: {},
    stamps: {},
    parent_id: null,
    root_id: id,
    group_id: null,
    group_index: null,
    chain: [],
    chord: null,
    link: [],
    link_error: [],
  };
}
