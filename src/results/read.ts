/**
 * Reading results wherever they are: KV at the edge for ready ones, else the authoritative
 * ResultDO shard (which also holds `?wait=` long polls), else D1 (results written behind there
 * outlive the shard: `result_persistent`). A value stored in R2 (a pointer) is resolved on the
 * way out. A ready result read from the shard by a plain read is copied into KV (with its pointer, not the value).
 */
import { MAX_CANVAS_DEPTH, MAX_TASK_ID_CHARS, isReady, pendingResult, type GroupResult, type TaskResult } from "../protocol/index.js";
import type { GroupRef } from "../protocol/rpc.js";
import { groupBy } from "../runtime/group-by.js";
import { resultShard, resultStub, shardOf } from "../runtime/stubs.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { D1Backend } from "./d1-backend.js";
import { registryOf } from "../brokers/registry.js";
import { KvBackend, readCached } from "./kv-backend.js";
import { R2Backend, loadValue } from "./r2-backend.js";
import { isPointer, ownedBy, POINTER_KEY, PointerSigner } from "./pointer.js";
import { resolveExtended } from "./extended.js";

/** How long a `?wait=` read lets the shard answer before it also asks D1. */
const D1_AFTER_MS = 50;

/** A promise that never settles (the losing side of a race that must not win). */
const NEVER = new Promise<never>(() => {});

/** How long a long poll lets the shard answer a ready result before it also asks KV. */
const KV_AFTER_MS = 2;

/** How a result is read (see readResult). */
export interface ReadOptions {
  /**
   * The task was created by the request that reads it (a send with `?wait=` and no idempotency
   * key): only its shard can hold its result yet (a copy in KV or D1 is made from the shard's),
   * so neither is asked. A remote app's task is still read from that app.
   */
  fresh?: boolean;
}

/**
 * A task's result; `waitMs` > 0 holds until it is ready or the time is up.
 *
 * A plain read asks KV first (ready results are served at the edge), then the shard. A long poll
 * asks the shard first, and KV only if the shard has no ready answer within KV_AFTER_MS; then the
 * first ready answer wins. The task was usually just sent (KV would miss), and locally every call
 * shares one thread: traced, a KV read beside the shard call delayed its answer ~0.45 ms. A
 * `fresh` read asks the shard alone (then a remote app).
 */
