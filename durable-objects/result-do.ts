/**
 * ResultDO: the authoritative store of task states and results for the ids of one shard, with
 * group records, and waiters for `?wait=` long polls (woken on write: nothing polls).
 *
 * KV serves ready results at the edge: the API copies a ready result into KV on its first plain read,
 * so KV writes stay off the hot path (a KV put per task would cap throughput near 1,100/s).
 */
import { CountedObject } from "./counted-object.js";
import { DEFAULT_RESULT_EXPIRES_S, isReady, type TaskResult } from "../src/protocol/index.js";
import type { ResultWrite } from "../src/canvas/effects.js";
import type { GroupRef, ResultWriteAnswer } from "../src/protocol/rpc.js";
import type { EdgeryEnv } from "../src/runtime/env.js";
import { eventsStub } from "../src/runtime/stubs.js";
import { chaosHooks } from "../src/runtime/chaos.js";
import { eventOfState, eventOfWrite, type TaskEvent } from "../src/events/task-events.js";
import { metricDeltas, sumMetrics, type MetricDelta } from "../src/metrics/task-metrics.js";
import { insertBatches } from "../src/runtime/pack.js";
import { rowToResult, type ResultRow } from "../src/results/stored-row.js";
import { isPointer } from "../src/results/pointer.js";
import { resolveResult } from "../src/results/read.js";

import { getApp } from "../src/runtime/app-registry.js";
import { DEFAULT_POLICY, resultPolicyOf, type ResultPolicy } from "../src/app/result-policy.js";
import { D1Backend } from "../src/results/d1-backend.js";
import {
  BACKEND_SCHEMA,
  backendRowsLeft,
  forgetBackends,
  pushToD1,
  ownPointerIds,
  recordBackends,
  sweepExtras,
  sweepR2,
  withExtras,
} from "./result-backend-store.js";

/** The result policy of a task (the default when the Worker registered no app, or no task name). */
function policyOf(task: string | null | undefined): ResultPolicy {
  if (!task) return DEFAULT_POLICY;
  try {
    return resultPolicyOf(getApp(), task);
  } catch {
    return DEFAULT_POLICY;
  }
}

/** When a D1 push is checked on again if the background push did not finish it. */
const D1_SAFETY_MS = 5_000;

const RESULT_SCHEMA = `
CREATE TABLE IF NOT EXISTS results (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  result TEXT,
  meta TEXT,
  error TEXT,
  task TEXT,
  queue TEXT,
  worker TEXT,
  retries INTEGER NOT NULL DEFAULT 0,
  parent_id TEXT,
  group_id TEXT,
  children TEXT,
  started_at INTEGER,
  date_done INTEGER,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS results_expiry ON results (expires_at);
CREATE TABLE IF NOT EXISTS groups (
  id TEXT PRIMARY KEY,
  members TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_expiry ON groups (expires_at);
DROP TABLE IF EXISTS queues;
DROP TABLE IF EXISTS idempotency;
CREATE TABLE IF NOT EXISTS metrics (
  task TEXT NOT NULL,
  key TEXT NOT NULL CHECK (key IN ('retries', 'runtime_sum', 'runtime_count') OR key LIKE 'state:%' OR key LIKE 'le:%'),
  value REAL NOT NULL,
  PRIMARY KEY (task, key)
);
`;


/**
 * The alarm's sweep of expired group records: a range of `groups_expiry` (it was a SCAN of every
 * group record, each minute the shard holds anything).
 */
export const EXPIRED_GROUPS_SQL = "DELETE FROM groups WHERE expires_at <= ?";

/**
 * Whether the shard still holds results or group records (1 or 0), so its alarm sweeps again:
 * stops at the first row of each table, where summing two COUNT(*)s read every row each minute.
 */
export const ROWS_LEFT_SQL = "SELECT EXISTS (SELECT 1 FROM results) OR EXISTS (SELECT 1 FROM groups) AS n";

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** The results table's columns, in the order of {@link rowValues}. */
const RESULT_COLUMNS = "id, state, result, meta, error, task, queue, worker, retries, parent_id, group_id, children, started_at, date_done, expires_at";

/** The length of a row's JSON texts (what decides whether it may go in a batch: insertBatches). */
function rowChars(r: ResultRow): number {
  return (r.result?.length ?? 0) + (r.meta?.length ?? 0) + (r.error?.length ?? 0);
}

/** A row's columns in table order, for a batched insert. */
function rowValues(r: ResultRow): unknown[] {
  return [r.id, r.state, r.result, r.meta, r.error, r.task, r.queue, r.worker, r.retries, r.parent_id, r.group_id, r.children, r.started_at, r.date_done, r.expires_at];
}

