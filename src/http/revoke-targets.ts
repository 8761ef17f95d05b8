/**
 * Where a revoke goes: where the tasks are. A task whose result names its queue (it started, or
 * changed state there) is revoked in that queue only; a finished one nowhere. Only when some
 * task's place is unknown (it waits, or is still to be enqueued) are the listed queues asked:
 * the directory holds only queues that hold something (see durable-objects/queue-listing.ts).
 */
import { DEFAULT_QUEUE, isReady, type TaskResult } from "../protocol/index.js";
import type { App } from "../app/app.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { directoryStub, resultShard, shardOf } from "../runtime/stubs.js";
import { groupBy } from "../runtime/group-by.js";

/** The queues to revoke `ids` in. */
export async function revokeTargets(env: EdgeryEnv, app: App, ids: string[]): Promise<string[]> {
  // One call per shard, however many members a group has.
  const byShard = [...groupBy(ids, (id) => shardOf(env, id))];
  const answers = await Promise.all(byShard.map(([shard, list]) => resultShard(env, shard).waitMany(list, 0)));
  const results = answers.flat().map((r) => (r && "state" in r ? (r as TaskResult) : null));
  const known = new Set<string>();
  let unknown = false;
  for (const r of results) {
    if (r && isReady(r.state)) continue;
    if (r?.queue) known.add(r.queue);
    else unknown = true;
  }
  if (!unknown) return [...known];
  const listed = await directoryStub(env).listQueues();
  return [...new Set([...known, DEFAULT_QUEUE, ...app.routedQueues(), ...listed])];
}
