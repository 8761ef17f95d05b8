/**
 * The `d1` result backend: final results in a D1 table (migrations/0001_results.sql), queryable by
 * state, task, queue and date, newest first with cursor paging. Kept until `expires_at` (null:
 * until forgotten, `result_persistent`). The ResultDO writes results behind into it, batched and
 * retried by its alarm until D1 accepts.
 */
import { READY_STATES } from "../protocol/index.js";
import {
  decodeCursor,
  encodeCursor,
  epochOf,
  type ResultBackend,
  type ResultFilter,
  type ResultPage,
  type StoredResult,
} from "./backend.js";
import { schemaStatements } from "./d1-schema.js";
import { parseStored, rowToResult, type ResultRow } from "./stored-row.js";

/** A D1 row: the stored result's columns plus the extended args and kwargs. */
type D1Row = ResultRow & { args: string | null; kwargs: string | null };

const COLUMNS = "id, state, result, meta, error, task, queue, worker, retries, parent_id, group_id, children, args, kwargs, started_at, date_done, expires_at";
const READY_SQL = [...READY_STATES].map((s) => `'${s}'`).join(", ");
/** Statements per D1 batch. */
const BATCH = 50;

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

function toResult(r: D1Row): StoredResult {
  const out: StoredResult = { ...rowToResult(r), expires_at: r.expires_at };
  if (r.args !== null) out.args = parseStored(r.args) as unknown[];
  if (r.kwargs !== null) out.kwargs = parseStored(r.kwargs) as Record<string, unknown>;
  return out;
}

/** Schema set-up per database, once per isolate (retried after a failure). */
const ready = new WeakMap<D1Database, Promise<void>>();

/** Creates the table and indexes if missing (the migration's statements; idempotent). */
export function ensureD1Schema(db: D1Database): Promise<void> {
  let p = ready.get(db);
  if (!p) {
    p = db
      .batch(schemaStatements().map((s) => db.prepare(s)))
      .then(() => undefined)
      .catch((err: unknown) => {
        ready.delete(db);
        throw err;
      });
    ready.set(db, p);
  }
  return p;
}

/** Results in D1. */
export class D1Backend implements ResultBackend {
  readonly kind = "d1" as const;

  constructor(
    private readonly db: D1Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** Upserts, first final result wins (a ready row is never replaced). */
  async put(results: StoredResult[]): Promise<void> {
    if (results.length === 0) return;
    await ensureD1Schema(this.db);
    const stmt = this.db.prepare(
      `INSERT INTO results (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, result = excluded.result, meta = excluded.meta, error = excluded.error,
         task = excluded.task, queue = excluded.queue, worker = excluded.worker, retries = excluded.retries, parent_id = excluded.parent_id,
         group_id = excluded.group_id, children = excluded.children, args = excluded.args, kwargs = excluded.kwargs,
         started_at = excluded.started_at, date_done = excluded.date_done, expires_at = excluded.expires_at
       WHERE results.state NOT IN (${READY_SQL})`,
    );
    const bound = results.map((r) =>
      stmt.bind(
        r.id,
        r.state,
        json(r.result),
        json(r.meta),
        json(r.error),
        r.task,
        r.queue,
        r.worker,
        r.retries,
        r.parent_id,
        r.group_id,
        r.children.length > 0 ? JSON.stringify(r.children) : null,
        r.args === undefined ? null : JSON.stringify(r.args),
        r.kwargs === undefined ? null : JSON.stringify(r.kwargs),
        epochOf(r.started_at),
        epochOf(r.date_done),
        r.expires_at ?? null,
      ),
    );
    for (let i = 0; i < bound.length; i += BATCH) await this.db.batch(bound.slice(i, i + BATCH));
  }

  async get(id: string): Promise<StoredResult | null> {
    await ensureD1Schema(this.db);
    const row = await this.db
      .prepare(`SELECT ${COLUMNS} FROM results WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)`)
      .bind(id, this.now())
      .first<D1Row>();
    return row ? toResult(row) : null;
  }

  async forget(id: string): Promise<void> {
    await ensureD1Schema(this.db);
    await this.db.prepare("DELETE FROM results WHERE id = ?").bind(id).run();
  }

  async query(filter: ResultFilter, cursor: string | null): Promise<ResultPage> {
    await ensureD1Schema(this.db);
    const where = [`state IN (${READY_SQL})`, "(expires_at IS NULL OR expires_at > ?)"];
    const params: unknown[] = [this.now()];
    if (filter.state !== undefined) (where.push("state = ?"), params.push(filter.state));
    if (filter.task !== undefined) (where.push("task = ?"), params.push(filter.task));
    if (filter.queue !== undefined) (where.push("queue = ?"), params.push(filter.queue));
    if (filter.since !== undefined) (where.push("date_done >= ?"), params.push(filter.since));
    if (cursor !== null) {
      const pos = decodeCursor(cursor);
      if (!pos) throw new Error("bad cursor");
      where.push("(date_done < ? OR (date_done = ? AND id < ?))");
      params.push(pos.d, pos.d, pos.id);
    }
    const { results: rows } = await this.db
      .prepare(`SELECT ${COLUMNS} FROM results WHERE ${where.join(" AND ")} ORDER BY date_done DESC, id DESC LIMIT ?`)
      .bind(...params, filter.limit + 1)
      .all<D1Row>();
    const page = rows.slice(0, filter.limit).map(toResult);
    const last = rows.length > filter.limit ? rows[filter.limit - 1] : undefined;
    return { results: page, cursor: last ? encodeCursor({ d: last.date_done ?? 0, id: last.id }) : null };
  }

  /** Deletes rows past their `expires_at` (the ResultDO's alarm calls this now and then). */
  async sweep(limit = 500): Promise<number> {
    await ensureD1Schema(this.db);
    const res = await this.db
      .prepare("DELETE FROM results WHERE id IN (SELECT id FROM results WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)")
      .bind(this.now(), limit)
      .run();
    return res.meta.changes ?? 0;
  }
}
