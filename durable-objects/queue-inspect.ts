/**
 * The QueueDO's rows as `GET /v1/inspect/active|scheduled` lists them: the begun leases (a worker
 * runs them) or the delayed rows (countdown/eta), each through its own partial index, at most
 * `limit`, a begun row with the time its delivery was begun (`started_at`, set by begin). The task
 * name is read from the stored JSON by SQLite, so no body is parsed here.
 */
import type { InspectedRow, InspectKind } from "../src/protocol/rpc.js";

const QUERIES: Record<InspectKind, string> = {
  // The leased index is by deadline: the tasks closest to their end first.
  active: "SELECT id, json_extract(body, '$.task') AS task, priority, NULL AS eta, started_at FROM messages WHERE state = 'leased' AND started = 1 ORDER BY deadline, seq LIMIT ?",
  scheduled: "SELECT id, json_extract(body, '$.task') AS task, priority, eta, NULL AS started_at FROM messages WHERE state = 'delayed' ORDER BY eta, seq LIMIT ?",
};

/** Lists up to `limit` rows of one kind, in index order (reads `messages`). */
export function inspectRows(sql: SqlStorage, queue: string, kind: InspectKind, limit: number): InspectedRow[] {
  return sql
    .exec<{ id: string; task: string | null; priority: number; eta: number | null; started_at: number | null }>(QUERIES[kind], limit)
    .toArray()
    .map((r) => ({ id: r.id, task: r.task ?? "", queue, priority: r.priority, eta: r.eta, startedAt: r.started_at }));
}
