/**
 * The shapes that cross a Durable Object's RPC boundary: what callers send to a QueueDO or a
 * ResultDO and what those answer. Declared here, below every caller and every object, so that
 * neither side imports the other for its types.
 */
import type { EndStamp, RunResult } from "./outcome.js";
import type { DeadLetter } from "./dead-letter.js";
import type { TaskMessage } from "./message.js";
import type { TaskResult } from "./result.js";

export type { QueueSettings } from "./result.js";

export type { RunResult } from "./outcome.js";

/**
 * A consumer's report of one task, fenced by its lease (`QueueDO.settle`): how the run ended and
 * its stamp (the QueueDO turns the two into an Outcome with `stamped`).
 */
export interface SettleItem extends EndStamp {
  lease: string;
  id: string;
  outcome: RunResult;
  worker: string;
  resultExpires: number;
  /**
   * The consumer already wrote this task's final result to its result shard (the shard's write
   * call succeeded; see src/worker/pre-write.ts): an accepted settle then does not write it again.
   * Only ever set for a success or failure of a task without a hard time limit.
   */
  stored?: boolean;
}

/**
 * A task message as a broker sends it to its QueueDO (`QueueDO.enqueueSent`): the fields the queue
 * reads, and the message as JSON, which the queue stores as it is. An RPC copies a tuple of
 * primitives and one string at a fraction of the cost of a message object (a structured clone of
 * its nested options, headers and canvas fields), and the queue no longer serializes it again.
 */
export type SentMessage = readonly [id: string, priority: number, eta: number | null, expires: number | null, timeLimited: 0 | 1, json: string, unique?: 0 | 1];

/**
 * A QueueDO's answer to an enqueue: how many messages it added and, when it already held some of
 * their ids (the same tasks sent again), those ids as `skipped`; or, taking nothing, `full` (why:
 * max_waiting) or `held` (the ids that had to be new and were not).
 */
export interface EnqueueAnswer {
  added: number;
  skipped?: string[];
  /** The messages were added held: they wait for a release (QueueDO.release) or APPLY_HOLD_MS. */
  staged?: boolean;
  full?: string;
  held?: string[];
}

/**
 * The {@link SentMessage} of a message; `unique`: the queue must not hold its id yet (a fresh
 * send's canvas member), else it takes nothing of the batch. Pure.
 */
export function sentMessage(m: TaskMessage, unique = false): SentMessage {
  const timeLimited = m.options.time_limit ? 1 : 0;
  return unique ? [m.id, m.priority, m.eta, m.expires, timeLimited, JSON.stringify(m), 1] : [m.id, m.priority, m.eta, m.expires, timeLimited, JSON.stringify(m)];
}

/**
 * What a ResultDO's `write` answers: how many writes it stored; `late`, a write ahead that came
 * past its horizon (nothing stored); `kept`, the final results it kept over final writes of the
 * same ids (the first final result of an id wins).
 */
export interface ResultWriteAnswer {
  written: number;
  late?: true;
  kept?: TaskResult[];
}

/** A task an apply sent, as an idempotency claim keeps it: its id and its queue. */
export type SentTask = [id: string, queue: string];

/** A consumer beginning a leased task (`QueueDO.begin`): the lease is renewed to the task's hard limit. */
export interface BeginItem {
  lease: string;
  id: string;
  /** Hard time limit in ms, if the task has one. */
  timeLimitMs: number | null;
  trackStarted: boolean;
  worker: string;
}

/** A group member that is itself a group (`ResultDO.waitMany` answers these for nested groups). */
export interface GroupRef {
  id: string;
  group: true;
}

export type { DeadLetter } from "./dead-letter.js";

/** A listed dead letter with its place in the queue's order (for the cursor; `QueueDO.deadLetters`). */
export interface DeadLetterEntry {
  seq: number;
  failedAt: number;
  item: DeadLetter;
}

/** A message row as `QueueDO.inspect` lists it: begun (`active`) or delayed (`scheduled`). */
export interface InspectedRow {
  id: string;
  task: string;
  queue: string;
  priority: number;
  /** Epoch ms when a delayed row is due; null for a begun one. */
  eta: number | null;
  /**
   * Epoch ms when a begun row's current delivery was begun (by its consumer, or by its queue for
   * a direct hand-off); null for a delayed row, or one begun before the queue kept it.
   */
  startedAt: number | null;
}

/** Which rows `QueueDO.inspect` lists: `active` (leased and begun) or `scheduled` (delayed). */
export type InspectKind = "active" | "scheduled";

/** A revoked id and until when it is remembered (epoch ms). */
export interface RevokedId {
  id: string;
  until: number;
}

/**
 * The directory's answer to a queue that joins it (`DirectoryDO.registerQueue`): the ids revoked
 * while their place was unknown since the queue's last join, for it to remember before it
 * enqueues anything, and the cursor to send at its next join.
 */
export interface DirectoryJoin {
  revokes: RevokedId[];
  /** The newest revoke's number: the queue sends it as `since` next time. */
  seq: number;
}