export async function readResult(env: EdgeryEnv, id: string, waitMs: number, background: (p: Promise<unknown>) => void, opts: ReadOptions = {}): Promise<TaskResult> {
  const kv = new KvBackend(env);
  const stub = resultStub(env, id);
  const longPoll = waitMs > 0 ? (stub.wait(id, waitMs) as Promise<TaskResult | null>) : null;
  longPoll?.catch(() => null); // answered from KV: its outcome is not needed
  let shardAnswered = false;
  let shardReady = false;
  // A fresh read asks neither KV nor D1: no timer, no request.
  const kvRead: Promise<TaskResult | null> = opts.fresh
    ? Promise.resolve(null)
    : longPoll
      ? new Promise<void>((ok) => setTimeout(ok, KV_AFTER_MS)).then(() => (shardReady ? null : readCached(env, id)))
      : readCached(env, id);
  const db = opts.fresh ? undefined : env.RESULTS_DB;
  if (!longPoll) {
    const cached = await kvRead;
    if (cached) return resolveResult(env, cached);
  }
  // A plain read learns when the result expires: a copy in KV must not outlive it.
  let expiresAt: number | null = null;
  const plain = () => (stub.lookup(id) as Promise<{ result: TaskResult; expiresAt: number | null } | null>).then((x) => ((expiresAt = x?.expiresAt ?? null), (x?.result ?? null) as TaskResult | null));
  const fromShard = (longPoll ?? plain()).then(
    (r) => ((shardAnswered = true), (shardReady = r !== null && isReady(r.state)), r),
    (err: unknown) => ((shardAnswered = true), Promise.reject(err)),
  );
  // D1 (results the shard no longer has) is asked only when the shard does not know the id, or,
  // for `?wait=`, when the shard has not answered within D1_AFTER_MS: a persisted result then
  // answers at once instead of after the whole wait, and a ready result costs no D1 query.
  let d1: Promise<TaskResult | null> | null = null;
  const askD1 = (): Promise<TaskResult | null> => (d1 ??= db ? new D1Backend(db).get(id).catch(() => null) : Promise.resolve(null));
  const early: Promise<{ r: TaskResult | null; shard: boolean }> =
    waitMs > 0 && db
      ? new Promise<void>((ok) => setTimeout(ok, D1_AFTER_MS)).then(async () => {
          if (shardAnswered) return fromShard.then((r) => ({ r, shard: true }));
          const r = await askD1();
          return r ? { r, shard: false } : fromShard.then((x) => ({ r: x, shard: true }));
        })
      : fromShard.then((r) => ({ r, shard: true }));
  // For a long poll, a KV hit answers as soon as it comes (a miss never wins the race).
  const fromKv = longPoll ? kvRead.then((r) => (r ? { r, shard: false, kv: true } : NEVER)) : NEVER;
  const first: { r: TaskResult | null; shard: boolean; kv?: boolean } = await Promise.race([fromShard.then((r) => ({ r, shard: true })), early, fromKv]);
  if (first.kv && first.r) return resolveResult(env, first.r);
  if (first.shard && first.r) {
    // A ready result is copied into KV on its first plain read; a long poll (a client collecting
    // its own task's result, usually once) leaves KV alone: a KV write per result is the dearest
    // call here, deployed, and locally it ran into the client's next request (traced).
    if (!longPoll && isReady(first.r.state)) background(kv.cache(first.r, expiresAt));
    return resolveResult(env, first.r);
  }
  const r = first.r ?? (longPoll ? await kvRead : null) ?? (await askD1());
  if (r) return resolveResult(env, r);
  return (await readRemote(env, id)) ?? pendingResult(id);
}

/** A nested group read as one member of its parent group (see readGroup). */
async function nestedGroupResult(env: EdgeryEnv, id: string, waitMs: number, depth: number): Promise<TaskResult> {
  const g = depth <= MAX_CANVAS_DEPTH ? await readGroup(env, id, Math.max(0, waitMs), depth) : null;
  return g ? groupAsResult(g) : pendingResult(id);
}

/** A group result as a single result: Celery's `GroupResult` seen through `AsyncResult` eyes. Pure. */
export function groupAsResult(g: GroupResult): TaskResult {
  const base = pendingResult(g.id);
  if (!g.ready) return { ...base, children: g.results.map((r) => r.id) };
  const failed = g.results.find((r) => r.state !== "SUCCESS");
  if (!failed) return { ...base, state: "SUCCESS", result: g.results.map((r) => r.result), children: g.results.map((r) => r.id) };
  return { ...base, state: failed.state, error: failed.error ?? null, children: g.results.map((r) => r.id) };
}

/**
 * A result unknown here, asked of the apps behind `http` brokers (another account keeps its own
 * result store; a `service` app writes into this one's). The first that knows it answers.
 */
async function readRemote(env: EdgeryEnv, id: string): Promise<TaskResult | null> {
  const remotes = registryOf(env).httpBrokers();
  for (const remote of remotes) {
    const r = await remote.result(id).catch((err: unknown) => (console.error("edgery: remote result read failed", err), null));
    if (r && r.state !== "PENDING") return r;
  }
  return null;
}

/**
 * The result with an R2 pointer replaced by the value. Only a pointer edgery signed, to a key
 * written for this very id, is resolved: anything else a task returned is its value. A value
 * that cannot be read back (its object gone, or no `RESULTS_R2` bound here) reads `result: null`
 * with `result_unavailable` saying why: the pointer is never shown. Large arguments in `result_extended` args/kwargs are read back too
 * (src/results/extended.ts).
 */
