/**
 * QueueDO: the source of truth for one queue. Each RPC method is one synchronous SQLite
 * transition; what a transition sets in motion (results, a chain's next step, chord reports,
 * callbacks) goes into the outbox in the same transaction and is carried out afterwards, so an
 * accepted message or a finished task's follow-ups are never lost.
 *
 * Priority is strict: only as many messages are leased as the concurrency window allows, always
 * the highest priority first, FIFO within a priority. Delayed messages (countdown/eta) are not
 * leases, so a long countdown never causes a duplicate delivery.
 *
 * A sharded queue is N of these objects (src/brokers/durable-object-broker.ts): each holds the
 * tasks whose id hashes to it and is told N with every enqueue and setting, so that its window is
 * its part of the queue's concurrency (ceil(concurrency / N)) and its bound its part of
 * max_waiting. Priority is strict within one shard, not across shards.
 */
import { CountedObject } from "./counted-object.js";
import { Receipt } from "./hand-off-receipt.js";
import {
  APPLY_HOLD_MS,
  ALARM_MAX_EPOCH_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_WAITING,
  DEFAULT_PREFETCH,
  QUEUE_BODY_MAX_BYTES,
  RETRY_PACE_MS,
  REVOKED_MEMORY_S,
  SQL_PARAM_BUDGET_BYTES,
  type QueueStats,
  type TaskErrorInfo,
} from "../src/protocol/index.js";
import { hasExpired, readStoredMessage, standInMessage, type TaskMessage, type WireLeasedTask } from "../src/protocol/message.js";
import { sentMessage, type BeginItem, type DeadLetter, type DeadLetterEntry, type EnqueueAnswer, type InspectedRow, type InspectKind, type QueueSettings, type RevokedId, type SentMessage, type SettleItem } from "../src/protocol/rpc.js";
import { outcomeEffects, stateWrite, type Effect } from "../src/canvas/effects.js";
import { retriedMessage } from "../src/worker/retry.js";
import { invalidTaskEnding, payloadTooLargeEnding, queueEnded, stamped, timeLimitEnding, workerLostEnding } from "../src/protocol/outcome.js";
import { acksLateOf, begunEndEffects, endEffects, extendedResult, hardLimitS, revokedOutcome } from "./queue-endings.js";
import { runEffects } from "../src/apply/run-effects.js";
import { jsonSlices, planDeliveries, type DeliveryPlan, type SizedDelivery } from "../src/runtime/pack.js";
import { sendDeliveries, type Unsent } from "../src/runtime/deliver.js";
import { deliveryTarget, directDispatchLimit, goesDirect, type DeliveryTarget } from "../src/runtime/direct-dispatch.js";
import { retryBackoffMs } from "../src/runtime/backoff.js";
import { leaseOf, seqOfLease } from "../src/runtime/lease.js";
import { pruneClocks, RATE_CLOCKS_IN_MEMORY, rateBucket, rateInterval, takeTurn } from "../src/runtime/rate-limit.js";
import { resultStub } from "../src/runtime/stubs.js";
import { dispatchGatherMs, gatherEnough } from "../src/runtime/gather.js";
import { QueueListing } from "./queue-listing.js";
import { announceBegun, FeedListening } from "../src/runtime/event-feed.js";
import { planEnvOf } from "../src/app/plan-env.js";
import { findApp, getApp } from "../src/runtime/app-registry.js";
import { runSettingsOf } from "../src/app/task-settings.js";
import { beginItemOf } from "../src/worker/execute.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import { applyQueueSchema, DISPATCH_DUE_SQL, SEQ_SPAN_SQL, type MessageRow } from "./queue-schema.js";
import { begunLease, expiredLease, HANDED_OFF, HELD_LEASES, heldLeases, renewLeases } from "./queue-leases.js";
import { DEAD_LETTER_SCHEMA, findDeadLetter, listDeadLetters, recordDeadLetter } from "./dead-letter-store.js";
import { QueueOutbox } from "./queue-outbox.js";
import { inspectRows } from "./queue-inspect.js";

/** How long a dispatched lease may wait for its consumer to begin it. */
const PICKUP_TIMEOUT_MS = 30_000;
/**
 * When the alarm checks on waiting messages the pump should already have dispatched: the pump
 * runs after the commit, in memory, so an object lost in between (a crash, a restart, an
 * eviction) would otherwise leave them waiting until the next request reached this queue.
 */
const DISPATCH_SAFETY_MS = 5_000;

/**
 * A dispatch's deliveries, planned in its transaction and sent after the commit: `direct` ones
 * go to a consumer with their tasks begun here (`begun`: those to announce to the event feed).
 */
type DispatchPlan = { deliveries: SizedDelivery[]; direct: boolean; begun: Begun[] };
/** A task begun, as the event feed is told of it (task-received, task-started). */
type Begun = { m: TaskMessage; worker: string };
/** What a dispatch pass has to do (DISPATCH_DUE_SQL): each 1 or 0. */
type DispatchDue = { waiting: number; delayed: number; expiring: number };

/** Thrown inside an enqueue's transaction to roll it back: ids that had to be new and were held. */
class HeldIds extends Error {
  constructor(readonly ids: string[]) {
    super("held ids");
  }
}

