/**
 * The leased consumer writes finished tasks' results straight to their result shards before it
 * settles them: a `?wait=` waiter then wakes one call after the task ends, not after the settle,
 * the QueueDO's outbox and the outbox's write. The settle is told (`SettleItem.stored`), so the
 * outbox does not write the result again; every other follow-up (a chain's next step, callbacks,
 * chord reports, the rest of a failed chain) still goes through the settle's outbox.
 *
 * A result is written ahead only when no settle could replace it with another ending:
 * - a success, or a FAILURE the task itself ended with: not a retry (RETRY is not final: the
 *   settle writes it, with the retried message), not REVOKED, and not a task the consumer aborted
 *   because its heartbeat found the lease gone (revoked with terminate, or expired and perhaps
 *   delivered again: its redelivery's result must be the one that counts);
 * - not a retried message (`retries` > 0): its earlier RETRY write is carried out by the
 *   outbox, and a final result written ahead of it would make a shard drop it (a ready result is
 *   final), and its `task-retried` event with it;
 * - not a task with a hard time limit: one that ran past its `lease_end` must end
 *   TimeLimitExceeded, and the consumer cannot tell (workerd's clock does not move during a busy
 *   loop, so a late task's own `doneAt` may look early);
 * - something is stored at all (not `ignore_result`, not backend `none`).
 * - within {@link WRITE_AHEAD_HORIZON_MS} of the last time the consumer's QueueDO confirmed the
 *   lease (the send of the begin or heartbeat that answered), by the result shard's clock as the
 *   write arrives: a worker stalled past it (a busy loop holds back heartbeats, and the QueueDO
 *   may take the worker for lost) leaves the result to its settle, which the lease fences.
 * A settle refused for a lease no longer held anyway (revoked with terminate meanwhile, or a
 * stall between the write and the settle) leaves the written result: the task did finish, and the
 * first final result wins, as when two copies of a delivery race. The queue's own ending of such a
 * task (terminated, its worker taken for lost) is claimed (EndingEffect, src/canvas/effects.ts):
 * its follow-ups are those of the result the shard kept, so a chain goes on after a SUCCESS
 * written ahead, rather than failing REVOKED beside it. A write that fails, or does not answer within
 * {@link PRE_WRITE_WAIT_MS}, is left to the settle, whose outbox writes it as before (a result
 * shard keeps the first final write of an id, so a late duplicate changes nothing and is not
 * announced twice).
 */
import type { TaskMessage } from "../protocol/message.js";
import { stamped } from "../protocol/outcome.js";
import type { ResultWriteAnswer, SettleItem } from "../protocol/rpc.js";
import { ownResultWrite, type ResultWrite } from "../canvas/effects.js";
import { resultPolicyOf } from "../app/result-policy.js";
import type { RunSettings } from "../app/task-settings.js";
import type { App } from "../app/app.js";
import { groupBy } from "../runtime/group-by.js";
import { resultShard, shardOf } from "../runtime/stubs.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { WORKER_LEASE_MS } from "../protocol/index.js";

/**
 * How long after the QueueDO last confirmed a lease a result may still be written ahead. A begin
 * or heartbeat that answers leaves the lease's deadline at least two thirds of WORKER_LEASE_MS
 * after it was sent (a heartbeat renews once less than that is left: durable-objects/
 * queue-leases.ts), so half of it leaves the settle that follows the write seconds to arrive.
 */
export const WRITE_AHEAD_HORIZON_MS = WORKER_LEASE_MS / 2;

/**
 * How long the settle waits for a shard's write before it goes on without it (the tasks are no
 * longer heartbeated meanwhile, so this stays well inside WORKER_LEASE_MS).
 */
export const PRE_WRITE_WAIT_MS = 5_000;

/** A finished task about to be settled: its settle item, with the message and settings it ran with. */
export interface Finished {
  item: SettleItem;
  message: TaskMessage;
  settings: RunSettings;
  /** The consumer aborted the task because its lease was no longer held. */
  leaseLost: boolean;
}

/**
 * Writes the results that may be written ahead (one call per result shard, at once) and returns
 * the settle items, `stored` set on those whose shard's write went through. `confirmedAt`: when
 * the consumer sent the last begin or heartbeat its QueueDO answered (epoch ms).
 */
export async function preWrite(env: EdgeryEnv, app: App, finished: Finished[], confirmedAt: number): Promise<SettleItem[]> {
  const todo = finished.flatMap((f, i) => {
    const write = writeAhead(app, f);
    return write ? [{ i, write }] : [];
  });
  if (todo.length === 0) return finished.map((f) => f.item);
  const stored = new Set<number>();
  await Promise.all(
    [...groupBy(todo, (t) => shardOf(env, t.write.id))].map(async ([shard, list]) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const write = resultShard(env, shard).write(
          list.map((t) => t.write),
          confirmedAt + WRITE_AHEAD_HORIZON_MS,
        ) as Promise<ResultWriteAnswer>;
        const slow = new Promise<"slow">((resolve) => (timer = setTimeout(() => resolve("slow"), PRE_WRITE_WAIT_MS)));
        const answer = await Promise.race([write, slow]);
        if (answer === "slow") {
          write.catch(() => undefined);
          console.error(`edgery: a result shard did not answer within ${PRE_WRITE_WAIT_MS} ms; the settle writes its results`);
          return;
        }
        // Past the horizon the shard wrote nothing: the settle decides, as without a write ahead.
        if (answer.late) return;
        for (const t of list) stored.add(t.i);
      } catch (err) {
        console.error("edgery: writing results ahead of the settle failed; the settle writes them", err);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return finished.map((f, i) => (stored.has(i) ? { ...f.item, stored: true } : f.item));
}

/** The result write a finished task may have ahead of its settle, or null (see the module's rules). */
export function writeAhead(app: App, { item, message, settings, leaseLost }: Finished): ResultWrite | null {
  const o = item.outcome;
  if (leaseLost || o.kind === "retry" || (o.kind === "failure" && o.state !== "FAILURE") || message.retries > 0 || settings.hardMs !== null) return null;
  const policy = resultPolicyOf(app, message.task);
  if (policy.backend === "none") return null;
  return ownResultWrite(message, stamped(o, item), item.resultExpires, policy.extended);
}
