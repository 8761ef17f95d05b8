/**
 * A result as a SQL row (ResultDO's SQLite and D1 share the columns), and its conversion to the
 * contract's result. Pure.
 */
import type { TaskResult } from "../protocol/index.js";

/** The stored columns of one result: JSON values as text, times as epoch ms. */
export type ResultRow = {
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

/** Epoch ms as ISO-8601 (null stays null). */
export const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
/** Stored JSON text back to a value (null stays null). */
export const parseStored = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

/** A stored row as the contract's result. */
export function rowToResult(r: ResultRow): TaskResult {
  return {
    id: r.id,
    state: r.state,
    result: parseStored(r.result),
    meta: parseStored(r.meta),
    error: parseStored(r.error) as TaskResult["error"],
    task: r.task,
    queue: r.queue,
    worker: r.worker,
    retries: r.retries,
    parent_id: r.parent_id,
    group_id: r.group_id,
    children: (parseStored(r.children) as string[] | null) ?? [],
    started_at: iso(r.started_at),
    date_done: iso(r.date_done),
  };
}
