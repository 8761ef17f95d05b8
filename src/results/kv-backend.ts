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
import { kvKey } from "../runtime/kv-key.js";
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
    // Exactly the time left (a past expiry stores a result that reads as gone at once).
    expires_s: r.expires_at === undefined || r.expires_at === null ? DEFAULT_RESULT_EXPIRES_S : (r.expires_at - now) / 1000,
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
    await Promise.all([...groupBy(results, (r) => shardOf(this.env, r.id))].map(([shard, rs]) => resultShard(this.env, shard).write(rs.map((r) => toWrite(r, now)))));
  }

  async get(id: string): Promise<StoredResult | null> {
    const cached = await readCached(this.env, id);
    if (cached) return cached;
    return (await resultStub(this.env, id).get(id)) as StoredResult | null;
  }

  async forget(id: string): Promise<void> {
    await Promise.all([resultStub(this.env, id).forget(id), this.env.RESULTS_KV.delete(await kvKey(KV_PREFIX, id))]);
  }

  /**
   * Copies a ready result that expires at `expiresAt` (epoch ms; null: kept until forgotten) into
   * KV, for at most {@link KV_COPY_MAX_S} and never past its expiry. A result with less than
   * KV's minimum TTL (60 s) left is not copied: a copy would outlive it.
   */
  async cache(r: TaskResult, expiresAt: number | null, now = Date.now()): Promise<void> {
    const ttl = copyTtlS(expiresAt, now);
    if (ttl === null) return;
    const copy: CachedCopy = { ...r, [UNTIL_KEY]: expiresAt };
    await this.env.RESULTS_KV.put(await kvKey(KV_PREFIX, r.id), JSON.stringify(copy), { expirationTtl: ttl }).catch(() => undefined);
  }
}

/** Longest time a ready result is kept in KV (the shard stays authoritative). */
export const KV_COPY_MAX_S = 3600;

/** Where a KV copy keeps its result's expiry (epoch ms), checked on every read of the copy. */
const UNTIL_KEY = "__expires_at";

/** A result as copied into KV, with the time it expires. */
type CachedCopy = TaskResult & { [UNTIL_KEY]?: number | null };

/**
 * The `expirationTtl` of a KV copy of a result expiring at `expiresAt`, or null when none may be
 * made (less than KV's 60 s minimum left). Pure.
 */
export function copyTtlS(expiresAt: number | null, now: number): number | null {
  if (expiresAt === null) return KV_COPY_MAX_S;
  const left = Math.floor((expiresAt - now) / 1000);
  return left < KV_MIN_TTL_S ? null : Math.min(KV_COPY_MAX_S, left);
}

/**
 * A result's copy in KV, or null (none, unreadable, or its result expired: KV may serve a key
 * for a while past its TTL, so the copy's own expiry decides).
 */
export async function readCached(env: EdgeryEnv, id: string, now = Date.now()): Promise<TaskResult | null> {
  const copy = await env.RESULTS_KV.get<CachedCopy>(await kvKey(KV_PREFIX, id), "json").catch(() => null);
  if (!copy) return null;
  const { [UNTIL_KEY]: until, ...r } = copy;
  return typeof until === "number" && until <= now ? null : r;
}
