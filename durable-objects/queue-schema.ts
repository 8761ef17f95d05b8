/**
 * The QueueDO's SQLite schema. One row per message; its `state` says where it is:
 * `delayed` (eta in the future, never leased), `waiting` (ready, by priority then seq) or
 * `leased` (handed to a consumer under a lease token until `deadline`).
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
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (state, priority DESC, seq);
CREATE INDEX IF NOT EXISTS messages_eta ON messages (state, eta);
CREATE INDEX IF NOT EXISTS messages_deadline ON messages (state, deadline);
CREATE INDEX IF NOT EXISTS messages_expires ON messages (state, expires) WHERE expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  effect TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS revoked (
  id TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
