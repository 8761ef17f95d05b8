/**
 * Reading results: KV at the edge for ready ones, else the authoritative ResultDO shard (which
 * also holds `?wait=` long polls). A ready result read from the shard is copied into KV.
 */
import { KV_MIN_TTL_S, isReady, pendingResult, type GroupResult, type TaskResult } from "../protocol/index.js";
import { groupBy } from "../broker/run-effects.js";
import { resultShard, resultStub, shardOf } from "../broker/stubs.js";
import type { EdgeryEnv } from "../env.js";

const KV_PREFIX = "result:";

/** A task's result; `waitMs` > 0 holds until it is ready or the time is up. */
export async function readResult(env: EdgeryEnv, id: string, waitMs: number, background: (p: Promise<unknown>) => void): Promise<TaskResult> {
  const cached = await env.RESULTS_KV.get<TaskResult>(KV_PREFIX + id, "json").catch(() => null);
  if (cached) return cached;
  const stub = resultStub(env, id);
  const r = (waitMs > 0 ? await stub.wait(id, waitMs) : await stub.get(id)) as TaskResult | null;
  if (!r) return pendingResult(id);
  if (isReady(r.state)) background(cacheResult(env, r));
  return r;
}

/** Copies a ready result into KV for the rest of its `result_expires`. */
async function cacheResult(env: EdgeryEnv, r: TaskResult): Promise<void> {
  await env.RESULTS_KV.put(KV_PREFIX + r.id, JSON.stringify(r), { expirationTtl: Math.max(KV_MIN_TTL_S, 3600) }).catch(() => undefined);
}

/** Forgets a result everywhere. */
export async function forgetResult(env: EdgeryEnv, id: string): Promise<void> {
  await Promise.all([resultStub(env, id).forget(id), env.RESULTS_KV.delete(KV_PREFIX + id)]);
}

/** A group's result, or null when the group is unknown; `waitMs` holds until all are ready. */
export async function readGroup(env: EdgeryEnv, id: string, waitMs: number): Promise<GroupResult | null> {
  const members = await resultStub(env, id).groupMembers(id);
  if (!members) return null;
  const deadline = Date.now() + waitMs;
  const byShard = groupBy(
    members.map((m, i) => ({ m, i })),
    ({ m }) => shardOf(m),
  );
  const results: TaskResult[] = members.map(pendingResult);
  await Promise.all(
    [...byShard].map(async ([shard, list]) => {
      const stub = resultShard(env, shard);
      const got = (await stub.getMany(list.map((x) => x.m))) as Array<TaskResult | null>;
      list.forEach((x, k) => (results[x.i] = got[k] ?? pendingResult(x.m)));
      for (const x of list) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        if (!isReady(results[x.i]!.state)) results[x.i] = ((await stub.wait(x.m, left)) as TaskResult | null) ?? pendingResult(x.m);
      }
    }),
  );
  // `completed` counts successes, as Celery's completed_count().
  const completed = results.filter((r) => r.state === "SUCCESS").length;
  return {
    id,
    results,
    total: results.length,
    completed,
    ready: results.every((r) => isReady(r.state)),
    successful: results.every((r) => r.state === "SUCCESS"),
    failed: results.some((r) => r.state === "FAILURE" || r.state === "REVOKED"),
  };
}
