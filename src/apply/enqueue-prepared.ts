/**
 * Sending a prepared apply, all or none: record its groups, open its chords, then one enqueue per
 * queue in phases by broker (other apps, then QueueDOs, then brokers that cannot take an enqueue
 * back), held over several queues until all took theirs; a failure undoes every queue tried.
 */
import { WireError, type Handle } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { groupBy } from "../runtime/group-by.js";
import { chordStub, resultShard, shardOf } from "../runtime/stubs.js";
import { registryOf, type BrokerRegistry } from "../brokers/registry.js";
import { BrokerUnavailableError, skippedOf, stagedOf, TaskIdInUseError, untouchedOf, type Broker } from "../brokers/broker.js";
import type { Prepared } from "./prepare.js";

/** Records groups, opens chords and enqueues a prepared apply (all or none). */
export async function enqueuePrepared(env: EdgeryEnv, app: App, p: Prepared): Promise<Handle[]> {
  if (p.later.length > 0) await refuseHeldLater(registryOf(env, app), p.later);
  if (p.groups.length > 0) {
    await Promise.all([...groupBy(p.groups, (g) => shardOf(env, g.id))].map(([shard, gs]) => resultShard(env, shard).recordGroups(gs, p.groupsExpireS)));
  }
  await Promise.all(p.chords.map((c) => chordStub(env, c.id).open(c)));
  const registry = registryOf(env, app);
  const byQueue = [...groupBy(p.messages, (m) => m.queue)];
  // In phases, so that a failure leaves nothing running: other apps first (the likeliest to fail;
  // nothing of ours has started yet), then the QueueDOs (which dispatch at once), and last the
  // brokers that cannot take an enqueue back (a Queue message once sent).
  const phases: Array<Array<[string, TaskMessage[]]>> = registry.map.size === 0 ? [byQueue] : [[], [], []];
  if (registry.map.size > 0) for (const g of byQueue) phases[phaseOf(registry, g[0])]!.push(g);
  const tried: Array<[string, TaskMessage[]]> = [];
  // Ids a queue already held (a task sent again, see skippedOf), or held where they had to be new:
  // the undo leaves them, since they are an earlier send's.
  const notOurs = new Set<string>();
  // An apply over several queues holds what each QueueDO takes until all took theirs (a queue
  // that took its part would run it while another may still refuse); brokers say what they held.
  const hold = byQueue.length > 1;
  const staged: Array<[string, TaskMessage[]]> = [];
  let failed: unknown;
  for (const phase of phases) {
    if (phase.length === 0) continue;
    failed = await enqueueGroups(registry, phase, tried, { notOurs, hold, staged });
    if (failed !== undefined) break;
  }
  if (failed !== undefined) {
    // Every queue tried is undone, the failed ones too: an enqueue may fail after its commit
    // (the answer lost), and cancel of what was never taken is harmless.
    for (const id of untouchedOf(failed)) notOurs.add(id);
    const undone = await Promise.allSettled(
      tried.map(([queue, msgs]) => {
        const ours = notOurs.size > 0 ? msgs.filter((m) => !notOurs.has(m.id)) : msgs;
        return ours.length > 0 ? cancelOn(registry, queue, ours) : Promise.resolve();
      }),
    );
    // A held id is the caller's to change, not an outage: nothing of it was taken, nothing logged.
    if (failed instanceof TaskIdInUseError && undone.every((u) => u.status === "fulfilled")) throw failed;
    console.error("edgery: enqueue failed; undone", failed);
    if (undone.some((u) => u.status === "rejected")) {
      throw new WireError("overloaded", "the queue could not take the tasks now, and some of them may have been enqueued: read their results before sending again");
    }
    throw new WireError("overloaded", "the queue could not take the tasks now; nothing was enqueued, try again");
  }
  await releaseStaged(registry, staged);
  return p.handles;
}

/**
 * Releases what the brokers held for this apply, now that every queue took its part. A release
 * that fails is logged: its messages wait out APPLY_HOLD_MS, then run.
 */
