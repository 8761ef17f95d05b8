/**
 * Whoever begins tasks, and its view of the event feed: whether `GET /v1/events` has a
 * subscriber, so that `task-received` and `task-started` are announced when tasks begin, and
 * otherwise no call at all is made for them.
 *
 * Two askers share this code:
 * - a QueueDO (durable-objects/queue-do.ts, at begin) asks `EventsDO.interest`; a "no" holds for
 *   FEED_ANSWER_MS. The EventsDO remembers who was told "no" and, when a subscriber arrives, tells
 *   those queues at once (`QueueDO.listen`) before the stream opens, so no task begun after
 *   subscribing misses its first events. In memory: a queue that restarts asks again.
 * - a Worker isolate running `cloudflare-queue` tasks (src/worker/direct-consumer.ts), which has
 *   no QueueDO and cannot be told: it asks `EventsDO.listensNow` (which writes nothing), and a
 *   "no" holds for UNTOLD_ANSWER_MS. A new subscriber may therefore miss `task-received` and
 *   `task-started` of the cloudflare-queue tasks begun up to UNTOLD_ANSWER_MS after its stream
 *   opened (each isolate that asked just before); their later events it gets.
 *
 * A "yes" holds until the listening lease it names. With nobody listening a busy asker makes one
 * EventsDO call per answer, whatever its task rate, and none to the result shards.
 */
import { eventsStub, resultShard, shardOf } from "./stubs.js";
import { stateWrite, type ResultWrite } from "../canvas/effects.js";
import type { TaskMessage } from "../protocol/message.js";
import type { EdgeryEnv } from "./env.js";

/** How long a queue trusts a "nobody listens" answer (a subscriber arriving meanwhile tells it). */
export const FEED_ANSWER_MS = 30_000;

/**
 * How long a Worker isolate trusts a "nobody listens" answer (nobody can tell it of a new
 * subscriber): the window in which a new subscriber may miss `task-received`/`task-started` of
 * cloudflare-queue tasks, and the most often one isolate asks while nobody listens.
 */
export const UNTOLD_ANSWER_MS = 1_000;

/** The feed's answer to an asker: listening until when (0: not now), and until when the answer holds. */
export interface FeedAnswer {
  listeningUntil: number;
  answerUntil: number;
}

/** The EventsDO, as an asker reaches it. */
export type EventsFeed = NonNullable<ReturnType<typeof eventsStub>>;

/** One asker's cached view of whether the feed listens. */
export class FeedListening {
  private listeningUntil = 0;
  private answerUntil = 0;
  private asking: Promise<void> | null = null;

  /** `question`: how this asker asks the EventsDO (interest, or listensNow). */
  constructor(private readonly question: (feed: EventsFeed) => Promise<FeedAnswer>) {}

  /** The feed listens until `until` (told by the EventsDO when a subscriber arrives). */
  listen(until: number): void {
    this.listeningUntil = Math.max(this.listeningUntil, until);
    this.answerUntil = Math.max(this.answerUntil, until);
  }

  /** Whether the feed listens now: asks the EventsDO only when the last answer has lapsed. */
  async listening(env: EdgeryEnv, now: number): Promise<boolean> {
    if (now >= this.answerUntil) await this.ask(env, now);
    return this.listeningUntil > now;
  }

  private ask(env: EdgeryEnv, now: number): Promise<void> {
    this.asking ??= (async () => {
      const feed = eventsStub(env);
      if (!feed) {
        this.answerUntil = Number.POSITIVE_INFINITY;
        return;
      }
      try {
        const answer = await this.question(feed);
        this.listen(answer.listeningUntil);
        this.answerUntil = Math.max(this.answerUntil, answer.answerUntil);
      } catch (err) {
        // Events are best effort: without an answer, ask again next time.
        console.error("edgery: asking the event feed failed", err);
        this.answerUntil = now;
      }
    })().finally(() => (this.asking = null));
    return this.asking;
  }
}

/**
 * Announces that a worker took these tasks and they began: `task-received`, then
 * `task-started`, through each task's result shard (which orders a task's events), one call per
 * shard. Await it before the tasks run, so both are on their way before a task can update its
 * state or finish. Best effort: a failed call is logged, never thrown.
 */
export async function announceBegun(env: EdgeryEnv, begun: Array<{ m: TaskMessage; worker: string }>, now: number): Promise<void> {
  const byShard = new Map<number, ResultWrite[]>();
  for (const { m, worker } of begun) {
    const shard = shardOf(env, m.id);
    const writes = byShard.get(shard) ?? [];
    byShard.set(shard, writes);
    writes.push(stateWrite(m, "RECEIVED", worker), stateWrite(m, "STARTED", worker, { started_at: now }));
  }
  await Promise.all(
    [...byShard].map(([shard, writes]) =>
      resultShard(env, shard)
        .announce(writes)
        .catch((err: unknown) => console.error("edgery: announcing task events failed", err)),
    ),
  );
}
