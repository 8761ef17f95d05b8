/**
 * The QueueDO's SQLite schema. One row per message; its `state` says where it is:
 * `delayed` (eta in the future, never leased), `waiting` (ready, by priority then seq) or
 * `leased` (handed to a consumer under a lease token until `deadline`).
 *
 * The outbox's two indexes are partial too: `outbox_fresh` holds the fresh rows (attempts = 0,
 * due at once) and `outbox_backoff` the backed-off ones by their next try, so a flush and the
 * alarm read only the rows they need (see OUTBOX_DUE_SQL and OUTBOX_NEXT_DUE_SQL).
 *
 * Each index is partial, over the one state it serves: a row is in at most two of them (plus
 * the id index), so a message's moves (enqueue, lease, settle) touch few B-trees. The DROPs
 * remove the full indexes of earlier versions (a no-op once they are gone).
 *
 * A begun row has two times: `lease_end`, the end of its lease whatever happens (the hard time
 * limit plus grace, or the visibility timeout), and `deadline`, the earlier of that and the end
 * of its worker's liveness lease (renewed by heartbeats); the alarm looks at `deadline`.
 * `deliveries` counts the times a consumer began the row (the poison-message bound), and
 * `started_at` says when its current delivery was begun.
 */
export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 9),
  state TEXT NOT NULL CHECK (state IN ('delayed', 'waiting', 'leased')),
  eta INTEGER,
  expires INTEGER,
  lease TEXT,
  deadline INTEGER,
  started INTEGER NOT NULL DEFAULT 0,
  acked INTEGER NOT NULL DEFAULT 0,
  redelivered INTEGER NOT NULL DEFAULT 0,
  time_limited INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  lease_end INTEGER,
  deliveries INTEGER NOT NULL DEFAULT 0
);
DROP INDEX IF EXISTS messages_ready;
DROP INDEX IF EXISTS messages_eta;
DROP INDEX IF EXISTS messages_deadline;
DROP INDEX IF EXISTS messages_expires;
CREATE INDEX IF NOT EXISTS messages_waiting ON messages (priority DESC, seq) WHERE state = 'waiting';
CREATE INDEX IF NOT EXISTS messages_delayed ON messages (eta) WHERE state = 'delayed';
CREATE INDEX IF NOT EXISTS messages_leased ON messages (deadline) WHERE state = 'leased';
CREATE INDEX IF NOT EXISTS messages_expiring ON messages (expires) WHERE state = 'waiting' AND expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  effect TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_backoff ON outbox (not_before) WHERE attempts > 0;
CREATE INDEX IF NOT EXISTS outbox_fresh ON outbox (attempts) WHERE attempts = 0;
CREATE TABLE IF NOT EXISTS revoked (
  id TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_clocks (
  bucket TEXT PRIMARY KEY,
  next_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/**
 * The span of `seq` over the rows (last minus first plus one; NULL when empty), which bounds how
 * many messages the queue holds: enqueue's back-pressure check. Two scalar subqueries, each a
 * single MIN or MAX that SQLite answers from one end of the rowid B-tree; `MAX(seq) - MIN(seq)`
 * in one SELECT is not optimized that way and scanned every row on every enqueue.
 */
export const SEQ_SPAN_SQL = "SELECT (SELECT MAX(seq) FROM messages) - (SELECT MIN(seq) FROM messages) + 1 AS n";

/**
 * What a dispatch pass at `?` (now, bound twice) has to do: `waiting` rows (to lease), `delayed`
 * ones due (to promote), `expiring` waiting ones past `expires` (to end). Each EXISTS reads one
 * partial index (messages_waiting, messages_delayed, messages_expiring): on an idle queue, the
 * pass after a settle costs this one read.
 */
export const DISPATCH_DUE_SQL = `SELECT EXISTS (SELECT 1 FROM messages WHERE state = 'waiting') AS waiting,
  EXISTS (SELECT 1 FROM messages WHERE state = 'delayed' AND eta <= ?1) AS delayed,
  EXISTS (SELECT 1 FROM messages WHERE state = 'waiting' AND expires IS NOT NULL AND expires <= ?1) AS expiring`;

/**
 * Columns added after the first version, for a table that exists without them: each with the
 * backfill that gives existing rows the meaning they had before.
 */
const ADDED_COLUMNS: Array<{ name: string; add: string; backfill?: string }> = [
  {
    name: "lease_end",
    add: "ALTER TABLE messages ADD COLUMN lease_end INTEGER",
    // A row begun by an earlier version had one deadline: its lease's end.
    backfill: "UPDATE messages SET lease_end = deadline WHERE state = 'leased' AND started = 1",
  },
  { name: "deliveries", add: "ALTER TABLE messages ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 0" },
  // Until when a row of a multi-object apply waits for its release (see QueueDO.release).
  { name: "hold_until", add: "ALTER TABLE messages ADD COLUMN hold_until INTEGER" },
  // When a consumer (or a direct hand-off) began the row's current delivery, for
  // `GET /v1/inspect/active`; set by the begin's own UPDATE. A row begun by an earlier version has none.
  { name: "started_at", add: "ALTER TABLE messages ADD COLUMN started_at INTEGER" },
];

/** Creates the schema, or upgrades the one an earlier version created (rows kept). */
export function applyQueueSchema(sql: SqlStorage): void {
  sql.exec(QUEUE_SCHEMA);
  const have = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('messages')").toArray().map((r) => r.name));
  for (const column of ADDED_COLUMNS) {
    if (have.has(column.name)) continue;
    sql.exec(column.add);
    if (column.backfill) sql.exec(column.backfill);
  }
  sql.exec("CREATE INDEX IF NOT EXISTS messages_held ON messages (hold_until) WHERE hold_until IS NOT NULL");
}

/** A row of the `messages` table. */
export type MessageRow = {
  seq: number;
  id: string;
  priority: number;
  state: string;
  eta: number | null;
  expires: number | null;
  lease: string | null;
  deadline: number | null;
  /**
   * 0: leased, not begun (its delivery not yet picked up); 1: begun (its consumer runs it);
   * HANDED_OFF (queue-leases.ts): begun by its queue for a direct hand-off whose consumer has not
   * confirmed it yet: it has run nothing, so a lease that ends so is given back.
   */
  started: number;
  acked: number;
  redelivered: number;
  time_limited: number;
  body: string;
  lease_end: number | null;
  deliveries: number;
  hold_until: number | null;
  started_at: number | null;
};
