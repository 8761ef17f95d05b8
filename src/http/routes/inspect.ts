/**
 * Inspection, as Celery's `inspect`: `GET /v1/inspect/registered` (the tasks this app serves),
 * `GET /v1/inspect/active` (tasks a worker has begun, with their last progress) and
 * `GET /v1/inspect/scheduled` (delayed tasks), the last two from the QueueDO of each queue the
 * directory lists (or of `?queue=`), at most `?limit=` (default 100) in all.
 */
import type { Hono } from "hono";
import type { ActiveTask, ScheduledTask, TaskResult } from "../../protocol/index.js";
import type { GroupRef, InspectedRow, InspectKind } from "../../protocol/rpc.js";
import { registeredTasks } from "../../app/registered.js";
import { directoryStub, queueShardStub, resultShard, shardOf } from "../../runtime/stubs.js";
import { queueShardCount } from "../../runtime/queue-shards.js";
import { groupBy } from "../../runtime/group-by.js";
import { fulfilled } from "../../runtime/settled.js";
import type { EdgeryEnv } from "../../runtime/env.js";
import type { App } from "../../app/app.js";
import { limitParam, queryParam, queueParam } from "../query.js";
import { need } from "../auth.js";
import type { ApiEnv } from "../types.js";

/** Default number of tasks listed. */
const DEFAULT_LIMIT = 100;
/** The latest time a JavaScript Date holds: a stored eta past it (a rate turn far ahead) reads as it. */
const MAX_DATE_MS = 8.64e15;

/** Up to `limit` rows of each queue shard asked (one failing shard is left out, and logged). */
async function rowsOf(env: EdgeryEnv, app: App, only: string | undefined, kind: InspectKind, limit: number): Promise<InspectedRow[]> {
  const queues = only !== undefined ? [only] : await directoryStub(env).listQueues();
  const counts = await Promise.all(queues.map((q) => queueShardCount(env, q, app.queueLayout(q))));
  const shards = queues.flatMap((q, i) => {
    const layout = app.queueLayout(q);
    return Array.from({ length: counts[i]! }, (_, k) => ({ q, k, stub: queueShardStub(env, q, k, layout) }));
  });
  const settled = await Promise.allSettled(shards.map(({ q, stub }) => stub.inspect(q, kind, limit)));
  return fulfilled(settled, (i, reason) => console.error(`edgery: queue '${shards[i]!.q}' (shard ${shards[i]!.k}) could not be inspected`, reason)).flat();
}

/** The stored results of `ids` (null where none), one call per result shard. */
async function resultsOf(env: EdgeryEnv, ids: string[]): Promise<Map<string, TaskResult>> {
  const out = new Map<string, TaskResult>();
  const byShard = groupBy(ids, (id) => shardOf(env, id));
  await Promise.all(
    [...byShard].map(async ([shard, shardIds]) => {
      // RPC typing turns a result's `unknown` fields into `never`; the values are plain JSON.
      const found = (await resultShard(env, shard).waitMany(shardIds, 0)) as unknown as Array<TaskResult | GroupRef | null>;
      found.forEach((r, i) => {
        if (r && !("group" in r)) out.set(shardIds[i]!, r);
      });
    }),
  );
  return out;
}

/**
 * A begun row with what its result says of it (a row whose result is not written yet reads
 * STARTED). It began when its queue says its delivery was begun, with or without
 * `track_started`; a row begun before the queue kept that time, when its result says.
 */
function activeTask(row: InspectedRow, r: TaskResult | undefined): ActiveTask {
  const begun = r && r.state !== "PENDING" && r.state !== "RECEIVED";
  return {
    id: row.id,
    task: row.task,
    queue: row.queue,
    state: begun ? r.state : "STARTED",
    started_at: row.startedAt !== null ? new Date(row.startedAt).toISOString() : (r?.started_at ?? null),
    worker: r?.worker ?? null,
    meta: begun ? (r.meta ?? null) : null,
  };
}

/** Registers the inspection routes. */
export function inspectRoutes(api: Hono<ApiEnv>): void {
  api.get("/v1/inspect/registered", need("read"), (c) => c.json({ tasks: registeredTasks(c.get("app")) }));

  api.get("/v1/inspect/active", need("read"), async (c) => {
    const limit = limitParam(queryParam(c, "limit"), DEFAULT_LIMIT);
    const rows = (await rowsOf(c.env, c.get("app"), queueParam(queryParam(c, "queue")), "active", limit)).slice(0, limit);
    const results = await resultsOf(c.env, rows.map((r) => r.id));
    return c.json({ tasks: rows.map((row) => activeTask(row, results.get(row.id))) });
  });

  api.get("/v1/inspect/scheduled", need("read"), async (c) => {
    const limit = limitParam(queryParam(c, "limit"), DEFAULT_LIMIT);
    const rows = await rowsOf(c.env, c.get("app"), queueParam(queryParam(c, "queue")), "scheduled", limit);
    const soonest = rows.sort((a, b) => (a.eta ?? 0) - (b.eta ?? 0) || (a.id < b.id ? -1 : 1)).slice(0, limit);
    const tasks: ScheduledTask[] = soonest.map((r) => ({ id: r.id, task: r.task, queue: r.queue, eta: new Date(Math.min(r.eta ?? 0, MAX_DATE_MS)).toISOString(), priority: r.priority }));
    return c.json({ tasks });
  });
}
