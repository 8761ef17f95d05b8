/**
 * ResultDO: the authoritative store of task states and results for the ids of one shard, with
 * group records, and waiters for `?wait=` long polls (woken on write: nothing polls).
 * The instance named `directory` also lists the queues that exist.
 *
 * KV serves ready results at the edge: the API copies a ready result into KV on first read,
 * so KV writes stay off the hot path (a KV put per task would cap throughput near 1,100/s).
 */
import { DurableObject } from "cloudflare:workers";
import { isReady, type TaskResult } from "../src/protocol/index.js";
import type { ResultWrite } from "../src/canvas/effects.js";
import type { EdgeryEnv } from "../src/env.js";

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
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY
);
`;

type ResultRow = {
  id: string;
  state: string;
  result: string | null;
  meta: string | null;
  error: string | null;
  task: string | null;
  queue: string | null;
  worker: string | null;
  retries: number;
  parent_id: string | null;
  group_id: string | null;
  children: string | null;
  started_at: number | null;
  date_done: number | null;
  expires_at: number | null;
};

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** A stored row as the contract's result. */
export function rowToResult(r: ResultRow): TaskResult {
  return {
    id: r.id,
    state: r.state,
    result: parse(r.result),
    meta: parse(r.meta),
    error: parse(r.error) as TaskResult["error"],
    task: r.task,
    queue: r.queue,
    worker: r.worker,
    retries: r.retries,
    parent_id: r.parent_id,
    group_id: r.group_id,
    children: (parse(r.children) as string[] | null) ?? [],
    started_at: iso(r.started_at),
    date_done: iso(r.date_done),
  };
}

/** One shard of results. */
export class ResultDO extends DurableObject<EdgeryEnv> {
  private readonly sql: SqlStorage;
  private readonly waiters = new Map<string, Set<(r: TaskResult) => void>>();

  constructor(ctx: DurableObjectState, env: EdgeryEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(RESULT_SCHEMA);
    });
  }

  /**
   * Writes state changes. A ready result (SUCCESS, FAILURE, REVOKED) is final: later writes
   * for that id are ignored (so a late result, or a replayed effect, changes nothing).
   * Wakes the waiters of ids that became ready.
   */
  async write(writes: ResultWrite[]): Promise<{ written: number }> {
    const now = Date.now();
    const woken: TaskResult[] = [];
    let written = 0;
    this.ctx.storage.transactionSync(() => {
      for (const w of writes) {
        const old = this.sql.exec<ResultRow>("SELECT * FROM results WHERE id = ?", w.id).toArray()[0];
        if (old && isReady(old.state)) continue;
        const ready = isReady(w.state);
        const row: ResultRow = {
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
          children: old?.children ?? null,
          started_at: w.started_at ?? old?.started_at ?? null,
          date_done: ready ? (w.date_done ?? now) : null,
          expires_at: ready ? now + (w.expires_s ?? 86_400) * 1000 : now + 7 * 86_400 * 1000,
        };
        this.sql.exec(
          `INSERT OR REPLACE INTO results (id, state, result, meta, error, task, queue, worker, retries, parent_id, group_id, children, started_at, date_done, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          row.id, row.state, row.result, row.meta, row.error, row.task, row.queue, row.worker, row.retries,
          row.parent_id, row.group_id, row.children, row.started_at, row.date_done, row.expires_at,
        );
        written += 1;
        if (ready) woken.push(rowToResult(row));
      }
    });
    for (const r of woken) {
      const set = this.waiters.get(r.id);
      if (!set) continue;
      this.waiters.delete(r.id);
      for (const wake of set) wake(r);
    }
    await this.scheduleSweep();
    return { written };
  }

  /** The stored result, or null (unknown, forgotten or expired: the API answers PENDING). */
  async get(id: string): Promise<TaskResult | null> {
    const row = this.sql.exec<ResultRow>("SELECT * FROM results WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)", id, Date.now()).toArray()[0];
    return row ? rowToResult(row) : null;
  }

  /** Several results at once (null where unknown). */
  async getMany(ids: string[]): Promise<Array<TaskResult | null>> {
    const rows = this.sql
      .exec<ResultRow>("SELECT * FROM results WHERE id IN (SELECT value FROM json_each(?)) AND expires_at > ?", JSON.stringify(ids), Date.now())
      .toArray();
    const byId = new Map(rows.map((r) => [r.id, rowToResult(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** The result once ready, or as it is after `ms` (null if still unknown). */
  async wait(id: string, ms: number): Promise<TaskResult | null> {
    const now = await this.get(id);
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
        resolve(this.get(id));
      }, ms);
      set.add(wake);
    });
  }

  /** Forgets a result (and a group record of that id). */
  async forget(id: string): Promise<void> {
    this.sql.exec("DELETE FROM results WHERE id = ?", id);
    this.sql.exec("DELETE FROM groups WHERE id = ?", id);
  }

  /** Records groups: each id with its members' result ids, in member order. */
  async recordGroups(groups: Array<{ id: string; members: string[] }>, expiresS: number): Promise<void> {
    const until = Date.now() + expiresS * 1000;
    this.ctx.storage.transactionSync(() => {
      for (const g of groups) this.sql.exec("INSERT OR REPLACE INTO groups (id, members, expires_at) VALUES (?, ?, ?)", g.id, JSON.stringify(g.members), until);
    });
    await this.scheduleSweep();
  }

  /** A group's member ids, or null when unknown. */
  async groupMembers(id: string): Promise<string[] | null> {
    const row = this.sql.exec<{ members: string }>("SELECT members FROM groups WHERE id = ? AND expires_at > ?", id, Date.now()).toArray()[0];
    return row ? (JSON.parse(row.members) as string[]) : null;
  }

  /** Directory: notes that a queue exists. */
  async registerQueue(name: string): Promise<void> {
    this.sql.exec("INSERT OR IGNORE INTO queues (name) VALUES (?)", name);
  }

  /** Directory: every queue that exists. */
  async listQueues(): Promise<string[]> {
    return this.sql.exec<{ name: string }>("SELECT name FROM queues ORDER BY name").toArray().map((r) => r.name);
  }

  private async scheduleSweep(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 60_000);
  }

  /** Sweeps expired results and group records. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM results WHERE expires_at <= ?", now);
    this.sql.exec("DELETE FROM groups WHERE expires_at <= ?", now);
    const left = this.sql.exec<{ n: number }>("SELECT (SELECT COUNT(*) FROM results) + (SELECT COUNT(*) FROM groups) AS n").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(now + 60_000);
  }
}
