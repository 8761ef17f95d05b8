/**
 * Applying canvases from the API: prepare every item (src/apply/prepare.ts: check, assign ids,
 * plan, size), claim idempotency keys, then send all or none (src/apply/enqueue-prepared.ts), and
 * commit the keys once the enqueue went through. Nothing is enqueued before everything validated,
 * and a queue that fails undoes the queues already done.
 */
import { WireError, type Handle } from "../protocol/index.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { canvasExpiresS } from "../app/task-settings.js";
import { idempotencyStub, resultShard, shardOf } from "../runtime/stubs.js";
import { groupBy } from "../runtime/group-by.js";
import { registryOf } from "../brokers/registry.js";
import type { SentTask } from "../protocol/rpc.js";
import { TaskIdInUseError } from "../brokers/broker.js";
import { checkSentArgs } from "./sent-args.js";
import { idempotencyKeyOf, joinPath as join, withCallOptions, type ApplyItem } from "./apply-item.js";
import { findNode, UniqueIds } from "./checks.js";
import { emptyPrepared, prepare } from "./prepare.js";
import { enqueuePrepared, heldIds } from "./enqueue-prepared.js";

/** An idempotency key this apply took: to be committed once its enqueue went through, else released. */
interface Claim {
  key: string;
  handleId: string;
}

/**
 * Applies canvases: all or none. Returns their handles in order. An item with an
 * `idempotency_key` committed within its `result_expires` answers that first handle and enqueues
 * nothing. A key counts only once its apply's enqueue went through: a concurrent apply with the
 * same key waits for that outcome (409 `idempotency_in_progress` past IDEMPOTENCY_WAIT_MS), and
 * a failed apply gives its keys back.
 */
export async function applyCanvases(env: EdgeryEnv, app: App, items: ApplyItem[]): Promise<Handle[]> {
  const keys = items.map(idempotencyKeyOf);
  if (keys.every((k) => k === undefined)) {
    const prepared = prepare(app, items);
    await checkSentArgs(app, prepared.typed);
    try {
      return await enqueuePrepared(env, app, prepared);
    } catch (err) {
      throw idInUse(err, items);
    }
  }
  const each = items.map((item) => prepare(app, [item]));
  await checkSentArgs(app, each.flatMap((p) => p.typed));
  // Items of this request that share a key are one apply: the first one's.
  const firstOf = new Map<string, number>();
  keys.forEach((k, i) => k !== undefined && !firstOf.has(k) && firstOf.set(k, i));
  // Each item was prepared alone: the items this request may enqueue (an item whose key an
  // earlier item of it has is that apply) still need ids of their own across the request.
  const ids = new UniqueIds();
  each.forEach((p, i) => {
    const key = keys[i];
    if (key === undefined || firstOf.get(key) === i) ids.add(p.messages, withCallOptions(items[i]!.canvas, items[i]!.options), items[i]!.path);
  });
  const taken: Claim[] = [];
  const answers = new Map<string, Handle>();
  const outcomes = await Promise.allSettled(
    [...firstOf].map(async ([key, i]) => {
      const item = items[i]!;
      const handle = each[i]!.handles[0]!;
      const ttl = canvasExpiresS(app, withCallOptions(item.canvas, item.options));
      const sent: SentTask[] = each[i]!.messages.map((m) => [m.id, m.queue]);
      let got = await idempotencyStub(env, key).claim(handle, ttl, sent);
      // An apply with this key crashed while pending: its tasks answer whether it went through.
      if (got.kind === "stale") got = await idempotencyStub(env, key).settleStale(got.handle.id, await anyExists(env, app, got.sent as SentTask[]), handle, ttl, sent);
      if (got.kind === "fresh") taken.push({ key, handleId: handle.id });
      else if (got.kind === "done") answers.set(key, got.handle as Handle);
      else throw new WireError("idempotency_in_progress", `an apply with idempotency_key '${key}' is still being enqueued; try again`, join(item.path, "options.idempotency_key"));
    }),
  );
  const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (refused) {
    await releaseClaims(env, taken);
    throw refused.reason;
  }
  const merged = emptyPrepared();
  each.forEach((p, i) => {
    const key = keys[i];
    if (key !== undefined && (answers.has(key) || firstOf.get(key) !== i)) return;
    merged.groupsExpireS = Math.max(merged.groupsExpireS, p.groupsExpireS);
    merged.messages.push(...p.messages);
    merged.chords.push(...p.chords);
    merged.groups.push(...p.groups);
    merged.later.push(...p.later);
  });
  try {
    if (merged.messages.length > 0 || merged.chords.length > 0) await enqueuePrepared(env, app, merged);
  } catch (err) {
    await releaseClaims(env, taken);
    throw idInUse(err, items);
  }
  // The enqueue went through: from now on the keys answer these handles. A commit that fails
  // leaves its key pending, free again after IDEMPOTENCY_PENDING_S.
  const committed = await Promise.allSettled(taken.map((c) => idempotencyStub(env, c.key).commit(c.handleId)));
  for (const r of committed) if (r.status === "rejected") console.error("edgery: committing an idempotency key failed", r.reason);
  return items.map((_, i) => {
    const key = keys[i];
    if (key === undefined) return each[i]!.handles[0]!;
    return answers.get(key) ?? each[firstOf.get(key)!]!.handles[0]!;
  });
}

/**
 * A TaskIdInUseError from an enqueue as the API answers it: `409 task_id_in_use` at the
 * `options.task_id` of the first held id's node; any other error as it is.
 */
function idInUse(err: unknown, items: ApplyItem[]): unknown {
  if (!(err instanceof TaskIdInUseError)) return err;
  const id = err.ids[0]!;
  let at: string | undefined;
  for (const item of items) {
    // A call-time task_id (`POST /v1/apply {"signature", "options"}`) is at the body's `options`.
    if (item.options?.task_id === id) {
      at = "options.task_id";
      break;
    }
    const found = findNode(withCallOptions(item.canvas, item.options), id, item.path);
    if (found) {
      at = join(found.path, "options.task_id");
      break;
    }
  }
  return new WireError(
    "task_id_in_use",
    `${at ? `${at}: ` : ""}task id '${id}' is held by its queue: a task sent earlier with this id has not ended, and a task of a canvas needs an id of its own (the queue would drop it, and the canvas would wait for the other task); nothing was enqueued`,
    at,
  );
}

/**
 * True when any of these tasks exists: held by its queue (its broker's `holding`), or known to
 * its result shard (a state of its own: it ran or is running). An apply that took a key and
 * crashed went through when they do: they must not be sent again.
 */
async function anyExists(env: EdgeryEnv, app: App, sent: SentTask[]): Promise<boolean> {
  if (sent.length === 0) return false;
  if ((await heldIds(registryOf(env, app), sent.map(([id, queue]) => ({ id, queue })))).length > 0) return true;
  const known = await Promise.all(
    [...groupBy(sent.map(([id]) => id), (id) => shardOf(env, id))].map(async ([shard, ids]) => ((await resultShard(env, shard).waitMany(ids, 0)) as unknown[]).some((r) => r !== null)),
  );
  return known.some(Boolean);
}

/** Gives back the keys of an apply that did not go through. */
async function releaseClaims(env: EdgeryEnv, claims: Claim[]): Promise<void> {
  await Promise.allSettled(claims.map((c) => idempotencyStub(env, c.key).release(c.handleId)));
}
