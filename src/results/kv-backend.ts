/**
 * The `kv` result backend (the default): the ResultDO shard owning the id is authoritative (state,
 * `?wait=` waiters); a ready result is copied into KV on its first plain read (see read.ts) and served
 * from KV at the edge afterwards. KV is never written per task: no KV put on the hot path.
 */
import { DEFAULT_RESULT_EXPIRES_S, KV_MIN_TTL_S, type TaskResult } from "../protocol/index.js";
import type { ResultWrite } from "../canvas/effects.js";
import { groupBy } from "../runtime/group-by.js";
import { resultShard, resultStub, shardOf } from "../runtime/stubs.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { epochOf, type ResultBackend, type StoredResult } from "./backend.js";

/** KV key prefix of cached results. */
export const KV_PREFIX = "result:";

/** A stored result as a ResultDO write. */
export function toWrite(r: StoredResult, now: number): ResultWrite {
  const w: ResultWrite = {
    id: r.id,
    state: r.state,
    result: r.result,
    meta: r.meta,
    error: r.error,
    task: r.task,
    queue: r.queue,
    worker: r.worker,
    retries: r.retries,
    parent_id: r.parent_id,
    group_id: r.group_id,
    started_at: epochOf(r.started_at),
    date_done: epochOf(r.date_done),
    expires_s: r.expires_at === undefined || r.expires_at === null ? DEFAULT_RESULT_EXPIRES_S : Math.max(1, Math.ceil((r.expires_at - now) / 1000)),
  };
  if (r.args !== undefined) w.args = r.args;
  if (r.kwargs !== undefined) w.kwargs = r.kwargs;
  return w;
}

/** ResultDO shards + KV at the edge. */
export class KvBackend implements ResultBackend {
  readonly kind = "kv" as const;

  constructor(private readonly env: EdgeryEnv) {}

  async put(results: StoredResult[]): Promise<void> {
    const now = Date.now();
    await Promise.all([...groupBy(results, (r) => shardOf(r.id))].map(([shard, rs]) => resultShard(this.env, shard).write(rs.map((r) => toWrite(r, now)))));
  }

  async get(id: string): Promise<StoredResult | null> {
    const cached = await this.env.RESULTS_KV.get<TaskResult>(KV_PREFIX + id, "json").catch(() => null);
    if (cached) return cached;
    return (await resultStub(this.env, id).get(id)) as StoredResult | null;
  }

  async forget(id: string): Promise<void> {
    await Promise.all([resultStub(this.env, id).forget(id), this.env.RESULTS_KV.delete(KV_PREFIX + id)]);
  }

  /** Copies a ready result into KV for up to an hour (KV's minimum TTL is 60 s). */
  async cache(r: TaskResult): Promise<void> {
    await this.env.RESULTS_KV.put(KV_PREFIX + r.id, JSON.stringify(r), { expirationTtl: Math.max(KV_MIN_TTL_S, 3600) }).catch(() => undefined);
  }
}