export async function resolveResult<T extends TaskResult>(env: EdgeryEnv, r: T): Promise<T> {
  return resolveExtended(env, await resolveValue(env, r));
}

/** The result with its own value read back from R2 (see resolveResult). */
async function resolveValue<T extends TaskResult>(env: EdgeryEnv, r: T): Promise<T> {
  const signer = PointerSigner.of(env);
  if (!isPointer(r.result) || !signer) return r;
  const key = r.result[POINTER_KEY];
  if (!(await ownedBy(key, r.id)) || !(await signer.verify(r.result))) return r;
  const bucket = env.RESULTS_R2;
  if (!bucket) return unavailable(r, "its value was kept in R2 and this Worker binds no RESULTS_R2 bucket");
  try {
    return { ...r, result: await loadValue(bucket, key) };
  } catch (err) {
    if (err instanceof Error && err.name === "ValueMissing") return unavailable(r, "its value was kept in R2 and is gone (expired or deleted)");
    throw err;
  }
}

/** A result whose value cannot be read back: `result` null and `result_unavailable` (why). */
function unavailable<T extends TaskResult>(r: T, why: string): T {
  return { ...r, result: null, result_unavailable: why };
}

/** How many members of a forgotten group are forgotten at once. */
const FORGET_CONCURRENCY = 16;

/**
 * Forgets a result everywhere: the shard, KV, D1 and R2 (whole result and large value). A group
 * id forgets its members too, nested groups included, as Celery's `GroupResult.forget()`.
 */
export async function forgetResult(env: EdgeryEnv, id: string, depth = 0): Promise<void> {
  // No result is stored under an id longer than any task or group id.
  if (id.length > MAX_TASK_ID_CHARS) return;
  // Read before the group record goes with the rest.
  const members = depth <= MAX_CANVAS_DEPTH ? await resultStub(env, id).groupMembers(id) : null;
  // The shard first: it drops the id's pending D1 write before D1 is cleared.
  await new KvBackend(env).forget(id);
  await Promise.all([
    env.RESULTS_DB ? new D1Backend(env.RESULTS_DB).forget(id) : undefined,
    env.RESULTS_R2 ? new R2Backend(env.RESULTS_R2).forget(id) : undefined,
  ]);
  if (!members) return;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FORGET_CONCURRENCY, members.length) }, async () => {
      while (next < members.length) await forgetResult(env, members[next++]!, depth + 1);
    }),
  );
}

/**
 * A group's result, or null when the group is unknown; `waitMs` holds until all are ready. A
 * member that is itself a group (Celery's nested GroupResult) reads as one result: ready when all
 * of its members are, SUCCESS with the list of their values, else its first failure.
 */
export async function readGroup(env: EdgeryEnv, id: string, waitMs: number, depth = 0): Promise<GroupResult | null> {
  const members = await resultStub(env, id).groupMembers(id);
  if (!members) return null;
  const deadline = Date.now() + waitMs;
  const byShard = groupBy(
    members.map((m, i) => ({ m, i })),
    ({ m }) => shardOf(env, m),
  );
  const results: TaskResult[] = members.map(pendingResult);
  await Promise.all(
    [...byShard].map(async ([shard, list]) => {
      // One call per shard: it answers when all of its members are ready (or the wait is up).
      const got = (await resultShard(env, shard).waitMany(
        list.map((x) => x.m),
        waitMs,
      )) as Array<TaskResult | GroupRef | null>;
      await Promise.all(
        list.map(async (x, k) => {
          const r = got[k];
          if (!r) return;
          results[x.i] = "group" in r ? await nestedGroupResult(env, r.id, deadline - Date.now(), depth + 1) : await resolveResult(env, r);
        }),
      );
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
    // Celery's GroupResult.failed(): some member is FAILURE (a REVOKED one is not failed).
    failed: results.some((r) => r.state === "FAILURE"),
  };
}
