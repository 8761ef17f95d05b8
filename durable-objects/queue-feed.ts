/**
 * A QueueDO's view of the event feed: whether `GET /v1/events` has a subscriber, so that the
 * queue announces `task-received` and `task-started` when a worker begins its tasks, and
 * otherwise makes no call at all for them.
 *
 * The queue asks the EventsDO at most once per answer: a "no" holds for FEED_ANSWER_MS, a "yes"
 * until the listening lease it names. The EventsDO remembers who was told "no" and, when a
 * subscriber arrives, tells those queues at once (`QueueDO.listen`) before the stream opens, so
 * no task begun after subscribing misses its first events. With nobody listening a busy queue
 * makes one EventsDO call per FEED_ANSWER_MS, whatever its task rate. In memory: a queue that
 * restarts asks again.
 */
import { eventsStub, resultShard, shardOf } from "../src/runtime/stubs.js";
import { stateWrite, type ResultWrite } from "../src/canvas/effects.js";
import type { TaskMessage } from "../src/protocol/message.js";
import type { EdgeryEnv } from "../src/runtime/env.js";

/** How long a queue trusts a "nobody listens" answer (a subscriber arriving meanwhile tells it). */
export const FEED_ANSWER_MS = 30_000;

/** The feed's answer to a queue: listening until when, and until when the answer holds. */
export interface FeedAnswer {
  listeningUntil: number;
  answerUntil: number;
}

/** The queue's side of the event feed. */
export class QueueFeed {
  private listeningUntil = 0;
  private answerUntil = 0;
  private asking: Promise<void> | null = null;

  constructor(
    private readonly env: EdgeryEnv,
    private readonly queueId: string,
  ) {}

  /** The feed listens until `until` (told by the EventsDO when a subscriber arrives). */
  listen(until: number): void {
    this.listeningUntil = Math.max(this.listeningUntil, until);
    this.answerUntil = Math.max(this.answerUntil, until);
  }

  /** Whether the feed listens now: asks the EventsDO only when the last answer has lapsed. */
  async listening(now: number): Promise<boolean> {
    if (now >= this.answerUntil) await this.ask(now);
    return this.listeningUntil > now;
  }

  private ask(now: number): Promise<void> {
    this.asking ??= (async () => {
      const feed = eventsStub(this.env);
      if (!feed) {
        this.answerUntil = Number.POSITIVE_INFINITY;
        return;
      }
      try {
        const answer = await feed.interest(this.queueId);
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

  /**
   * Announces that a worker took these tasks and they began: `task-received`, then
   * `task-started`, through each task's result shard (which orders a task's events). Awaited by
   * begin, so both are on their way before the task can update its state or finish.
   */
  async announceBegun(begun: Array<{ m: TaskMessage; worker: string }>, now: number): Promise<void> {
    const byShard = new Map<number, ResultWrite[]>();
    for (const { m, worker } of begun) {
      const shard = shardOf(this.env, m.id);
      const writes = byShard.get(shard) ?? [];
      byShard.set(shard, writes);
      writes.push(stateWrite(m, "RECEIVED", worker), stateWrite(m, "STARTED", worker, { started_at: now }));
    }
    await Promise.all(
      [...byShard].map(([shard, writes]) =>
        resultShard(this.env, shard)
          .announce(writes)
          .catch((err: unknown) => console.error("edgery: announcing task events failed", err)),
      ),
    );
  }
}