/** The row `w` makes of `old` (the stored row of its id, if any). */
function mergedRow(w: ResultWrite, old: ResultRow | undefined, now: number): ResultRow {
  const ready = isReady(w.state);
  return {
    id: w.id,
    state: w.state,
    result: w.result !== undefined ? json(w.result) : (old?.result ?? null),
    meta: w.meta !== undefined ? json(w.meta) : ready ? null : (old?.meta ?? null),
    error: w.error !== undefined ? json(w.error) : (old?.error ?? null),
    task: w.task ?? old?.task ?? null,
    queue: w.queue ?? old?.queue ?? null,
    worker: w.worker ?? old?.worker ?? null,
    retries: w.retries ?? old?.retries ?? 0,
    parent_id: w.parent_id ?? old?.parent_id ?? null,
    group_id: w.group_id ?? old?.group_id ?? null,
    children: w.children !== undefined ? json(w.children) : (old?.children ?? null),
    started_at: w.started_at ?? old?.started_at ?? null,
    date_done: ready ? (w.date_done ?? now) : null,
    expires_at: ready ? now + (w.expires_s ?? DEFAULT_RESULT_EXPIRES_S) * 1000 : now + 7 * 86_400 * 1000,
  };
}

/** One shard of results. */
export class ResultDO extends CountedObject<EdgeryEnv> {
  private readonly sql: SqlStorage;
  private readonly waiters = new Map<string, Set<(r: TaskResult) => void>>();
  /** An alarm is known to be set (see scheduleSweep). */
  private sweepArmed = false;
  /** Until when the event feed has subscribers (granted by EventsDO): forward changes till then. */
  private listeningUntil = 0;
  /** The last batch of events sent to the feed (the next one goes after it). */
  private publishing: Promise<void> = Promise.resolve();
  /** The background push of pending results to D1, if one runs. */
  private pushing: Promise<void> | null = null;
  /** Pushes to D1 in flight (background or alarm): a forget waits for them. */
  private readonly d1Pushes = new Set<Promise<unknown>>();
  /** Something was written to D1 since its expired rows were last swept. */
  private d1Dirty = false;

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(RESULT_SCHEMA);
      this.sql.exec(BACKEND_SCHEMA);
    });
  }

  /**
   * Writes state changes. A ready result (SUCCESS, FAILURE, REVOKED) is final: later writes
   * for that id are ignored (so a late result, or a replayed effect, changes nothing).
   * Wakes the waiters of ids that became ready. In the same transaction, adds each stored
   * change to the shard's task counters (`metrics`); while the event feed listens, forwards the
   * changes to it afterwards (not awaited). In local dev only, the fault harness's
   * EDGERY_CHAOS_SLOW_RESULTS_MS makes every write wait that long first (a slow result backend).
   * `notAfter` (epoch ms): a write that arrives later writes nothing and answers `late` (a
   * consumer's write ahead of its settle, src/worker/pre-write.ts, valid only while its lease
   * surely holds; this object's clock is read as the call arrives, so a stalled caller cannot
   * vouch for itself). `kept`: the final results kept over a final write (the first
   * final result wins), for a queue's ending that a consumer's write ahead may overrule
   * (src/apply/run-effects.ts, claimEndings).
   */
  async write(writes: ResultWrite[], notAfter?: number): Promise<ResultWriteAnswer> {
    this.requests += 1;
    const slowMs = chaosHooks(this.env).slowResultsMs;
    if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
    const ownPointers = await ownPointerIds(writes);
    const now = Date.now();
    if (notAfter !== undefined && now > notAfter) return { written: 0, late: true };
    const woken: TaskResult[] = [];
    const listening = this.listeningUntil > now;
    const events: TaskEvent[] = [];
    let written = 0;
    let toD1 = false;
    const kept: TaskResult[] = [];
    this.ctx.storage.transactionSync(() => {
      // One read for the batch; metric deltas are summed per (task, key) and written once each.
      const olds = new Map(
        this.sql
          .exec<ResultRow>("SELECT * FROM results WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(writes.map((w) => w.id)))
          .toArray()
          .map((r) => [r.id, r]),
      );
      const deltas: MetricDelta[] = [];
      const stored = new Map<string, ResultRow>();
      for (const w of writes) {
        const old = olds.get(w.id);
        if (old && isReady(old.state)) {
          if (isReady(w.state)) kept.push(rowToResult(old));
          continue;
        }
        const policy = policyOf(w.task ?? old?.task);
        // Backend `none` (ignore_result): nothing is stored, the id reads PENDING.
        if (policy.backend === "none") continue;
        const ready = isReady(w.state);
        const row = mergedRow(w, old, now);
        stored.set(row.id, row);
        written += 1;
        if (recordBackends(this.sql, row, w, policy, ready, ownPointers.has(row.id))) toD1 = true;
        deltas.push(...metricDeltas(row));
        // Later writes of the same id in this batch read what this one wrote.
        olds.set(row.id, row);
        if (ready && this.waiters.has(row.id)) {
          woken.push(w.args !== undefined || w.kwargs !== undefined ? ({ ...rowToResult(row), args: w.args ?? [], kwargs: w.kwargs ?? {} } as TaskResult) : rowToResult(row));
        }
        const event = listening ? eventOfWrite(row.state, w.progress === true) : null;
        if (event) events.push({ event, data: rowToResult(row) });
      }
      // The rows of the batch in one statement per ~1 MB of JSON (the last write of an id wins);
      // a large one alone (insertBatches).
      const { slices, alone } = insertBatches([...stored.values()], rowChars, rowValues);
      for (const slice of slices) {
        this.sql.exec(
          `INSERT OR REPLACE INTO results (${RESULT_COLUMNS})
           SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8,
                  value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13, value ->> 14
           FROM json_each(?) ORDER BY key`,
          slice,
        );
      }
      for (const values of alone) {
        this.sql.exec(`INSERT OR REPLACE INTO results (${RESULT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ...(values as SqlStorageValue[]));
      }
      // The batch's counters in one statement (a task's write adds up to four).
      const sums = sumMetrics(deltas);
      if (sums.length > 0) {
        this.sql.exec(
          `INSERT INTO metrics (task, key, value) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
           ON CONFLICT (task, key) DO UPDATE SET value = value + excluded.value`,
          JSON.stringify(sums.map((d) => [d.task, d.key, d.value])),
        );
      }
    });
    this.forward(events);
    for (const r of woken) {
      const set = this.waiters.get(r.id);
      if (!set) continue;
      this.waiters.delete(r.id);
      for (const wake of set) wake(r);
    }
    await this.scheduleSweep();
    if (toD1) await this.pushSoon();
    return kept.length > 0 ? { written, kept } : { written };
  }

  /**
   * Announces state changes that are not stored (RECEIVED and STARTED, sent by a queue when a
   * worker begins its tasks): forwarded to the event feed while it listens, each as the result
   * would read with that state. Reads the ids' rows; writes nothing.
   */
  async announce(writes: ResultWrite[]): Promise<void> {
    this.requests += 1;
    const now = Date.now();
    if (this.listeningUntil <= now || writes.length === 0) return;
    const olds = new Map(
      this.sql
        .exec<ResultRow>("SELECT * FROM results WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(writes.map((w) => w.id)))
        .toArray()
        .map((r) => [r.id, r]),
    );
    const events: TaskEvent[] = [];
    for (const w of writes) {
      const old = olds.get(w.id);
      if (old && isReady(old.state)) continue;
      const event = eventOfState(w.state);
      if (event) events.push({ event, data: rowToResult(mergedRow(w, old, now)) });
    }
    this.forward(events);
  }

  /**
   * Sends events to the feed, one batch after another: a task's events leave this shard in the
   * order they happened (the feed's writes to each stream keep that order). A value kept in R2 is
   * sent as `GET /v1/results/:id` reads it (resolveResult), never as its signed pointer. Not awaited.
   */
  private forward(events: TaskEvent[]): void {
    if (events.length === 0) return;
    const feed = eventsStub(this.env);
    if (!feed) return;
    this.publishing = this.publishing
      .then(async () => feed.publish(await this.withValues(events)))
      .then(
        () => undefined,
        (err: unknown) => console.error("edgery: publishing task events failed", err),
      );
  }

  /** Events with each value kept in R2 read back (resolveResult); the batch as it is when none is. */
  private async withValues(events: TaskEvent[]): Promise<TaskEvent[]> {
    if (!events.some((e) => isPointer(e.data.result))) return events;
    return Promise.all(events.map(async (e) => (isPointer(e.data.result) ? { ...e, data: await resolveResult(this.env, e.data) } : e)));
  }

  /** The stored result, or null (unknown, forgotten or expired: the API answers PENDING). */
  async get(id: string): Promise<TaskResult | null> {
    this.requests += 1;
    return this.live(id)?.result ?? null;
  }

  /**
   * The stored result with the time it expires (epoch ms), or null: what a copy in KV needs to
   * expire with it. Reads the id's row.
   */
  async lookup(id: string): Promise<{ result: TaskResult; expiresAt: number | null } | null> {
    this.requests += 1;
    return this.live(id);
  }

  /** The id's row unless expired (the alarm sweeps expired rows only every minute). */
  private live(id: string): { result: TaskResult; expiresAt: number | null } | null {
    const row = this.sql.exec<ResultRow>("SELECT * FROM results WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)", id, Date.now()).toArray()[0];
    return row ? { result: withExtras(this.sql, rowToResult(row)), expiresAt: row.expires_at } : null;
  }

  /** Several results at once, in the order asked (null where unknown). */
  private resultsOf(ids: string[]): Array<TaskResult | null> {
    const rows = this.sql
      .exec<ResultRow>("SELECT * FROM results WHERE id IN (SELECT value FROM json_each(?)) AND expires_at > ?", JSON.stringify(ids), Date.now())
      .toArray();
    const byId = new Map(rows.map((r) => [r.id, rowToResult(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Group members as they are: results, {@link GroupRef}s for members that are groups, else null. */
  private membersNow(ids: string[]): Array<TaskResult | GroupRef | null> {
    const results: Array<TaskResult | GroupRef | null> = this.resultsOf(ids);
    const unknown = ids.filter((_, i) => results[i] === null);
    if (unknown.length === 0) return results;
    const groups = new Set(
      this.sql
        .exec<{ id: string }>("SELECT id FROM groups WHERE id IN (SELECT value FROM json_each(?)) AND expires_at > ?", JSON.stringify(unknown), Date.now())
        .toArray()
        .map((r) => r.id),
    );
    return groups.size === 0 ? results : results.map((r, i) => r ?? (groups.has(ids[i]!) ? { id: ids[i]!, group: true as const } : null));
  }

  /** The result once ready, or as it is after `ms` (null if still unknown). */
  async wait(id: string, ms: number): Promise<TaskResult | null> {
    this.requests += 1;
    const now = this.live(id)?.result ?? null;
    if ((now && isReady(now.state)) || ms <= 0) return now;
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const wake = (r: TaskResult) => {
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        set!.delete(wake);
        if (set!.size === 0) this.waiters.delete(id);
        resolve(this.live(id)?.result ?? null);
      }, ms);
      set.add(wake);
    });
  }

  /**
   * A group's members in this shard once all are ready, or as they are after `ms` (0: at once), in
   * the order asked, null where unknown: one call however many ids, woken by the writes that
   * finish them. A member that is itself a group (recorded here) comes back as a {@link GroupRef}
   * for the reader to read as a group; it is not waited on here.
   */
  async waitMany(ids: string[], ms: number): Promise<Array<TaskResult | GroupRef | null>> {
    this.requests += 1;
    const now = this.membersNow(ids);
    const settled = (r: TaskResult | GroupRef | null | undefined) => !!r && ("group" in r || isReady(r.state));
    const left = new Set(ids.filter((_, i) => !settled(now[i])));
    if (left.size === 0 || ms <= 0) return now;
    return new Promise((resolve) => {
      const wakes = new Map<string, (r: TaskResult) => void>();
      const finish = () => {
        clearTimeout(timer);
        for (const [id, wake] of wakes) {
          const set = this.waiters.get(id);
          set?.delete(wake);
          if (set?.size === 0) this.waiters.delete(id);
        }
        resolve(this.membersNow(ids));
      };
      for (const id of left) {
        const wake = () => {
          left.delete(id);
          if (left.size === 0) finish();
        };
        wakes.set(id, wake);
        let set = this.waiters.get(id);
        if (!set) this.waiters.set(id, (set = new Set()));
        set.add(wake);
      }
      const timer = setTimeout(finish, ms);
    });
  }

  /**
   * Forgets a result (and a group record of that id). Answers only once no push to D1 that may
   * carry it is still in flight, so the caller's delete from D1 comes after it (else a push that
   * read the row before the forget could put it back).
   */
  async forget(id: string): Promise<void> {
    this.requests += 1;
    this.sql.exec("DELETE FROM results WHERE id = ?", id);
    this.sql.exec("DELETE FROM groups WHERE id = ?", id);
    forgetBackends(this.sql, id);
    await Promise.allSettled([...this.d1Pushes]);
  }

  /** Records groups: each id with its members' result ids, in member order. */
  async recordGroups(groups: Array<{ id: string; members: string[] }>, expiresS: number): Promise<void> {
    this.requests += 1;
    const until = Date.now() + expiresS * 1000;
    this.ctx.storage.transactionSync(() => {
      for (const g of groups) this.sql.exec("INSERT OR REPLACE INTO groups (id, members, expires_at) VALUES (?, ?, ?)", g.id, JSON.stringify(g.members), until);
    });
    await this.scheduleSweep();
  }

  /** A group's member ids, or null when unknown. */
  async groupMembers(id: string): Promise<string[] | null> {
    this.requests += 1;
    const row = this.sql.exec<{ members: string }>("SELECT members FROM groups WHERE id = ? AND expires_at > ?", id, Date.now()).toArray()[0];
    return row ? (JSON.parse(row.members) as string[]) : null;
  }

  /** The event feed has subscribers until `until` (epoch ms): forward state changes till then. */
  async listen(until: number): Promise<void> {
    this.requests += 1;
    this.listeningUntil = Math.max(this.listeningUntil, until);
  }

  /** This shard's task counters (see src/metrics/task-metrics.ts); the API sums the shards. */
  async metrics(): Promise<MetricDelta[]> {
    this.requests += 1;
    return this.sql.exec<{ task: string; key: string; value: number }>("SELECT task, key, value FROM metrics").toArray().map((r) => ({ ...r }));
  }

  /**
   * Makes sure an alarm will sweep. Once one is known to be set, later writes skip the storage
   * read: an alarm only goes away by firing, and `alarm()` clears the mark.
   */
  private async scheduleSweep(): Promise<void> {
    if (this.sweepArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 60_000);
    this.sweepArmed = true;
  }

  /**
   * Starts pushing pending results to D1 in the background (one push at a time) and makes sure
   * the alarm checks on them soon, in case this object is evicted before the push ends.
   */
  private async pushSoon(): Promise<void> {
    if (!this.env.RESULTS_DB) return;
    const at = await this.ctx.storage.getAlarm();
    if (at === null || at > Date.now() + D1_SAFETY_MS) await this.ctx.storage.setAlarm(Date.now() + D1_SAFETY_MS);
    if (!this.pushing) {
      this.pushing = this.pushD1()
        .then(() => undefined)
        .catch((err: unknown) => console.error("edgery: pushing results to D1 failed", err))
        .finally(() => (this.pushing = null));
    }
  }

  /** Pushes due pending results to D1; answers when the earliest refused one may be retried. */
  private async pushD1(): Promise<number | null> {
    const db = this.env.RESULTS_DB;
    if (!db) return null;
    const push = pushToD1(this.sql, db, rowToResult as (row: never) => TaskResult);
    this.d1Pushes.add(push);
    try {
      const out = await push;
      if (out.pushed > 0) this.d1Dirty = true;
      return out.nextAt;
    } finally {
      this.d1Pushes.delete(push);
    }
  }

  /** Test hook: waits for a background push to D1, then pushes what is due. */
  async flushBackends(): Promise<{ pending: number }> {
    this.requests += 1;
    await this.pushing;
    await this.pushD1();
    return { pending: this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM d1_pending").one().n };
  }

  /**
   * Sweeps expired results and group records; pushes pending results to D1 (retried with backoff
   * until D1 accepts: a result waiting for D1 is never swept) and deletes the R2 objects of
   * expired large results.
   */
  override async alarm(): Promise<void> {
    this.requests += 1;
    const now = Date.now();
    this.sweepArmed = false;
    await this.pushing;
    const retryAt = await this.pushD1().catch((err: unknown) => (console.error("edgery: pushing results to D1 failed", err), now + 60_000));
    if (this.env.RESULTS_R2) await sweepR2(this.sql, this.env.RESULTS_R2, now).catch((err: unknown) => console.error("edgery: deleting expired R2 results failed", err));
    if (this.d1Dirty && this.env.RESULTS_DB) {
      this.d1Dirty = false;
      await new D1Backend(this.env.RESULTS_DB).sweep().catch((err: unknown) => console.error("edgery: sweeping expired D1 results failed", err));
    }
    sweepExtras(this.sql, now);
    this.sql.exec("DELETE FROM results WHERE expires_at <= ? AND id NOT IN (SELECT id FROM d1_pending)", now);
    this.sql.exec(EXPIRED_GROUPS_SQL, now);
    const left = this.sql.exec<{ n: number }>(ROWS_LEFT_SQL).one().n === 1 || backendRowsLeft(this.sql);
    if (retryAt !== null) await this.ctx.storage.setAlarm(Math.max(Date.now() + 500, Math.min(retryAt, now + 60_000)));
    else if (left) await this.ctx.storage.setAlarm(now + 60_000);
  }
}
