/**
 * Where a revoke goes: where the tasks are. A task whose result names its queue (it started, or
 * changed state there) is revoked in that queue only; a finished one nowhere. Only when some
 * task's place is unknown (it waits, or is still to be enqueued) are the listed queues asked:
 * the directory holds only queues that hold something (see durable-objects/queue-listing.ts).
 *
 * The ids whose place is unknown are also remembered by the directory, in the same call that
 * answers the listed queues: a queue not listed now (never used yet, or taken off while idle)
 * takes them in when it joins, before it enqueues, so such a task is dropped wherever it lands
 * later (see durable-objects/directory-revokes.ts).
 */
import { DEFAULT_QUEUE, isReady, type TaskResult } from "../protocol/index.js";
import type { App } from "../app/app.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { directoryStub, resultShard, shardOf } from "../runtime/stubs.js";
import { groupBy } from "../runtime/group-by.js";

/** The queues to revoke `ids` in; the ids whose place is unknown are remembered by the directory. */
export async function revokeTargets(env: EdgeryEnv, app: App, ids: string[]): Promise<string[]> {
  // One call per shard, however many members a group has.
  const byShard = [...groupBy(ids, (id) => shardOf(env, id))];
  const answers = await Promise.all(byShard.map(([shard, list]) => resultShard(env, shard).waitMany(list, 0)));
  const results = new Map(byShard.flatMap(([, list], k) => list.map((id, i) => [id, answers[k]![i]] as const)));
  const known = new Set<string>();
  const unplaced: string[] = [];
  for (const id of ids) {
    const found = results.get(id);
    const r = found && "state" in found ? (found as TaskResult) : null;
    if (r && isReady(r.state)) continue;
    if (r?.queue) known.add(r.queue);
    else unplaced.push(id);
  }
  if (unplaced.length === 0) return [...known];
  const listed = await directoryStub(env).rememberRevokes(unplaced);
  return [...new Set([...known, DEFAULT_QUEUE, ...app.routedQueues(), ...listed])];
}
