/**
 * The directory's memory of revokes whose place was unknown: an id revoked while no result named
 * its queue (it waited, or was still to be enqueued: a chain's later step, a task applied later
 * with that id) is asked of the listed queues only, so a queue not listed then (never used, or
 * taken off while idle) would not know it. The directory keeps those ids, each until it expires
 * (REVOKED_MEMORY_S from its revoke, as a queue's own memory), at most DIRECTORY_REVOKES_MAX of
 * them (past it, the oldest revoked are forgotten first), and hands a queue that joins the ones
 * revoked since its last join; the queue remembers them before it enqueues anything.
 *
 * Each revoke gets a number (`seq`, growing); a queue keeps the newest it was handed and sends it
 * at its next join. While listed, a queue is asked by every revoke itself, so the ids recorded
 * since its last join cover everything it may have missed. Recording and the list of queues to
 * ask are one step of the directory (one object, one call at a time): a queue either is in that
 * list or joins after the ids are recorded.
 */
import { DIRECTORY_REVOKES_MAX, REVOKED_MEMORY_S, SQL_PARAM_BUDGET_BYTES } from "../src/protocol/index.js";
import { jsonSlices } from "../src/runtime/pack.js";
import type { DirectoryJoin, RevokedId } from "../src/protocol/rpc.js";

/** The table of remembered revokes. */
export const DIRECTORY_REVOKES_SCHEMA = `
CREATE TABLE IF NOT EXISTS revokes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  until INTEGER NOT NULL
);
`;

/**
 * Records revoked ids (a revoked again id is renumbered: it is the newest), then forgets expired
 * ones and, past `max`, the oldest; of one revoke of more than `max` ids, its last `max` are kept.
 * Reads/writes `revokes`; the ids are bound in slices of SQL_PARAM_BUDGET_BYTES.
 */
export function recordRevokes(sql: SqlStorage, ids: string[], now: number, max = DIRECTORY_REVOKES_MAX): void {
  const until = now + REVOKED_MEMORY_S * 1000;
  for (const list of jsonSlices([...new Set(ids)].slice(-max), SQL_PARAM_BUDGET_BYTES)) {
    sql.exec("DELETE FROM revokes WHERE id IN (SELECT value FROM json_each(?))", list);
    sql.exec("INSERT INTO revokes (id, until) SELECT value, ? FROM json_each(?) ORDER BY key", until, list);
  }
  sql.exec("DELETE FROM revokes WHERE until <= ?", now);
  sql.exec("DELETE FROM revokes WHERE seq IN (SELECT seq FROM revokes ORDER BY seq DESC LIMIT -1 OFFSET ?)", max);
}

/**
 * The revokes a queue joining with cursor `since` has to take in: those numbered after it and
 * not expired. A cursor past the newest number ever given (the directory's memory is not the one
 * the queue last saw) counts as 0: the queue gets all. Reads `revokes`.
 */
export function revokesSince(sql: SqlStorage, since: number, now: number): DirectoryJoin {
  const top = sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'revokes'").toArray()[0]?.seq ?? 0;
  const from = since > top ? 0 : since;
  const revokes: RevokedId[] = sql
    .exec<{ id: string; until: number }>("SELECT id, until FROM revokes WHERE seq > ? AND until > ? ORDER BY seq", from, now)
    .toArray()
    .map((r) => ({ id: r.id, until: r.until }));
  return { revokes, seq: top };
}
