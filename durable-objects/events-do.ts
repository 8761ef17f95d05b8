/**
 * EventsDO: the live task-event feed. One instance (`events`) holds the open
 * `GET /v1/events` streams and fans each published event out to them.
 *
 * The hot path pays nothing while nobody listens: a ResultDO shard forwards its state changes
 * only while it holds a listening lease, which this object grants to every shard when its first
 * subscriber arrives and renews every keepalive while any remains. With no subscriber the lease
 * lapses (LISTEN_TTL_MS) and shards stop forwarding. A subscriber whose write fails (the client
 * went away) is dropped at once; keepalives find the quiet ones.
 *
 * Queues announce `task-received`/`task-started` only while the feed listens. A queue asks
 * (`interest`) when its last answer lapsed; a queue told "no" is remembered (storage keys
 * `told-no:<queue object id>`) until that answer lapses, and told at once when a subscriber
 * arrives. A Worker running cloudflare-queue tasks cannot be told: it asks `listensNow`, which
 * writes nothing, and its "no" holds only UNTOLD_ANSWER_MS (see src/runtime/event-feed.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { allResultShards } from "../src/runtime/stubs.js";
import { FEED_ANSWER_MS, UNTOLD_ANSWER_MS, type FeedAnswer } from "../src/runtime/event-feed.js";
import { sseComment, sseFrame, type TaskEvent } from "../src/events/task-events.js";
import type { EdgeryEnv } from "../src/runtime/env.js";

/** How often every stream gets a `: keepalive` comment. */
export const KEEPALIVE_MS = 15_000;
/** How long a shard keeps forwarding after the last renewal (several keepalives). */
export const LISTEN_TTL_MS = 4 * KEEPALIVE_MS;

/** Storage key prefix of the queues told "nobody listens", valued with when that answer lapses. */
const TOLD_NO = "told-no:";

/** Most unread chunks a stream may have queued before it is dropped. */
const MAX_BACKLOG = 1000;

const encoder = new TextEncoder();

/** Open event streams. */
export class EventsDO extends DurableObject<EdgeryEnv> {
  private readonly subscribers = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Until when the shards were last told to forward. */
  private listeningUntil = 0;
  private renewing: Promise<void> | null = null;

  /** Opens a stream: answers `text/event-stream` once every shard forwards events. */
  override async fetch(_request: Request): Promise<Response> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.subscribers.add(writer);
    // Every new subscriber grants a fresh lease first: a shard keeps its lease in memory, and one
    // that was evicted since the last grant would otherwise forward nothing to this stream.
    await this.renew();
    this.timer ??= setInterval(() => void this.keepalive(), KEEPALIVE_MS);
    void this.send(writer, sseComment("connected"));
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
    });
  }

  /** Sends events to every stream (called by ResultDO shards). */
  async publish(events: TaskEvent[]): Promise<{ subscribers: number }> {
    if (events.length > 0 && this.subscribers.size > 0) {
      const text = events.map(sseFrame).join("");
      // Not awaited: a slow reader must not hold up the shard; writes queue in order per stream.
      for (const w of this.subscribers) void this.send(w, text);
    }
    return { subscribers: this.subscribers.size };
  }

  /**
   * A queue asks whether the feed listens. Answers until when it listens (0: not now) and
   * until when the answer holds; a "no" is remembered (writes `told-no:<queueId>`) so that a
   * subscriber arriving before it lapses tells that queue.
   */
  async interest(queueId: string): Promise<FeedAnswer> {
    // A queue of another app (its own QUEUE_DO namespace, reaching this feed through a binding
    // with script_name) cannot be told when a subscriber arrives: it is answered as a Worker
    // isolate is, its "no" holding UNTOLD_ANSWER_MS, and nothing is remembered.
    if (!this.reachable(queueId)) return this.answer(UNTOLD_ANSWER_MS);
    const answer = this.answer(FEED_ANSWER_MS);
    if (answer.listeningUntil === 0) await this.ctx.storage.put(`${TOLD_NO}${queueId}`, answer.answerUntil);
    return answer;
  }

  /** Whether a queue object id is of this Worker's QUEUE_DO namespace (so it can be told). */
  private reachable(queueId: string): boolean {
    try {
      this.env.QUEUE_DO.idFromString(queueId);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A Worker isolate asks whether the feed listens (it runs cloudflare-queue tasks and has no
   * queue to be told when a subscriber arrives). Reads memory only: a "no" holds UNTOLD_ANSWER_MS.
   */
  async listensNow(): Promise<FeedAnswer> {
    return this.answer(UNTOLD_ANSWER_MS);
  }

  /** Listening until the lease while a stream is open; else "no" for `noForMs`. */
  private answer(noForMs: number): FeedAnswer {
    const now = Date.now();
    if (this.listeningUntil > now && this.subscribers.size > 0) return { listeningUntil: this.listeningUntil, answerUntil: this.listeningUntil };
    return { listeningUntil: 0, answerUntil: now + noForMs };
  }

  /** How many streams are open. */
  async subscriberCount(): Promise<number> {
    return this.subscribers.size;
  }

  private async send(writer: WritableStreamDefaultWriter<Uint8Array>, text: string): Promise<void> {
    // A reader that stopped reading (MAX_BACKLOG chunks behind) is dropped rather than buffered.
    if (writer.desiredSize !== null && writer.desiredSize < -MAX_BACKLOG) return this.drop(writer);
    try {
      await writer.write(encoder.encode(text));
    } catch {
      this.drop(writer);
    }
  }

  private drop(writer: WritableStreamDefaultWriter<Uint8Array>): void {
    if (!this.subscribers.delete(writer)) return;
    writer.abort().catch(() => undefined);
    if (this.subscribers.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async keepalive(): Promise<void> {
    await Promise.all([...this.subscribers].map((w) => this.send(w, sseComment("keepalive"))));
    if (this.subscribers.size > 0) await this.renew();
  }

  /**
   * Tells every queue that was told "nobody listens" (and still trusts it) that the feed
   * listens until `until`; they ask again when that lapses. Reads and deletes `told-no:*`.
   */
  private async tellQueues(until: number): Promise<void> {
    const told = await this.ctx.storage.list<number>({ prefix: TOLD_NO });
    if (told.size === 0) return;
    const now = Date.now();
    const namespace = this.env.QUEUE_DO;
    await Promise.all(
      [...told]
        // An id of another namespace (remembered by an earlier version) cannot be told: the
        // lookup threw, and the subscriber's request failed with it (500).
        .filter(([key, answerUntil]) => answerUntil > now && this.reachable(key.slice(TOLD_NO.length)))
        .map(([key]) =>
          namespace
            .get(namespace.idFromString(key.slice(TOLD_NO.length)))
            .listen(until)
            .catch((err: unknown) => console.error("edgery: a queue missed the listen lease", err)),
        ),
    );
    // delete() takes at most 128 keys a call.
    const keys = [...told.keys()];
    for (let i = 0; i < keys.length; i += 128) await this.ctx.storage.delete(keys.slice(i, i + 128));
  }

  /** Grants (or renews) every shard's listening lease. */
  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const until = Date.now() + LISTEN_TTL_MS;
      const shards = allResultShards(this.env);
      await Promise.all(shards.map((s) => s.listen(until).catch((err: unknown) => console.error("edgery: a result shard missed the listen lease", err))));
      this.listeningUntil = until;
      await this.tellQueues(until);
    })().finally(() => (this.renewing = null));
    return this.renewing;
  }
}
