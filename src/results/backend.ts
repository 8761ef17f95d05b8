/**
 * Result backends, as Celery's `backend` / `result_backend`: where a task's final result is kept.
 *
 * - `kv` (default): the ResultDO shard is authoritative (state, `?wait=`), KV serves ready results
 *   at the edge (copied on its first plain read). Expires after `result_expires`.
 * - `d1`: as `kv`, and the ResultDO writes the final result behind into D1 (batched, retried by its
 *   alarm until D1 accepts), where it is queryable (`GET /v1/results?...`) and outlives the shard.
 * - `r2`: every value goes to R2 (threshold 0), the shard keeps a pointer. Any backend sends values
 *   larger than `result_r2_threshold` (default 1 MiB) to R2 the same way.
 * - `none`: nothing is stored (`ignore_result`).
 *
 * Each is an implementation of {@link ResultBackend}, checked by one conformance suite
 * (test/results/conformance.ts) against the in-memory twin and the real bindings.
 */
import { isReady, type BackendKind, type TaskResult } from "../protocol/index.js";
import { fromBase64Url, toBase64Url } from "../protocol/base64url.js";

export { BACKEND_KINDS, type BackendKind } from "../protocol/index.js";

/** A stored result: the contract's result, with `args`/`kwargs` when `result_extended`. */
export interface StoredResult extends TaskResult {
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Epoch ms after which the result is gone; null keeps it until forgotten (`result_persistent`). */
  expires_at?: number | null;
}

/** A query over stored results (only backends with `query`: D1 and the memory twin). */
export interface ResultFilter {
  state?: string;
  task?: string;
  queue?: string;
  /** Only results done at or after this time (epoch ms). */
  since?: number;
  /** Page size, 1..1000. */
  limit: number;
}

/** One page of a query, newest first; `cursor` continues it (null: no more). */
export interface ResultPage {
  results: StoredResult[];
  cursor: string | null;
}

/** Where results are kept. Every method is idempotent; a ready result is final (first wins). */
export interface ResultBackend {
  readonly kind: BackendKind;
  /** Stores results. A result whose id already holds a ready one is ignored. */
  put(results: StoredResult[]): Promise<void>;
  /** The stored result, or null (unknown, expired or forgotten). */
  get(id: string): Promise<StoredResult | null>;
  /** Removes a result; unknown ids are fine. */
  forget(id: string): Promise<void>;
  /** Ready results matching `filter`, newest first (`date_done` DESC, id DESC). */
  query?(filter: ResultFilter, cursor: string | null): Promise<ResultPage>;
}

/** `none` (`ignore_result`): nothing is kept. */
export class NoneBackend implements ResultBackend {
  readonly kind = "none" as const;
  async put(): Promise<void> {}
  async get(): Promise<StoredResult | null> {
    return null;
  }
  async forget(): Promise<void> {}
}

/** True when a stored result `old` must not be replaced (first final result wins). */
export function keepsOld(old: StoredResult | null | undefined): boolean {
  return !!old && isReady(old.state);
}

// ---- cursors ----------------------------------------------------------------------------

/** The position after a result in newest-first order. */
export interface CursorPos {
  /** date_done, epoch ms. */
  d: number;
  id: string;
}

/** The longest cursor read (before its padding): a task id is at most 255 characters. */
const MAX_CURSOR_CHARS = 2048;

/** An opaque cursor (base64url of `[d, id]`, without padding). */
export function encodeCursor(pos: CursorPos): string {
  return toBase64Url(JSON.stringify([pos.d, pos.id]));
}

/** The position in a cursor (with or without `=` padding), or null when it is not one of ours. */
export function decodeCursor(cursor: string): CursorPos | null {
  const raw = fromBase64Url(cursor, MAX_CURSOR_CHARS);
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || typeof v[1] !== "string" || v[1] === "") return null;
    return { d: v[0] as number, id: v[1] };
  } catch {
    return null;
  }
}

/** Epoch ms of an ISO date (null stays null). */
export function epochOf(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** True when `r` comes after `pos` in newest-first order. */
export function afterCursor(r: { date_done: string | null; id: string }, pos: CursorPos): boolean {
  const d = epochOf(r.date_done) ?? 0;
  return d < pos.d || (d === pos.d && r.id < pos.id);
}

/** Newest-first order: date_done DESC, then id DESC. */
export function newestFirst(a: StoredResult, b: StoredResult): number {
  const da = epochOf(a.date_done) ?? 0;
  const db = epochOf(b.date_done) ?? 0;
  if (da !== db) return db - da;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** True when a result matches a filter (the memory twin; D1 does this in SQL). */
export function matches(r: StoredResult, f: ResultFilter): boolean {
  if (!isReady(r.state)) return false;
  if (f.state !== undefined && r.state !== f.state) return false;
  if (f.task !== undefined && r.task !== f.task) return false;
  if (f.queue !== undefined && r.queue !== f.queue) return false;
  if (f.since !== undefined && (epochOf(r.date_done) ?? 0) < f.since) return false;
  return true;
}