/** One queue (or shard of one): messages, leases, the concurrency window and the outbox. */
export class QueueDO extends CountedObject<EdgeryEnv> {
  private readonly sql: SqlStorage;
  private readonly outbox: QueueOutbox;
  private pumping: Promise<void> | null = null;
  /** Whether rows may be held for their apply's release (unknown, so true, until a dispatch looks). */
  private mayHold = true;
  /**
   * An upper bound on the rows of `messages` (null: not known): the last span of seq or exact
   * count, whichever was lower, plus the rows enqueued since (every other write keeps the number
   * or lowers it: a retry deletes its row as it inserts the next). Lets enqueue skip reading the
   * span while the bound leaves room, and the exact count while the span of seq is wider than
   * max_waiting (one old row, e.g. a far eta, keeps it wide for good).
   */
  private heldAtMost: number | null = null;
  /** Rows in `revoked`, kept in memory so the common case (none) costs no query. */
  private revokedCount = 0;
  /** The alarm time last read or set (undefined: not read yet). */
  private alarmAt: number | null | undefined;
  private dirty = false;
  /**
   * Per rate-limit bucket, the earliest start of its next task: kept in `rate_clocks` too (read
   * back after the object was evicted, so a restart does not give a bucket a fresh burst).
   */
  private readonly rateClocks = new Map<string, number>();
  /** Dispatch is due on the pump's next pass (see pump). */
  private wantDispatch = false;
  /** Ends the pump's gather early (see gather); null while it does not gather. */
  private endGather: (() => void) | null = null;
  /** This queue's entry in the directory. */
  private readonly listing: QueueListing;
  /** Whether the event feed listens (task-received/started are announced only then). */
  private readonly feed: FeedListening;
  /** Where direct dispatch hands deliveries (this Worker's EdgeryDelivery), if it exports one. */
  private readonly directTarget: DeliveryTarget | undefined;
  /** The most tasks leased for a dispatch to go direct (EDGERY_DIRECT_DISPATCH; 0: never). */
  private readonly directLimit: number;
  /**
   * Deliveries since this object started: handed `direct` to a consumer, `queued` on the
   * Cloudflare Queue, direct hand-offs whose consumer acknowledged them (`received`), and direct
   * hand-offs that `failed` (counted once their fallback is done; one whose tasks went to the
   * Queue counts in direct, queued and failed).
   */
  readonly dispatched = { direct: 0, queued: 0, failed: 0, received: 0 };

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.outbox = new QueueOutbox(this.sql, env, ctx.storage, endEffects, (id, now) => this.isRevoked(id, now));
    this.listing = new QueueListing(
      env,
      this.sql,
      (k) => this.meta(k) ?? undefined,
      (k, v) => this.setMeta(k, v),
      (revokes) => this.rememberRevoked(revokes),
    );
    const queueId = ctx.id.toString();
    this.feed = new FeedListening((events) => events.interest(queueId));
    this.directTarget = deliveryTarget(ctx, env);
    this.directLimit = directDispatchLimit(env);
    ctx.blockConcurrencyWhile(async () => {
      applyQueueSchema(this.sql);
      this.sql.exec(DEAD_LETTER_SCHEMA);
      this.revokedCount = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revoked").one().n;
    });
  }

  // ---- settings and counters -------------------------------------------------------------

  /** Settings read from `meta`, kept in memory: every write of them goes through setMeta. */
  private readonly settings = new Map<string, string | null>();

  private meta(key: string): string | null {
    const known = this.settings.get(key);
    if (known !== undefined) return known;
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    const value = row ? row.value : null;
    if (key !== "completed" && key !== "failed") this.settings.set(key, value);
    return value;
  }

  private setMeta(key: string, value: string | number | boolean): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, String(value));
    this.settings.set(key, String(value));
  }

  private bump(key: "completed" | "failed", n: number): void {
    if (n > 0) this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + ?", key, String(n), n);
  }

  private get concurrency(): number {
    return Number(this.meta("concurrency") ?? DEFAULT_CONCURRENCY);
  }

  /** How many shards the queue spreads over (as the broker last said; 1 for a queue never sharded). */
  private get shards(): number {
    return Number(this.meta("shards") ?? 1);
  }

  /**
   * Remembers the shard count a broker sent (written only when it changed), and the most this
   * object was ever told (`shards_seen`): a queue whose shards were lowered still has tasks in
   * the dropped ones, and its operations must reach them (see shardsSeen).
   */
  private noteShards(shards: number | undefined): void {
    if (shards === undefined || !Number.isInteger(shards) || shards < 1 || shards === this.shards) return;
    const seen = Math.max(this.shardsSeenNow(), shards);
    this.setMeta("shards", shards);
    if (seen > shards) this.setMeta("shards_seen", seen);
  }

  private shardsSeenNow(): number {
    return Math.max(Number(this.meta("shards_seen") ?? 1), this.shards);
  }

  /**
   * The most shards this queue was ever told it has (its shard 0 is told by every configure and
   * by each send that hashes to it): a queue's operations (stats, pause, purge, revoke, inspect,
   * dead letters) ask that many, so that lowering a queue's `shards` does not strand the tasks of
   * the dropped shards (src/runtime/queue-shards.ts).
   */
  async shardsSeen(): Promise<number> {
    this.requests += 1;
    return this.shardsSeenNow();
  }

  /** This shard's part of the concurrency window: ceil(concurrency / shards). */
  private get window(): number {
    return Math.ceil(this.concurrency / this.shards);
  }

  /** The back-pressure bound: default DEFAULT_MAX_WAITING, or the queue's `max_waiting`; this shard's part of it. */
  private get maxWaiting(): number {
    return Math.ceil(Number(this.meta("max_waiting") ?? DEFAULT_MAX_WAITING) / this.shards);
  }

  /** How many of the queue's tasks one delivery may carry (`prefetch`, 1-100). */
  private get prefetch(): number {
    return Number(this.meta("prefetch") ?? DEFAULT_PREFETCH);
  }

  private get paused(): boolean {
    return this.meta("paused") === "true";
  }

  /** Remembers the queue's name and lists it in the directory (again, if it was taken off while idle). */
  private async register(name: string): Promise<void> {
    await this.listing.list(name);
    if (!this.meta("name")) this.setMeta("name", name);
  }

  private get name(): string {
    return this.meta("name") ?? "default";
  }

  // ---- enqueue ---------------------------------------------------------------------------

  /**
   * Adds messages. Reads: revoked ids (a queue that joins the directory first takes in the ids
   * revoked while their place was unknown, see QueueListing.list). Writes: one row per new id (an
   * id already here is skipped, so a replayed enqueue is harmless); REVOKED results for revoked
   * or expired ones.
   * `shards`: how many shards the queue spreads over (meta `shards`, when it changed).
   * Returns how many were added.
   */
  async enqueue(messages: TaskMessage[], shards?: number): Promise<EnqueueAnswer> {
    this.requests += 1;
    const first = messages[0];
    if (!first) return { added: 0 };
    return this.add(first.queue, messages.map((m) => sentMessage(m)), shards);
  }

  /**
   * {@link enqueue} of messages as a broker sends them (src/brokers/durable-object-broker.ts): the
   * fields the queue reads and each message's JSON, stored as it is (see SentMessage). `queue`:
   * the queue they were sent to (every message's `queue`).
   */
  async enqueueSent(queue: string, messages: SentMessage[], shards?: number, holdMs?: number): Promise<EnqueueAnswer> {
    this.requests += 1;
    if (messages.length === 0) return { added: 0 };
    const hold = typeof holdMs === "number" && holdMs > 0 ? Math.min(holdMs, APPLY_HOLD_MS) : 0;
    return this.add(queue, messages, shards, hold);
  }

  /**
   * Releases messages an apply enqueued held (`enqueueSent`'s `holdMs`): the rest of its apply was
   * enqueued, so they may be dispatched. Ids not held here change nothing.
   */
  async release(ids: string[]): Promise<{ released: number }> {
    this.requests += 1;
    if (!Array.isArray(ids) || ids.length === 0) return { released: 0 };
    const res = this.sql.exec("UPDATE messages SET hold_until = NULL WHERE hold_until IS NOT NULL AND id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
    await this.afterTransition();
    return { released: res.rowsWritten };
  }

  /**
   * The one enqueue behind {@link enqueue} and {@link enqueueSent}. A message marked `unique` (a
   * fresh send's canvas member: src/brokers/broker.ts) must be new here: when this queue still
   * holds its id, nothing of the batch is taken and such ids are answered as `held`.
   */
  private async add(queue: string, messages: SentMessage[], shards: number | undefined, holdMs = 0): Promise<EnqueueAnswer> {
    this.noteShards(shards);
    await this.register(queue);
    // Back-pressure, in O(1): an upper bound on the rows held (heldAtMost) that leaves room needs
    // no read at all. Else the span of seq, which also bounds them (seq grows with every message,
    // and messages leave about in order): two rowid probes. Only when that leaves no room either
    // does the exact count decide; it is taken again only once the rows enqueued since the last
    // one could have filled the queue.
    if (this.heldAtMost === null || this.heldAtMost + messages.length > this.maxWaiting) {
      const span = this.sql.exec<{ n: number | null }>(SEQ_SPAN_SQL).one().n ?? 0;
      this.heldAtMost = Math.min(this.heldAtMost ?? span, span);
      if (this.heldAtMost + messages.length > this.maxWaiting) {
        const exact = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages").one().n;
        this.heldAtMost = exact;
        if (exact + messages.length > this.maxWaiting) {
          // An answer, not a throw: the broker turns it into QueueFullError on the caller's side.
          const where = this.shards > 1 ? `this shard of queue '${queue}' (1 of ${this.shards})` : `queue '${queue}'`;
          return { added: 0, full: `${where} holds ${exact} messages; at most ${this.maxWaiting} (max_waiting)` };
        }
      }
    }
    const now = Date.now();
    const effects: Effect[] = [];
    const rows: Array<[string, number, string, number | null, number | null, number, string]> = [];
    const addedIds: string[] = [];
    // The ids of the batch that must be new here (a fresh send's canvas members, SentMessage's
    // `unique`): one this queue holds already rolls the whole batch back.
    const mustBeNew: string[] = [];
    try {
      this.ctx.storage.transactionSync(() => {
        for (const [id, priority, eta, expires, timeLimited, json, unique] of messages) {
          const revoked = this.isRevoked(id, now);
          if (revoked || hasExpired(expires, now)) {
            effects.push(...endEffects(JSON.parse(json) as TaskMessage, revokedOutcome(revoked ? "revoked" : "expired", now)));
            continue;
          }
          // The body as a JSON string (`->>`): SQLite stores it as is, instead of re-encoding an object.
          rows.push([id, priority, eta !== null && eta > now ? "delayed" : "waiting", eta, expires, timeLimited, json]);
          if (unique === 1) mustBeNew.push(id);
        }
        // One statement for the whole batch (in order, so seq keeps FIFO); an id already here is
        // skipped, and RETURNING names what was really added.
        // A bound string may be at most 2 MB in a Durable Object's SQLite: insert in slices of ~1 MB.
        for (const slice of jsonSlices(rows, SQL_PARAM_BUDGET_BYTES)) {
          const cursor = this.sql.exec<{ id: string }>(
            `INSERT INTO messages (id, priority, state, eta, expires, time_limited, body, hold_until)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, ?2
             FROM json_each(?1) WHERE true ORDER BY key
             ON CONFLICT (id) DO NOTHING RETURNING id`,
            slice,
            holdMs > 0 ? now + holdMs : null,
          );
          for (const r of cursor) addedIds.push(r.id);
        }
        if (addedIds.length < rows.length && mustBeNew.length > 0) {
          const fresh = new Set(addedIds);
          const held = mustBeNew.filter((id) => !fresh.has(id));
          if (held.length > 0) throw new HeldIds(held);
        }
        this.outbox.add(effects);
      });
    } catch (err) {
      // Thrown inside the transaction, which rolled back: nothing of the batch was taken.
      if (err instanceof HeldIds) return { added: 0, held: err.ids };
      throw err;
    }
    const added = addedIds.length;
    if (this.heldAtMost !== null) this.heldAtMost += added;
    if (holdMs > 0 && added > 0) this.mayHold = true;
    await this.afterTransition();
    const staged = holdMs > 0 ? { staged: true } : {};
    if (added === rows.length) return { added, ...staged };
    // Ids this queue already held (the same task sent again): not added, and not the sender's to cancel.
    const fresh = new Set(addedIds);
    return { added, skipped: rows.filter((r) => !fresh.has(r[0])).map((r) => r[0]), ...staged };
  }

  /** The ids among `ids` this object holds (a message sent and not ended: waiting, delayed or leased). */
  async holding(ids: string[]): Promise<string[]> {
    this.requests += 1;
    return this.sql.exec<{ id: string }>("SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids)).toArray().map((r) => r.id);
  }

  /** Removes waiting or delayed messages again (undo of a canvas that could not be fully enqueued). */
  async cancel(ids: string[]): Promise<{ removed: number }> {
    this.requests += 1;
    const res = this.sql.exec("DELETE FROM messages WHERE state != 'leased' AND id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
    await this.scheduleAlarm();
    return { removed: res.rowsWritten };
  }

  // ---- dispatch ----------------------------------------------------------------------------

  /**
   * Leases as many ready messages as the window allows, highest priority first, and sends them
   * to the Cloudflare Queue, packed by the queue's prefetch and sized in bytes as sent. A message
   * no Queue message can carry fails alone; a send that fails gives its leases back and is tried
   * again from the alarm, with backoff. Skipped while such a backoff runs. While the queue is
   * nearly idle (src/runtime/direct-dispatch.ts) the deliveries go straight to a consumer instead.
   * Returns false when it changed nothing (a backoff runs, or nothing was due).
   */
  private async dispatch(): Promise<boolean> {
    const now = Date.now();
    if (this.sendBackoffUntil(now) > now) return false;
    // With no subscriber this costs nothing (at most one call per FEED_ANSWER_MS): see begin.
    const announce = await this.feed.listening(this.env, now);
    // A direct hand-off's tasks are announced as they are begun here: what the outbox holds (a
    // retried task's RETRY write, say) is carried out first, so that a task's events keep their
    // order (task-retried, then the next run's task-received).
    if (announce) while (await this.outbox.flushOnce(now));
    const plan = this.ctx.storage.transactionSync(() => this.leaseDue(now, announce));
    if (plan === null) return false;
    await this.deliver(plan, now);
    return true;
  }

  /**
   * Dispatch's work inside its transaction: promotes and expires what is due, leases the window
   * and plans the deliveries (sent once the transaction commits, by {@link deliver}). Null when
   * nothing was waiting or due (nothing changed). A direct hand-off's tasks are begun here, as a
   * consumer's begin would (beginLeased): its consumer runs them without a begin of its own
   * (`DeliveryBody.begun`), as Celery's worker acknowledges a message as it receives it.
   * Reads/writes: messages, outbox.
   */
  private leaseDue(now: number, announce: boolean): DispatchPlan | null {
    // One probe first: a pass with nothing waiting and nothing delayed due (the pass after a
    // settle, on an idle queue) has nothing to promote, expire or lease.
    const due = this.sql.exec<DispatchDue>(DISPATCH_DUE_SQL, now).one();
    if (!due.waiting && !due.delayed) return null;
    this.promoteAndExpire(now, due);
    if (this.mayHold) this.releaseLapsedHolds(now);
    if (this.paused) return { deliveries: [], direct: false, begun: [] };
    // The delivery names this object, so the consumer begins and settles here, whatever shard
    // the task's id would hash to now (the queue's shard count may have changed since).
    const window = this.leaseWindow(now);
    const planned = planDeliveries(this.name, window.tasks, this.prefetch, this.ctx.id.toString());
    this.failOversize(planned.tooBig, now);
    const direct = this.directTarget !== undefined && goesDirect(window.leasedAfter, this.directLimit);
    if (!direct) return { deliveries: planned.deliveries, direct, begun: [] };
    const begun: Begun[] = [];
    return { deliveries: this.beginHandedOff(planned.deliveries, now, announce, begun), direct, begun };
  }

  /**
   * Releases held rows whose apply did not release them in time (its Worker gone: the apply's
   * messages run, as the first of them may already have), and learns whether any stay held.
   */
  private releaseLapsedHolds(now: number): void {
    this.sql.exec("UPDATE messages SET hold_until = NULL WHERE hold_until IS NOT NULL AND hold_until <= ?", now);
    this.mayHold = this.sql.exec<{ n: number }>("SELECT EXISTS (SELECT 1 FROM messages WHERE hold_until IS NOT NULL) AS n").one().n === 1;
  }

  /**
   * Begins the tasks of deliveries about to be handed straight to a consumer, with the settings
   * their consumer would begin them with (runSettingsOf: the hard limit's lease, track_started),
   * as handed off (`started` 2: the consumer confirms them before it runs them, see
   * confirmHandOff), and returns the deliveries marked `begun`, without the tasks begin dropped (revoked
   * meanwhile) and without those left empty. Inside the dispatch's transaction.
   */
  private beginHandedOff(deliveries: SizedDelivery[], now: number, announce: boolean, begun: Begun[]): SizedDelivery[] {
    const app = findApp();
    const worker = app?.name ?? "edgery";
    const effects: Effect[] = [];
    // A task whose message cannot be read is ended here (messageOf) and so is not begun.
    const items = deliveries.flatMap((d) =>
      d.body.tasks.flatMap((t) => {
        const m = this.messageOf(seqOfLease(t.lease), t.body, now, effects);
        return m ? [beginItemOf(t.lease, m, runSettingsOf(app, m), worker)] : [];
      }),
    );
    const run = new Set(this.beginLeased(items, now, announce, effects, begun, HANDED_OFF).filter((b) => b.action === "run").map((b) => b.lease));
    this.outbox.add(effects);
    return deliveries
      .map((d) => ({ ...d, body: { ...d.body, begun: now, tasks: d.body.tasks.filter((t) => run.has(t.lease)) } }))
      .filter((d) => d.body.tasks.length > 0);
  }

  /**
   * Sends a committed plan's deliveries: straight to a consumer (direct; the feed hears of their
   * tasks first, as after a consumer's begin), else to the Cloudflare Queue (what a send could not
   * take is given back, see sent). Returns true when a send failed (a backoff was set: the alarm
   * must be set again).
   */
  private async deliver(plan: DispatchPlan, now: number): Promise<boolean> {
    const { deliveries } = plan;
    if (plan.begun.length > 0) await announceBegun(this.env, plan.begun, now);
    if (deliveries.length === 0) return false;
    if (plan.direct && this.directTarget) {
      for (const d of deliveries) this.handDirect(this.directTarget, d);
      return false;
    }
    const unsent = await sendDeliveries(this.env.TASKS, deliveries);
    const failed = new Set(unsent?.tasks.map((t) => t.lease));
    this.dispatched.queued += deliveries.filter((d) => !failed.has(d.body.tasks[0]!.lease)).length;
    this.sent(unsent, now);
    return unsent !== null;
  }

  /**
   * Hands one delivery straight to a consumer invocation (EdgeryDelivery.run), not awaited: the
   * pump goes on while the call stays open for the delivery's life. The body and its leases are
   * what the Queue would carry, its tasks begun here (see leaseDue), so settle and the lease
   * deadlines work as for a Queue message. When the hand-off fails before its consumer got it
   * (no receipt), its tasks are given back and go to the Queue; once the consumer got it, they
   * are left to their leases, as when a Queue consumer is lost.
   */
  private handDirect(target: DeliveryTarget, delivery: SizedDelivery): void {
    this.dispatched.direct += 1;
    const leases = delivery.body.tasks.map((t) => t.lease);
    const receipt = new Receipt(() => {
      this.dispatched.received += 1;
      return this.confirmHandOff(leases);
    });
    let call: Promise<void>;
    try {
      call = target.run(delivery.body, receipt);
    } catch (err) {
      call = Promise.reject(err);
    }
    call.catch(async (err: unknown) => {
      try {
        if (receipt.got) {
          console.error("edgery: a direct delivery failed after its consumer got it; its tasks are left to their leases", err);
        } else {
          console.error("edgery: direct hand-off failed; sending the delivery to the Queue", err);
          await this.requeue(delivery);
        }
      } catch (sendErr) {
        console.error("edgery: sending a failed hand-off to the Queue failed; its leases return at their deadline", sendErr);
      }
      this.dispatched.failed += 1;
    });
  }

  /**
   * A direct hand-off's consumer confirms its delivery before it runs anything (its Receipt):
   * the delivery's tasks still handed off (`started` 2) become begun (1), and their leases are
   * answered: the consumer runs those only. A task revoked since the hand-off ends REVOKED here
   * instead (it never ran); one whose lease is gone (terminated, or given back at its deadline)
   * is not answered. The answer is given once the change is on disk (storage.sync), so a task
   * runs only once its queue knows it began: a crash before then leaves it handed off, and its
   * lease's end gives it back to run, not WorkerLostError.
   * Reads/writes the delivery's rows (and the outbox, for a revoked one).
   */
  private async confirmHandOff(leases: string[]): Promise<string[]> {
    const now = Date.now();
    const effects: Effect[] = [];
    const answer = this.ctx.storage.transactionSync(() => {
      // One statement in the common case: the held, handed-off tasks become begun.
      const rows = this.sql
        .exec<Pick<MessageRow, "seq" | "id" | "lease">>(
          `UPDATE messages SET started = 1 WHERE ${HELD_LEASES} AND started = ?3 RETURNING seq, id, lease`,
          ...heldLeases(leases),
          HANDED_OFF,
        )
        .toArray();
      // A task revoked since it was handed off is ended instead (its body read only then).
      const dropped = new Set<number>();
      for (const row of rows) {
        if (!this.isRevoked(row.id, now)) continue;
        dropped.add(row.seq);
        this.endUnrun(row.seq, "revoked", now, effects);
      }
      this.deleteSeqs([...dropped]);
      this.outbox.add(effects);
      return rows.filter((r) => !dropped.has(r.seq)).map((r) => r.lease!);
    });
    await this.ctx.storage.sync();
    // A revoked task ended here: its follow-ups are carried out, and its room in the window used.
    if (effects.length > 0) void this.afterTransition();
    return answer;
  }

  /**
   * Sends the tasks of a hand-off no consumer got to the Queue, as dispatch would: this queue
   * began them for it (leaseDue), so they are first given back (not begun, the delivery not
   * counted); then every task of the delivery still leased goes, under the same lease, in a body
   * without `begun` (the Queue's consumer begins them itself).
   */
  private async requeue(delivery: SizedDelivery): Promise<void> {
    const { begun: _begun, ...rest } = delivery.body;
    const leases = rest.tasks.map((t) => t.lease);
    const unbegun = new Set(
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          `UPDATE messages SET started = 0, deliveries = deliveries - 1, lease_end = NULL, deadline = ?3 WHERE ${HELD_LEASES} AND started = ?4`,
          ...heldLeases(leases),
          Date.now() + PICKUP_TIMEOUT_MS,
          HANDED_OFF,
        );
        return this.sql
          .exec<{ lease: string }>(`SELECT lease FROM messages WHERE ${HELD_LEASES} AND started = 0`, ...heldLeases(leases))
          .toArray()
          .map((r) => r.lease);
      }),
    );
    if (unbegun.size === 0) return;
    // A subset of the tasks is no larger than the delivery was: its size still bounds the send.
    const body = { ...rest, tasks: rest.tasks.filter((t) => unbegun.has(t.lease)) };
    const unsent = await sendDeliveries(this.env.TASKS, [{ body, bytes: delivery.bytes }]);
    if (!unsent) this.dispatched.queued += 1;
    this.sent(unsent, Date.now());
    if (unsent) await this.scheduleAlarm();
  }

  /**
   * Due delayed messages become waiting; waiting ones past `expires` end REVOKED. `due` says which
   * of the two there is to do (a promoted message may be past `expires` too). Reads/writes:
   * messages, outbox.
   */
  private promoteAndExpire(now: number, due: DispatchDue): void {
    if (due.delayed) this.sql.exec("UPDATE messages SET state = 'waiting' WHERE state = 'delayed' AND eta <= ?", now);
    else if (!due.expiring) return;
    const effects: Effect[] = [];
    for (const row of this.sql.exec<MessageRow>("SELECT * FROM messages WHERE state = 'waiting' AND expires IS NOT NULL AND expires <= ?", now).toArray()) {
      const m = this.messageOf(row.seq, row.body, now, effects);
      if (!m) continue;
      effects.push(...endEffects(m, revokedOutcome("expired", now)));
      this.sql.exec("DELETE FROM messages WHERE seq = ?", row.seq);
    }
    this.outbox.add(effects);
  }

  /**
   * Leases the free part of the window (each lease is a dispatch token plus the row's seq) and
   * returns the leased tasks in dispatch order, with how many the queue then has leased (those
   * included); a rate-limited message whose turn has not come goes back to delayed instead.
   * Two statements: a read of the waiting rows in order (the messages_waiting index), then one
   * UPDATE of their seqs. One `UPDATE … WHERE seq IN (ordered subquery) RETURNING` cost about 2.5
   * times as much for a single row (`bench/sql-turns.mjs` style probes; about 130 µs against 50 in
   * the dev server), as SQLite materializes both the subquery and the returned rows.
   * Reads/writes: messages, rate_clocks.
   */
  private leaseWindow(now: number): { tasks: WireLeasedTask[]; leasedAfter: number } {
    const inFlight = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE state = 'leased'").one().n;
    const free = this.window - inFlight;
    if (free <= 0) return { tasks: [], leasedAfter: inFlight };
    const token = crypto.randomUUID();
    const deadline = now + PICKUP_TIMEOUT_MS;
    const rows = this.sql
      .exec<{ seq: number; redelivered: number; body: string }>(
        "SELECT seq, redelivered, body FROM messages WHERE state = 'waiting' AND hold_until IS NULL ORDER BY priority DESC, seq LIMIT ?",
        free,
      )
      .toArray();
    if (rows.length > 0) {
      this.sql.exec(
        "UPDATE messages SET state = 'leased', lease = j.value ->> 1, deadline = ?, started = 0, acked = 0 FROM json_each(?) AS j WHERE messages.seq = j.value ->> 0",
        deadline,
        JSON.stringify(rows.map((r) => [r.seq, leaseOf(token, r.seq)])),
      );
    }
    const leased: WireLeasedTask[] = [];
    for (const row of rows) {
      if (mayBeRateLimited(row.body) && this.rateLimited(row.seq, row.body, now)) {
        // Its place in the window is free again: the pump makes another pass for the rest.
        this.wantDispatch = true;
        this.dirty = true;
        continue;
      }
      leased.push({ lease: leaseOf(token, row.seq), deadline, body: row.body, redelivered: row.redelivered === 1 });
    }
    return { tasks: leased, leasedAfter: inFlight + leased.length };
  }

  /**
   * Leased messages no Queue message can carry (made at run time, e.g. a chain step given a huge
   * result): each fails alone with PayloadTooLarge, as a dead letter, instead of failing every
   * send that carries it. Reads/writes: messages, dead_letters, outbox, meta.
   */
  private failOversize(tooBig: DeliveryPlan["tooBig"], now: number): void {
    if (tooBig.length === 0) return;
    const effects: Effect[] = [];
    let failed = 0;
    for (const { task, bytes } of tooBig) {
      const m = this.messageOf(seqOfLease(task.lease), task.body, now, effects);
      if (!m) continue;
      failed += 1;
      effects.push(...endEffects(m, recordDeadLetter(this.sql, m, queueEnded(payloadTooLargeEnding(bytes, QUEUE_BODY_MAX_BYTES), now))));
    }
    this.deleteSeqs(tooBig.map(({ task }) => seqOfLease(task.lease)));
    this.bump("failed", failed);
    this.outbox.add(effects);
  }

  /**
   * After a dispatch's sends: what did not go out is given back (waiting again) and the next try
   * waits a doubling backoff, kept in `meta` and due by the alarm; a send that went out clears it.
   */
  private sent(unsent: Unsent | null, now: number): void {
    const failures = Number(this.meta("send_failures") ?? 0);
    if (!unsent) {
      if (failures > 0) this.setMeta("send_failures", 0);
      return;
    }
    this.sql.exec(
      `UPDATE messages SET state = 'waiting', lease = NULL, deadline = NULL WHERE ${HELD_LEASES} AND started = 0`,
      ...heldLeases(unsent.tasks.map((t) => t.lease)),
    );
    this.setMeta("send_failures", failures + 1);
    this.setMeta("send_retry_at", now + retryBackoffMs(failures + 1));
    console.error(`edgery: sending to the Queue failed (${failures + 1} in a row); leases returned, retried from the alarm`, unsent.error);
  }

  /** Until when dispatch waits after failed sends (0: it does not); a backoff that is over is cleared. */
  private sendBackoffUntil(now: number): number {
    const until = Number(this.meta("send_retry_at") ?? 0);
    if (until > 0 && until <= now) this.setMeta("send_retry_at", 0);
    return until;
  }

  /**
   * Rate limit (Celery's `rate_limit`) at dispatch: a message whose bucket's turn has not come
   * goes back to `delayed` until the slot it is given (its slot is kept, so it does not queue
   * again when it comes back). A shard of a queue of N keeps one in N of the rate (its tasks are
   * one in N of the queue's, by their ids' hash). Returns true when the message was held back.
   */
  private rateLimited(seq: number, body: string, now: number): boolean {
    // A message that cannot be read is not held back: whatever reads it next ends it (messageOf).
    const m = readStoredMessage(body);
    if (!m) return false;
    const interval = rateInterval(m.options.rate_limit);
    if (interval === null || (m.options.rate_slot !== undefined && m.options.rate_slot <= now)) return false;
    const bucket = rateBucket(m);
    if (this.rateClocks.size >= RATE_CLOCKS_IN_MEMORY) pruneClocks(this.rateClocks, now);
    if (!this.rateClocks.has(bucket)) {
      const stored = this.sql.exec<{ next_at: number }>("SELECT next_at FROM rate_clocks WHERE bucket = ?", bucket).toArray()[0];
      if (stored) this.rateClocks.set(bucket, stored.next_at);
    }
    // A shard takes its part of the queue's rate, as of its window: one in `shards` of the slots.
    const at = takeTurn(this.rateClocks, bucket, interval * this.shards, now);
    this.sql.exec(
      "INSERT INTO rate_clocks (bucket, next_at) VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE SET next_at = excluded.next_at",
      bucket,
      this.rateClocks.get(bucket)!,
    );
    if (at <= now) return false;
    const held: TaskMessage = { ...m, options: { ...m.options, rate_slot: at } };
    this.sql.exec("UPDATE messages SET state = 'delayed', eta = ?, lease = NULL, deadline = NULL, body = ? WHERE seq = ?", at, JSON.stringify(held), seq);
    return true;
  }

  // ---- consumer calls --------------------------------------------------------------------

  /**
   * A consumer begins leased tasks. For each: `run` (the lease ends at the hard limit, or the
   * visibility timeout, and lives as long as the consumer's heartbeats: see queue-leases.ts; a
   * first begin counts a delivery) or `skip` (revoked, expired, or the lease is no longer held).
   */
  async begin(items: BeginItem[]): Promise<Array<{ lease: string; action: "run" | "skip" }>> {
    this.requests += 1;
    const now = Date.now();
    const effects: Effect[] = [];
    const out: Array<{ lease: string; action: "run" | "skip" }> = [];
    // With no subscriber this costs nothing per task (at most one call per FEED_ANSWER_MS).
    const announce = items.length > 0 && (await this.feed.listening(this.env, now));
    const begun: Begun[] = [];
    this.ctx.storage.transactionSync(() => {
      out.push(...this.beginLeased(items, now, announce, effects, begun));
      this.outbox.add(effects);
    });
    // task-received and task-started reach the feed before the tasks can change state.
    if (begun.length > 0) await announceBegun(this.env, begun, now);
    // Beginning frees no room in the window: only the outbox (STARTED, revoked) needs the pump.
    await this.afterTransition(false);
    return out;
  }

  /**
   * Begin's work inside the caller's transaction, for a consumer's begin and for a direct
   * hand-off the queue begins itself (see leaseDue): each held, live task gets its lease (see
   * begunLease) and `run`; a revoked or expired one is removed and ended (its effects pushed to
   * `effects`), a lease no longer held is `skip`. Tasks to announce (track_started, or while the
   * feed listens) are pushed to `effects` and `begun`.
   */
  private beginLeased(items: BeginItem[], now: number, announce: boolean, effects: Effect[], begun: Begun[], started: 1 | typeof HANDED_OFF = 1): Array<{ lease: string; action: "run" | "skip" }> {
    const out: Array<{ lease: string; action: "run" | "skip" }> = [];
    // The bodies are read only for the rare tasks that need them (revoked, expired,
    // track_started, and while the event feed listens).
    const held = this.leasedRows(items, "seq, id, lease, expires");
    const dropped: number[] = [];
    const renew = new Map<string, number[]>();
    for (const item of items) {
      const row = held.get(item.id);
      if (!row) {
        out.push({ lease: item.lease, action: "skip" });
        continue;
      }
      const expired = hasExpired(row.expires, now);
      if (expired || this.isRevoked(item.id, now)) {
        out.push({ lease: item.lease, action: "skip" });
        if (this.endUnrun(row.seq, expired ? "expired" : "revoked", now, effects)) dropped.push(row.seq);
        continue;
      }
      if (item.trackStarted || announce) {
        const m = this.messageOf(row.seq, this.bodyOf(row.seq), now, effects);
        if (!m) {
          out.push({ lease: item.lease, action: "skip" });
          continue;
        }
        if (item.trackStarted) effects.push({ kind: "store", write: stateWrite(m, "STARTED", item.worker, { started_at: now }) });
        if (announce) begun.push({ m, worker: item.worker });
      }
      const lease = begunLease(now, item.timeLimitMs);
      const key = `${lease.leaseEnd}:${lease.deadline}:${lease.limited}`;
      const seqs = renew.get(key);
      if (seqs) seqs.push(row.seq);
      else renew.set(key, [row.seq]);
      out.push({ lease: item.lease, action: "run" });
    }
    this.deleteSeqs(dropped);
    for (const [key, seqs] of renew) {
      const [leaseEnd, deadline, limited] = key.split(":").map(Number);
      // A first begin counts a delivery and stamps its start (a repeated begin of the same lease
      // does neither, nor the consumer's begin of a task its queue handed off: SET reads the row
      // as it was, `started` still 0 only on a first begin).
      this.sql.exec(
        "UPDATE messages SET deliveries = deliveries + (started = 0), started_at = CASE started WHEN 0 THEN ? ELSE started_at END, started = ?, lease_end = ?, deadline = ?, time_limited = ? WHERE seq IN (SELECT value FROM json_each(?))",
        now,
        started,
        leaseEnd,
        deadline,
        limited,
        JSON.stringify(seqs),
      );
    }
    return out;
  }

  /** The event feed listens until `until` (called by the EventsDO when a subscriber arrives). */
  async listen(until: number): Promise<void> {
    this.requests += 1;
    this.feed.listen(until);
  }

  /**
   * A consumer's heartbeat for its running tasks: proves their worker alive (renews the liveness
   * lease of the held ones, see renewLeases) and answers which leases are no longer held (revoked
   * with terminate, or expired): the consumer aborts those. Reads and writes the leased rows.
   */
  async heartbeat(leases: Array<{ id: string; lease: string }>): Promise<string[]> {
    this.requests += 1;
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const held = this.leasedRows(leases, "seq, id, lease, started, deadline, lease_end");
      renewLeases(this.sql, [...held.values()], now);
      return leases.filter((l) => !held.has(l.id)).map((l) => l.lease);
    });
  }

  /** Manual acknowledgement: the message will not be redelivered if its consumer is lost. */
  async acknowledge(id: string, lease: string): Promise<boolean> {
    this.requests += 1;
    const res = this.sql.exec("UPDATE messages SET acked = 1 WHERE id = ? AND lease = ? AND state = 'leased'", id, lease);
    return res.rowsWritten > 0;
  }

  /**
   * Settles leased tasks, fenced: a stale lease, or one past its hard limit (`lease_end`), is refused
   * (a hard-limited one is failed with TimeLimitExceeded instead). Success and failure delete the
   * message and count; a retry puts it back (same id, retries + 1) after its countdown. An item
   * marked `stored` had its result written by its consumer (src/worker/pre-write.ts): an accepted
   * settle records everything else as usual but does not write that result again.
   */
  async settle(items: SettleItem[]): Promise<{ accepted: string[]; refused: string[] }> {
    this.requests += 1;
    const now = Date.now();
    const accepted: string[] = [];
    const refused: string[] = [];
    const effects: Effect[] = [];
    let completed = 0;
    let failed = 0;
    this.ctx.storage.transactionSync(() => {
      const held = this.leasedRows(items, "seq, id, lease, lease_end, time_limited, body");
      const done: number[] = [];
      for (const item of items) {
        const row = held.get(item.id);
        if (!row) {
          refused.push(item.id);
          continue;
        }
        const m = this.messageOf(row.seq, row.body, now, effects);
        if (!m) {
          refused.push(item.id);
          continue;
        }
        if (row.time_limited === 1 && row.lease_end !== null && row.lease_end < now) {
          refused.push(item.id);
          done.push(row.seq);
          const outcome = stamped(timeLimitEnding(hardLimitS(m)), { worker: item.worker, startedAt: item.startedAt, doneAt: now });
          effects.push(...outcomeEffects(m, recordDeadLetter(this.sql, m, outcome), item.resultExpires, extendedResult(m.task)));
          failed += 1;
          continue;
        }
        accepted.push(item.id);
        const o = item.outcome;
        if (o.kind === "retry") {
          // A retry due at once waits RETRY_PACE_MS for the alarm (see there).
          const retried = retriedMessage(m, Math.max(o.countdownS, RETRY_PACE_MS / 1000), now);
          this.deleteSeqs([row.seq]);
          this.sql.exec(
            "INSERT INTO messages (id, priority, state, eta, expires, time_limited, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            m.id,
            m.priority,
            retried.eta !== null ? "delayed" : "waiting",
            retried.eta,
            m.expires,
            row.time_limited,
            JSON.stringify(retried),
          );
          effects.push({ kind: "store", write: stateWrite(m, "RETRY", item.worker, { error: o.error, result: null }) });
          continue;
        }
        done.push(row.seq);
        const outcome = stamped(o, item);
        if (o.kind === "success") completed += 1;
        else if (o.state === "FAILURE") failed += 1;
        // A result its consumer wrote already is not written again (its follow-ups still are).
        effects.push(...outcomeEffects(m, recordDeadLetter(this.sql, m, outcome), item.resultExpires, extendedResult(m.task), item.stored === true));
      }
      this.deleteSeqs(done);
      this.bump("completed", completed);
      this.bump("failed", failed);
      this.outbox.add(effects);
    });
    await this.afterTransition();
    return { accepted, refused };
  }

  /**
   * A row's stored message, or null when it cannot be read (readStoredMessage): then the row is
   * deleted and its task ended FAILURE InvalidTaskError (the effects pushed to `effects`,
   * counted failed, logged), so that one damaged row never stops the alarm, a dispatch, a
   * settle or a revoke. Inside the caller's transaction.
   */
  private messageOf(seq: number, body: string, now: number, effects: Effect[]): TaskMessage | null {
    const m = readStoredMessage(body);
    if (m) return m;
    const id = this.sql.exec<{ id: string }>("SELECT id FROM messages WHERE seq = ?", seq).toArray()[0]?.id;
    this.deleteSeqs([seq]);
    if (id === undefined) return null;
    console.error(`edgery: queue '${this.name}' ended task ${id} as InvalidTaskError: its stored message is not a task message`);
    effects.push(...endEffects(standInMessage(id, this.name), queueEnded(invalidTaskEnding(), now)));
    this.bump("failed", 1);
    return null;
  }

  /** The stored message JSON of row `seq` (read only where a task needs its body). */
  private bodyOf(seq: number): string {
    return this.sql.exec<{ body: string }>("SELECT body FROM messages WHERE seq = ?", seq).one().body;
  }

  /**
   * Ends a leased task that never ran (revoked, or expired, before it began) REVOKED: its body is
   * read and its effects pushed to `effects`; the caller deletes the row. False when its message
   * could not be read (messageOf ended it, InvalidTaskError, and deleted the row already).
   */
  private endUnrun(seq: number, why: "revoked" | "expired", now: number, effects: Effect[]): boolean {
    const m = this.messageOf(seq, this.bodyOf(seq), now, effects);
    if (m) effects.push(...endEffects(m, revokedOutcome(why, now)));
    return m !== null;
  }

  /** The rows these (id, lease) pairs still hold, by id: one query for a whole batch (`columns` name id and lease). */
  private leasedRows(items: Array<{ id: string; lease: string }>, columns = "*"): Map<string, MessageRow> {
    // A lease is "<dispatch token>:<seq>": one rowid probe per item, no index on the way.
    const rows = this.sql
      .exec<MessageRow>(
        `SELECT ${columns} FROM messages WHERE seq IN (SELECT value FROM json_each(?)) AND state = 'leased'`,
        JSON.stringify(items.map((i) => seqOfLease(i.lease))),
      )
      .toArray();
    const leases = new Map(items.map((i) => [i.id, i.lease]));
    return new Map(rows.filter((r) => r.lease === leases.get(r.id)).map((r) => [r.id, r]));
  }

  private deleteSeqs(seqs: number[]): void {
    if (seqs.length > 0) this.sql.exec("DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?))", JSON.stringify(seqs));
  }

  private leasedRow(id: string, lease: string): MessageRow | undefined {
    return this.sql.exec<MessageRow>("SELECT * FROM messages WHERE id = ? AND lease = ? AND state = 'leased'", id, lease).toArray()[0];
  }

  // ---- revoke, settings, stats -----------------------------------------------------------

  private isRevoked(id: string, now: number): boolean {
    if (this.revokedCount === 0) return false;
    return this.sql.exec("SELECT 1 FROM revoked WHERE id = ? AND until > ?", id, now).toArray().length > 0;
  }

  /**
   * Remembers ids revoked elsewhere (handed over by the directory when this queue joins it), each
   * until its own time, so a message with one of them is dropped when it arrives. Writes `revoked`.
   */
  private rememberRevoked(revokes: RevokedId[]): void {
    if (revokes.length === 0) return;
    this.ctx.storage.transactionSync(() => {
      for (const slice of jsonSlices(revokes.map((r) => [r.id, r.until]), SQL_PARAM_BUDGET_BYTES)) {
        this.sql.exec(
          `INSERT INTO revoked (id, until) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
           ON CONFLICT (id) DO UPDATE SET until = MAX(until, excluded.until)`,
          slice,
        );
      }
      this.revokedCount = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revoked").one().n;
    });
  }

  /**
   * Revokes ids: a waiting or delayed message is removed and ends REVOKED; a running one is
   * stopped only with `terminate` (its lease is dropped, its consumer aborts it at its next
   * await); every id is remembered, so a message that arrives later is dropped.
   * Returns the ids this queue ended.
   */
  async revoke(ids: string[], terminate: boolean): Promise<{ revoked: string[] }> {
    this.requests += 1;
    const now = Date.now();
    const revoked: string[] = [];
    const effects: Effect[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) {
        this.sql.exec("INSERT INTO revoked (id, until) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until", id, now + REVOKED_MEMORY_S * 1000);
        this.revokedCount += 1;
        const row = this.sql.exec<MessageRow>("SELECT * FROM messages WHERE id = ?", id).toArray()[0];
        if (!row || (row.state === "leased" && !terminate)) continue;
        const m = this.messageOf(row.seq, row.body, now, effects);
        if (!m) continue;
        this.sql.exec("DELETE FROM messages WHERE seq = ?", row.seq);
        const outcome = revokedOutcome(row.state === "leased" ? "terminated" : "revoked", now);
        // A begun task may have finished, its result written ahead: the ending is claimed.
        effects.push(...(row.started === 1 ? begunEndEffects(m, outcome) : endEffects(m, outcome)));
        revoked.push(id);
      }
      this.outbox.add(effects);
    });
    await this.afterTransition();
    return { revoked };
  }

  /**
   * Sets concurrency, paused, max_waiting and/or prefetch (the queue's, as a whole: a shard takes
   * its part of concurrency and max_waiting); `shards` as in enqueue. Returns this object's stats.
   */
  async configure(name: string, settings: QueueSettings, shards?: number): Promise<QueueStats> {
    this.requests += 1;
    this.noteShards(shards);
    await this.register(name);
    if (settings.concurrency !== undefined) this.setMeta("concurrency", settings.concurrency);
    if (settings.paused !== undefined) this.setMeta("paused", settings.paused);
    if (settings.max_waiting !== undefined) this.setMeta("max_waiting", settings.max_waiting);
    if (settings.prefetch !== undefined) this.setMeta("prefetch", settings.prefetch);
    await this.afterTransition();
    return this.counts(name);
  }

  /** Drops every waiting message; delayed and leased ones are untouched. */
  async purge(name: string): Promise<{ purged: number }> {
    this.requests += 1;
    // A queue never used holds nothing: purging it does not list it.
    if (!this.meta("name")) return { purged: 0 };
    await this.register(name);
    const res = this.sql.exec("DELETE FROM messages WHERE state = 'waiting'");
    await this.scheduleAlarm();
    return { purged: res.rowsWritten };
  }

  /** Dead letters, newest first, below `bound` (see src/dead-letters/cursor.ts). */
  async deadLetters(name: string, bound: { at: number; seq: number }, limit: number): Promise<DeadLetterEntry[]> {
    this.requests += 1;
    return listDeadLetters(this.sql, this.meta("name") ?? name, bound, limit);
  }

  /** The newest dead letter of a task id, or null. */
  async deadLetter(name: string, id: string): Promise<DeadLetter | null> {
    this.requests += 1;
    return findDeadLetter(this.sql, this.meta("name") ?? name, id);
  }

  /**
   * Up to `limit` of the queue's begun (`active`) or delayed (`scheduled`) rows, for
   * `GET /v1/inspect/*`. One read of `messages`; writes nothing.
   */
  async inspect(name: string, kind: InspectKind, limit: number): Promise<InspectedRow[]> {
    this.requests += 1;
    return inspectRows(this.sql, this.meta("name") ?? name, kind, limit);
  }

  /** The queue's counts (this shard's, for a sharded queue; its settings are the whole queue's). */
  async stats(name: string): Promise<QueueStats> {
    this.requests += 1;
    return this.counts(name);
  }

  private counts(name: string): QueueStats {
    // One count per partial index (a GROUP BY state would scan the table, bodies and all).
    const counts = this.sql
      .exec<{ waiting: number; delayed: number; leased: number }>(
        `SELECT (SELECT COUNT(*) FROM messages WHERE state = 'waiting') AS waiting,
                (SELECT COUNT(*) FROM messages WHERE state = 'delayed') AS delayed,
                (SELECT COUNT(*) FROM messages WHERE state = 'leased') AS leased`,
      )
      .one();
    return {
      name: this.meta("name") ?? name,
      waiting: counts.waiting,
      delayed: counts.delayed,
      leased: counts.leased,
      paused: this.paused,
      concurrency: this.concurrency,
      prefetch: this.prefetch,
      completed: Number(this.meta("completed") ?? 0),
      failed: Number(this.meta("failed") ?? 0),
    };
  }

  // ---- time: the one alarm ---------------------------------------------------------------

  /**
   * Runs whatever is due: expired leases (not begun → back to waiting; alive to its hard limit →
   * FAILURE TimeLimitExceeded; its worker lost → delivered again if acks_late, not acknowledged
   * and under MAX_DELIVERIES, else FAILURE WorkerLostError; see queue-leases.ts), due delayed
   * messages, outbox retries.
   */
  override async alarm(): Promise<void> {
    this.requests += 1;
    const now = Date.now();
    this.alarmAt = null;
    const effects: Effect[] = [];
    let failed = 0;
    this.ctx.storage.transactionSync(() => {
      for (const row of this.sql.exec<MessageRow>("SELECT * FROM messages WHERE state = 'leased' AND deadline <= ?", now).toArray()) {
        const m = this.messageOf(row.seq, row.body, now, effects);
        if (!m) continue;
        const action = expiredLease(row, acksLateOf(m));
        if (action === "return" || action === "redeliver") {
          this.sql.exec("UPDATE messages SET state = 'waiting', lease = NULL, deadline = NULL, lease_end = NULL, deliveries = deliveries - (started = ?), started = 0, redelivered = 1 WHERE seq = ?", HANDED_OFF, row.seq);
          continue;
        }
        const ending = action === "time-limit" ? timeLimitEnding(hardLimitS(m)) : workerLostEnding(action === "poison" ? row.deliveries : undefined);
        this.sql.exec("DELETE FROM messages WHERE seq = ?", row.seq);
        const outcome = recordDeadLetter(this.sql, m, queueEnded(ending, now));
        // A lost worker may have finished the task, its result written ahead: the ending is claimed.
        effects.push(...(action === "time-limit" ? endEffects(m, outcome) : begunEndEffects(m, outcome)));
        failed += 1;
      }
      this.sql.exec("DELETE FROM revoked WHERE until <= ?", now);
      // A clock in the past holds nothing back (a turn is never earlier than now): in storage
      // and in memory, or one clock per rate_limit_key value ever seen would stay forever.
      this.sql.exec("DELETE FROM rate_clocks WHERE next_at <= ?", now);
      pruneClocks(this.rateClocks, now);
      this.revokedCount = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revoked").one().n;
      this.bump("failed", failed);
      this.outbox.add(effects);
    });
    await this.pump();
    // The alarm that ran is spent: set the next one (the pump sets it only when it changed a due time).
    await this.scheduleAlarm();
    await this.listing.unlistIfIdle(this.name, now);
  }

  /**
   * Sets the alarm to the earliest due time (each term is one indexed MIN; the outbox's and a
   * send backoff's too; waiting messages of a queue not paused, DISPATCH_SAFETY_MS from now),
   * clamped to what an alarm can hold; moves it only earlier.
   */
  private async scheduleAlarm(): Promise<void> {
    const now = Date.now();
    const messages = this.sql
      .exec<{ t: number | null }>(
        `SELECT MIN(t) AS t FROM (
           SELECT MIN(eta) AS t FROM messages WHERE state = 'delayed'
           UNION ALL SELECT MIN(deadline) FROM messages WHERE state = 'leased'
           UNION ALL SELECT MIN(expires) FROM messages WHERE state = 'waiting' AND expires IS NOT NULL
           UNION ALL SELECT ? WHERE EXISTS (SELECT 1 FROM messages WHERE state = 'waiting'))`,
        // A paused queue dispatches nothing: its waiting messages wait for the resume.
        this.paused ? null : now + DISPATCH_SAFETY_MS,
      )
      .one().t;
    const retryAt = Number(this.meta("send_retry_at") ?? 0);
    const held = this.mayHold ? this.sql.exec<{ t: number | null }>("SELECT MIN(hold_until) AS t FROM messages WHERE hold_until IS NOT NULL").one().t : null;
    const due = [messages, held, this.outbox.nextDue(now), retryAt > 0 ? retryAt : null].filter((t): t is number => t !== null);
    if (due.length === 0) return;
    // A far-future eta is held as it is; the alarm goes off at the latest time it can be set to
    // and is set again from there (setAlarm throws past it).
    const next = Math.min(...due, ALARM_MAX_EPOCH_MS);
    // The set alarm is cached: most transitions find it already early enough and skip storage.
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > next || this.alarmAt < now - 1000) {
      this.alarmAt = Math.max(next, now + 1);
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  // ---- the outbox ------------------------------------------------------------------------

  /**
   * After every transition: make sure the alarm is set (the safety net that carries out the
   * outbox even if this object is evicted), then answer at once while the pump dispatches into
   * the freed window and carries out the outbox in the background. Kicks coalesce: many settles
   * in a burst cost one dispatch pass.
   */
  private async afterTransition(dispatch = true): Promise<void> {
    try {
      await this.scheduleAlarm();
    } catch (err) {
      // The transition is committed: its caller must not be told otherwise (a 503 "nothing was
      // enqueued" would make a client send it again). The pump sets the alarm again when done.
      console.error("edgery: setting the queue's alarm failed after a commit; the pump tries again", err);
    }
    this.pump(dispatch);
  }

  /**
   * Runs dispatch (when the window or the waiting set may have changed) and the outbox until
   * nothing new came in; one pump runs at a time.
   */
  private pump(dispatch = true): Promise<void> {
    this.dirty = true;
    if (dispatch) this.wantDispatch = true;
    if (this.pumping) {
      if (this.endGather && !this.gatherDue()) this.endGather();
      return this.pumping;
    }
    this.pumping = (async () => {
      // Whether a pass changed a due time (leased, promoted, expired, carried out the outbox) or
      // failed: else the alarm the transition set stays right, and is not computed again.
      let changed = false;
      try {
        while (this.dirty) {
          this.dirty = false;
          if (this.wantDispatch) {
            await this.gather();
            this.wantDispatch = false;
            if (await this.dispatch()) changed = true;
          }
          if (!this.outbox.knownEmpty) changed = true;
          if (await this.outbox.flushOnce(Date.now())) this.dirty = true;
        }
      } catch (err) {
        changed = true;
        console.error("edgery: queue pump failed; the alarm retries", err);
      } finally {
        this.pumping = null;
      }
      if (changed) await this.scheduleAlarm();
      await this.armIdleAlarm();
    })();
    return this.pumping;
  }

  /**
   * Under load, waits up to the deployment's gather (src/runtime/gather.ts) for more tasks before
   * a dispatch, so that one delivery carries many; an enqueue that fills a delivery ends the wait
   * (see pump). An idle shard does not wait. The outbox is carried out first: a gather delays a
   * dispatch, never a result.
   */
  private async gather(): Promise<void> {
    const ms = dispatchGatherMs(this.env);
    if (ms === 0 || !this.gatherDue()) return;
    if (await this.outbox.flushOnce(Date.now())) this.dirty = true;
    // Sends that came in during the flush may have filled a delivery already.
    if (!this.gatherDue()) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.endGather?.(), ms);
      this.endGather = () => {
        clearTimeout(timer);
        this.endGather = null;
        resolve();
      };
    });
  }

  /**
   * Whether a dispatch now should gather first (see gatherEnough): the leased count, then, only
   * while tasks are leased, whether a full delivery waits (the `enough`-th waiting row exists, an
   * OFFSET walk of the messages_waiting index). A long backlog costs no scan. Counting the
   * waiting rows up to `enough` in a LIMIT subquery instead cost several times as much: SQLite
   * materializes the subquery.
   */
  private gatherDue(): boolean {
    if (this.paused) return false;
    const leased = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE state = 'leased'").one().n;
    const enough = gatherEnough({ leased, window: this.window, prefetch: this.prefetch });
    if (enough === 0) return false;
    return this.sql.exec<{ full: number }>("SELECT EXISTS (SELECT 1 FROM messages WHERE state = 'waiting' LIMIT 1 OFFSET ?) AS full", enough - 1).one().full === 0;
  }

  /** An idle, empty, listed queue wakes once more, to leave the directory (see QueueListing). */
  private async armIdleAlarm(): Promise<void> {
    // A set alarm (known without storage) is checked before idleCandidate's query of three tables.
    if (this.alarmAt !== undefined && this.alarmAt !== null) return;
    if (!this.listing.idleCandidate()) return;
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null) return;
    this.alarmAt = this.listing.unlistAt();
    await this.ctx.storage.setAlarm(this.alarmAt);
  }

  /** Waits until the pump is idle: everything dispatched and the outbox carried out (tests, drain). */
  async drain(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Writes a custom state (e.g. PROGRESS) for a task this queue holds under that lease. */
  async updateState(id: string, lease: string, state: string, meta: unknown, worker: string): Promise<boolean> {
    this.requests += 1;
    const row = this.leasedRow(id, lease);
    const m = row ? readStoredMessage(row.body) : null;
    if (!m) return false;
    await resultStub(this.env, id).write([stateWrite(m, state, worker, { meta, progress: true })]);
    return true;
  }
}

/**
 * A cheap test on the stored JSON before parsing it: only a message whose JSON names
 * `rate_limit` can be rate limited (a false positive, e.g. an argument with that text, is
 * parsed and found unlimited).
 */
function mayBeRateLimited(body: string): boolean {
  return body.includes('"rate_limit"');
}
