/**
 * A QueueDO's dead letters: tasks of that queue that failed for good (a final FAILURE, retries
 * spent; not REVOKED), with the signature to replay them. Written in the same transaction as
 * the settle or alarm that produced the failure; the newest DEAD_LETTER_CAP are kept.
 */
import type { TaskMessage } from "../src/protocol/message.js";
import type { Outcome } from "../src/protocol/outcome.js";
import { signatureOf } from "../src/dead-letters/signature.js";
import type { DeadLetter, DeadLetterEntry } from "../src/protocol/rpc.js";

/** Most dead letters a queue keeps (older ones are dropped as new ones come). */
export const DEAD_LETTER_CAP = 10_000;

/** The table, created with the queue's schema. */
export const DEAD_LETTER_SCHEMA = `
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  task TEXT NOT NULL,
  error TEXT NOT NULL,
  failed_at INTEGER NOT NULL,
  signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_newest ON dead_letters (failed_at DESC, seq DESC);
CREATE INDEX IF NOT EXISTS dead_letters_id ON dead_letters (id);
`;

type DeadLetterRow = { seq: number; id: string; task: string; error: string; failed_at: number; signature: string };

function toEntry(r: DeadLetterRow, queue: string): DeadLetterEntry {
  return {
    seq: r.seq,
    failedAt: r.failed_at,
    item: { id: r.id, task: r.task, queue, error: JSON.parse(r.error), failed_at: new Date(r.failed_at).toISOString(), signature: JSON.parse(r.signature) },
  };
}

/**
 * Records `m` when `outcome` is a final FAILURE (inside the caller's transaction) and returns
 * the outcome unchanged, so a call site wraps the outcome it already builds.
 */
export function recordDeadLetter(sql: SqlStorage, m: TaskMessage, outcome: Outcome): Outcome {
  if (outcome.kind !== "failure" || outcome.state !== "FAILURE") return outcome;
  sql.exec(
    "INSERT INTO dead_letters (id, task, error, failed_at, signature) VALUES (?, ?, ?, ?, ?)",
    m.id,
    m.task,
    JSON.stringify(outcome.error),
    outcome.doneAt,
    JSON.stringify(signatureOf(m)),
  );
  sql.exec("DELETE FROM dead_letters WHERE seq <= (SELECT MAX(seq) FROM dead_letters) - ?", DEAD_LETTER_CAP);
  return outcome;
}

/** Newest first, below the bound (`failed_at < at`, or `= at` and `seq < seq`), at most `limit`. */
export function listDeadLetters(sql: SqlStorage, queue: string, bound: { at: number; seq: number }, limit: number): DeadLetterEntry[] {
  return sql
    .exec<DeadLetterRow>(
      "SELECT * FROM dead_letters WHERE failed_at < ? OR (failed_at = ? AND seq < ?) ORDER BY failed_at DESC, seq DESC LIMIT ?",
      bound.at,
      bound.at,
      bound.seq,
      limit,
    )
    .toArray()
    .map((r) => toEntry(r, queue));
}

/** The newest dead letter of a task id, or null. */
export function findDeadLetter(sql: SqlStorage, queue: string, id: string): DeadLetter | null {
  const row = sql.exec<DeadLetterRow>("SELECT * FROM dead_letters WHERE id = ? ORDER BY seq DESC LIMIT 1", id).toArray()[0];
  return row ? toEntry(row, queue).item : null;
}
