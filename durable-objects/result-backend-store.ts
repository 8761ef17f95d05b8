/**
 * The ResultDO's side of the result backends, in its own SQLite: `result_extended` args/kwargs,
 * the D1 write-behind queue and the R2 objects to delete when their results expire.
 *
 * - `d1_pending`: ids whose final result must reach D1 (backend `d1` or `result_persistent`).
 *   Inserted in the same transaction that stores the result, so a D1 outage cannot lose it: the
 *   shard pushes them in batches right after the write and again from its alarm, with backoff,
 *   until D1 accepts; the shard's expiry sweep skips ids still pending.
 * - `r2_objects`: R2 keys of large values (pointers) with the result's expiry; the alarm deletes
 *   them when it passes. A `result_persistent` result's value is not listed (it lives as long as
 *   its D1 row, until forgotten).
 */
import type { ResultWrite } from "../src/canvas/effects.js";
import type { TaskResult } from "../src/protocol/index.js";
import type { StoredResult } from "../src/results/backend.js";
import { D1Backend } from "../src/results/d1-backend.js";
import { isPointer, ownedBy, POINTER_KEY } from "../src/results/pointer.js";
import type { ResultPolicy } from "../src/app/result-policy.js";

export const BACKEND_SCHEMA = `
CREATE TABLE IF NOT EXISTS extras (
  id TEXT PRIMARY KEY,
  args TEXT,
  kwargs TEXT
);
CREATE TABLE IF NOT EXISTS d1_pending (
  id TEXT PRIMARY KEY,
  d1_expires INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS r2_objects (
  key TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS r2_objects_expiry ON r2_objects (expires_at);
CREATE INDEX IF NOT EXISTS r2_objects_id ON r2_objects (id);
CREATE INDEX IF NOT EXISTS d1_pending_due ON d1_pending (not_before);
`;

/**
 * The pending results a push carries (`?1` now, `?2` the batch size): those due, fresh ones
 * (`not_before` 0) first, in the order they were written, then backed-off ones whose next try has
 * come. A range of `d1_pending_due`: during a D1 outage the thousands of rows backed off into the
 * future are not read (ordered by rowid over the table, every push after every write read them
 * all, which made an outage O(n²) on the shard's one thread).
 */
export const D1_DUE_SQL = `SELECT p.id AS pid, p.d1_expires AS d1_expires, p.attempts AS attempts, e.args AS x_args, e.kwargs AS x_kwargs, r.*
  FROM d1_pending p LEFT JOIN results r ON r.id = p.id LEFT JOIN extras e ON e.id = p.id
  WHERE p.not_before <= ?1 ORDER BY p.not_before, p.rowid LIMIT ?2`;

/**
 * Whether rows are still pending after a push, and the earliest next try: the first entry of
 * `d1_pending_due` (a COUNT(*) read every pending row after every push).
 */
export const D1_LEFT_SQL = "SELECT not_before AS at FROM d1_pending ORDER BY not_before LIMIT 1";

/**
 * Drops the R2 objects listed for a forgotten id: a probe of `r2_objects_id` (the table is keyed
 * by R2 key, so without it a forget read every listed object of the shard).
 */
export const FORGET_R2_SQL = "DELETE FROM r2_objects WHERE id = ?";

/** Ids pushed to D1 per batch. */
const D1_BATCH = 100;
/** Backoff step after D1 refused a batch (ms × attempts, capped at 30 steps). */
const D1_RETRY_MS = 1_000;

/** What the shard stored for one write, as far as backends go. */
export interface StoredRow {
  id: string;
  state: string;
  result: string | null;
  expires_at: number | null;
  date_done: number | null;
}

/**
 * The ids of writes whose value is a pointer under their own id's prefix (ownedBy), for
 * {@link recordBackends}: asked before the write's transaction, since a long id's prefix is named
 * by its hash. Most writes carry no pointer and cost one shape test.
 */
export async function ownPointerIds(writes: ResultWrite[]): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const w of writes) if (isPointer(w.result) && (await ownedBy(w.result[POINTER_KEY], w.id))) owned.add(w.id);
  return owned;
}

/**
 * Records, in the write's transaction: extended args/kwargs, the D1 write-behind of a final
 * result, and the R2 object of a pointer value its id owns (`ownPointer`, see ownPointerIds).
 * Returns true when a D1 push is due.
 */