async function releaseStaged(registry: BrokerRegistry, staged: Array<[string, TaskMessage[]]>): Promise<void> {
  if (staged.length === 0) return;
  const released = await Promise.allSettled(staged.map(([queue, msgs]) => registry.brokerOf(queue).release?.(msgs)));
  for (const r of released) if (r.status === "rejected") console.error("edgery: releasing an apply's held messages failed; they run once their hold lapses", r.reason);
}

/** Takes an enqueue back from a queue's broker (one without `cancel` cannot: it rejects). */
async function cancelOn(registry: BrokerRegistry, queue: string, msgs: TaskMessage[]): Promise<unknown> {
  const broker = registry.brokerOf(queue);
  if (!broker.cancel) throw new Error(`the ${broker.kind} broker of queue '${queue}' cannot take an enqueue back`);
  return broker.cancel(msgs);
}

/** 0: another app (service/http); 1: the QueueDO; 2: a broker that cannot take an enqueue back. */
function phaseOf(registry: BrokerRegistry, queue: string): number {
  const kind = registry.specOf(queue)?.kind;
  if (kind === "service" || kind === "http") return 0;
  let broker: Broker | null = null;
  try {
    broker = registry.brokerOf(queue);
  } catch {
    return 0;
  }
  return broker.cancellable ? 1 : 2;
}

/** What an apply's enqueues learn from their brokers, and whether they ask them to hold. */
interface EnqueueRecord {
  /** Ids a broker answered as already held (see skippedOf). */
  notOurs: Set<string>;
  /** Ask brokers to hold the messages for a release (EnqueueOptions.hold). */
  hold: boolean;
  /** The groups a broker held (stagedOf), to release once the apply went through. */
  staged: Array<[string, TaskMessage[]]>;
}

/**
 * Enqueues groups concurrently; records every group whose broker was asked in `tried`, and what
 * the answers say in `record`; returns the first failure.
 */
async function enqueueGroups(registry: BrokerRegistry, groups: Array<[string, TaskMessage[]]>, tried: Array<[string, TaskMessage[]]>, record: EnqueueRecord): Promise<unknown> {
  const results = await Promise.allSettled(
    groups.map(([queue, msgs], i) => {
      let broker: Broker;
      try {
        broker = registry.brokerOf(queue);
      } catch (err) {
        // No broker (a missing binding): nothing was sent there, nothing to undo.
        return Promise.reject(err);
      }
      tried.push(groups[i]!);
      // An apply's sends are fresh: a canvas member whose id its queue still holds refuses it.
      return broker.enqueue(msgs, { fresh: true, hold: record.hold }).then(
        (answer) => {
          for (const id of skippedOf(answer)) record.notOurs.add(id);
          if (stagedOf(answer)) record.staged.push(groups[i]!);
        },
        (err: unknown) => {
          // A far side that answered it took nothing has nothing to undo (its cancel would fail
          // alike, and the apply would say some tasks may have been enqueued).
          if (err instanceof BrokerUnavailableError && err.refused) tried.splice(tried.indexOf(groups[i]!), 1);
          throw err;
        },
      );
    }),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  return failure ? (failure.reason ?? new Error("enqueue failed")) : undefined;
}

/**
 * Refuses an apply, before anything of it is written, when a task it enqueues later was given
 * the id of a task its queue still holds (see Prepared.later): TaskIdInUseError with those ids.
 * A task that takes the id in the meantime is not seen (the later task is then taken as it).
 */
async function refuseHeldLater(registry: BrokerRegistry, later: Prepared["later"]): Promise<void> {
  const held = await heldIds(registry, later);
  if (held.length > 0) throw new TaskIdInUseError(held);
}

/**
 * Which of these tasks' ids their queues hold (each queue asked once, through its broker's
 * `holding`). A queue without a broker (a missing binding) or a broker that cannot tell holds none.
 */
export async function heldIds(registry: BrokerRegistry, tasks: Array<{ id: string; queue: string }>): Promise<string[]> {
  const answers = await Promise.all(
    [...groupBy(tasks, (t) => t.queue)].map(([queue, ofQueue]) => {
      let broker: Broker;
      try {
        broker = registry.brokerOf(queue);
      } catch {
        return Promise.resolve([]);
      }
      return broker.holding?.(queue, ofQueue.map((t) => t.id)) ?? Promise.resolve([]);
    }),
  );
  return answers.flat();
}
