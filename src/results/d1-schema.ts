/**
 * The D1 results table. The same statements are migrations/0001_results.sql (applied with
 * `wrangler d1 migrations apply`); the d1 backend also runs them (idempotent) at first use, so a
 * fresh `npm run dev` needs no extra step. A unit test keeps the two identical.
 */
export const D1_SCHEMA = `CREATE TABLE IF NOT EXISTS results (
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
  args TEXT,
  kwargs TEXT,
  started_at INTEGER,
  date_done INTEGER,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS results_date_done ON results (date_done DESC, id DESC);
CREATE INDEX IF NOT EXISTS results_state ON results (state, date_done DESC, id DESC);
CREATE INDEX IF NOT EXISTS results_task ON results (task, date_done DESC, id DESC);
CREATE INDEX IF NOT EXISTS results_queue ON results (queue, date_done DESC, id DESC);
CREATE INDEX IF NOT EXISTS results_expires_at ON results (expires_at);
`;

/** The schema as single statements. */
export function schemaStatements(): string[] {
  return D1_SCHEMA.split(";")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