export function recordBackends(sql: SqlStorage, row: StoredRow, w: ResultWrite, policy: ResultPolicy, ready: boolean, ownPointer: boolean): boolean {
  if (w.args !== undefined || w.kwargs !== undefined) {
    sql.exec("INSERT OR REPLACE INTO extras (id, args, kwargs) VALUES (?, ?, ?)", row.id, JSON.stringify(w.args ?? []), JSON.stringify(w.kwargs ?? {}));
  }
  if (!ready) return false;
  // Only a key under this id's own prefix is listed for deletion: a pointer-shaped value a task
  // returned can name nothing else (its signature is checked on read; here a forged one can at
  // worst list this id's own value).
  if (ownPointer && isPointer(w.result) && !policy.persistent && row.expires_at !== null) {
    sql.exec("INSERT OR REPLACE INTO r2_objects (key, id, expires_at) VALUES (?, ?, ?)", w.result[POINTER_KEY], row.id, row.expires_at);
  }
  if (!policy.toD1) return false;
  sql.exec("INSERT OR IGNORE INTO d1_pending (id, d1_expires) VALUES (?, ?)", row.id, policy.persistent ? null : row.expires_at);
  return true;
}

/** The extended args/kwargs of a result, if stored. */
export function withExtras<T extends TaskResult>(sql: SqlStorage, r: T): T & { args?: unknown[]; kwargs?: Record<string, unknown> } {
  const x = sql.exec<{ args: string | null; kwargs: string | null }>("SELECT args, kwargs FROM extras WHERE id = ?", r.id).toArray()[0];
  return x ? { ...r, args: JSON.parse(x.args ?? "[]") as unknown[], kwargs: JSON.parse(x.kwargs ?? "{}") as Record<string, unknown> } : r;
}

/** Forgets an id's backend bookkeeping (the API deletes it from D1, R2 and KV itself). */
export function forgetBackends(sql: SqlStorage, id: string): void {
  sql.exec("DELETE FROM extras WHERE id = ?", id);
  sql.exec("DELETE FROM d1_pending WHERE id = ?", id);
  sql.exec(FORGET_R2_SQL, id);
}

/** Removes the extras of results the sweep is about to delete. */
export function sweepExtras(sql: SqlStorage, now: number): void {
  sql.exec("DELETE FROM extras WHERE id IN (SELECT id FROM results WHERE expires_at <= ? AND id NOT IN (SELECT id FROM d1_pending))", now);
}

/** What a push to D1 left behind. */
export interface PushOutcome {
  pushed: number;
  /** When the earliest pending row may be tried again (null: none pending). */
  nextAt: number | null;
}

/**
 * Pushes due pending results to D1 in batches; a refused batch is kept and retried later with
 * backoff (nothing is dropped until D1 has it or the result is forgotten).
 */
export async function pushToD1(sql: SqlStorage, db: D1Database, toResult: (row: never) => TaskResult): Promise<PushOutcome> {
  const d1 = new D1Backend(db);
  let pushed = 0;
  for (;;) {
    const now = Date.now();
    const rows = sql.exec<Record<string, SqlStorageValue>>(D1_DUE_SQL, now, D1_BATCH).toArray();
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.pid as string);
    const results: StoredResult[] = rows
      .filter((r) => r.id !== null && r.id !== undefined)
      .map((r) => {
        const out: StoredResult = { ...toResult(r as never), expires_at: (r.d1_expires as number | null) ?? null };
        if (r.x_args !== null) out.args = JSON.parse(r.x_args as string) as unknown[];
        if (r.x_kwargs !== null) out.kwargs = JSON.parse(r.x_kwargs as string) as Record<string, unknown>;
        return out;
      });
    try {
      await d1.put(results);
    } catch (err) {
      console.error(`edgery: writing ${results.length} results to D1 failed; retrying later`, err);
      sql.exec(
        "UPDATE d1_pending SET attempts = attempts + 1, not_before = ? + ? * MIN(attempts + 1, 30) WHERE id IN (SELECT value FROM json_each(?))",
        now,
        D1_RETRY_MS,
        JSON.stringify(ids),
      );
      break;
    }
    sql.exec("DELETE FROM d1_pending WHERE id IN (SELECT value FROM json_each(?))", JSON.stringify(ids));
    pushed += results.length;
  }
  const next = sql.exec<{ at: number }>(D1_LEFT_SQL).toArray()[0];
  return { pushed, nextAt: next?.at ?? null };
}

/** Deletes the R2 objects of expired results (up to 1,000 per call). Returns how many. */
export async function sweepR2(sql: SqlStorage, bucket: R2Bucket, now: number): Promise<number> {
  const keys = sql.exec<{ key: string }>("SELECT key FROM r2_objects WHERE expires_at <= ? LIMIT 1000", now).toArray().map((r) => r.key);
  if (keys.length === 0) return 0;
  await bucket.delete(keys);
  sql.exec("DELETE FROM r2_objects WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(keys));
  return keys.length;
}

/** True while backend bookkeeping has rows still to act on (keeps the alarm alive); stops at the first row of each table. */
export function backendRowsLeft(sql: SqlStorage): boolean {
  return sql.exec<{ n: number }>("SELECT EXISTS (SELECT 1 FROM d1_pending) OR EXISTS (SELECT 1 FROM r2_objects) AS n").one().n === 1;
}
