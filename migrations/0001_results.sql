-- edgery result backend: the D1 results table (src/results/d1-schema.ts holds the same statements).
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
