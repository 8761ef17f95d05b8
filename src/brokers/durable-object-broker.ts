/**
 * The default broker: each queue is a QueueDO (strict priority, leases, pause, concurrency), or
 * N of them when the app's config shards the queue (`queues: { name: { shards: N } }`).
 *
 * A task goes to the shard its id hashes to, so a send costs one request to one shard; cancel
 * goes the same way. What concerns the whole queue (settings, pause, purge, stats) asks every
 * shard. A revoke asks every shard too: after the shard count grew, a task enqueued before stays
 * in the shard it was sent to (a consumer settles it there: its delivery names that object).
 *
 * `enqueueSent` is the QueueDO's own RPC (`enqueue` for a shard that runs an older version); a
 * full shard (max_waiting) answers `full`, thrown here as QueueFullError (the API answers 503
 * overloaded, an outbox retries later); a fresh send's canvas member whose id a shard still holds
 * is answered as `held`, thrown as TaskIdInUseError (409 task_id_in_use).
 */
import { APPLY_HOLD_MS, type QueueStats } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import { sentMessage } from "../protocol/rpc.js";
import { isMissingRpcMethod, queueShardName, queueShardOf, queueShardStub } from "../runtime/stubs.js";
import { queueShardCount } from "../runtime/queue-shards.js";
import type { EdgeryEnv } from "../runtime/env.js";
import { groupBy } from "../runtime/group-by.js";
import { SINGLE_SHARD, type QueueLayout } from "../app/queue-config.js";
import { isCanvasMember, QueueFullError, TaskIdInUseError, type Broker, type EnqueueOptions, type QueueSettings } from "./broker.js";

const NOTHING = Promise.resolve();

/** A queue's layout by name (the app's `queueLayout`). */
export type LayoutOf = (queue: string) => QueueLayout;

/** Every QueueDO of a Worker's QUEUE_DO namespace. */
export class DurableObjectBroker implements Broker {
  readonly kind = "durable-object" as const;
  readonly cancellable = true;

  constructor(
    private readonly env: EdgeryEnv,
    private readonly layoutOf: LayoutOf = () => SINGLE_SHARD,
  ) {}

  /** The stub of one shard of a queue. */
  private shard(queue: string, shard: number, layout: QueueLayout) {
    return queueShardStub(this.env, queue, shard, layout);
  }

  /**
   * Every shard's stub of a queue, in shard order: the layout's, and any the queue had before its
   * `shards` was lowered (queueShardCount), whose tasks are still there.
   */
  private async shards(queue: string) {
    const layout = this.layoutOf(queue);
    const n = await queueShardCount(this.env, queue, layout);
    return Array.from({ length: n }, (_, k) => this.shard(queue, k, layout));
  }

  /** Messages of one queue grouped by the shard their id hashes to. */
  private byShard(messages: TaskMessage[]): { queue: string; layout: QueueLayout; groups: Map<number, TaskMessage[]> } | null {
    const first = messages[0];
    if (!first) return null;
    const layout = this.layoutOf(first.queue);
    return { queue: first.queue, layout, groups: groupBy(messages, (m) => queueShardOf(m.id, layout.shards)) };
  }

  async enqueue(messages: TaskMessage[], options: EnqueueOptions = {}): Promise<unknown> {
    const split = this.byShard(messages);
    if (!split) return NOTHING;
    const { queue, layout, groups } = split;
    // Each shard is told the shard count: it splits the queue's concurrency and max_waiting by it.
    // As SentMessages: a tuple and the JSON per message, far cheaper to copy than the objects.
    // A fresh send over several objects (shards here, or queues of one apply) is held until the
    // apply releases it: a shard that takes its part must not run it while another may refuse.
    const holdMs = options.fresh && (options.hold || groups.size > 1) ? APPLY_HOLD_MS : undefined;
    const answers = await Promise.all(
      [...groups].map(([k, msgs]) => this.enqueueShard(this.shard(queue, k, layout), queue, msgs, layout.shards, options.fresh === true, holdMs)),
    );
    const skipped = answers.flatMap((a) => a.skipped ?? []);
    // A shard that refused (full, or held ids that had to be new) took nothing.
    const refused = answers.map((a) => a.full !== undefined || (a.held?.length ?? 0) > 0);
    if (refused.includes(true)) {
      // Its messages, and those other shards held already, are not the sender's to take back.
      const untouched = [...groups.values()].flatMap((msgs, i) => (refused[i] ? msgs.map((m) => m.id) : [])).concat(skipped);
      const full = answers.find((a) => a.full !== undefined)?.full;
      if (full !== undefined) throw new QueueFullError(full, untouched);
      throw new TaskIdInUseError(answers.flatMap((a) => a.held ?? []), untouched);
    }
    const staged = answers.some((a) => a.staged === true);
    return { added: answers.reduce((n, a) => n + a.added, 0), ...(skipped.length > 0 ? { skipped } : {}), ...(staged ? { staged } : {}) };
  }

  async release(messages: TaskMessage[]): Promise<unknown> {
    const split = this.byShard(messages);
    if (!split) return NOTHING;
    const { queue, layout, groups } = split;
    return Promise.all(
      [...groups].map(async ([k, msgs]) => {
        try {
          return await this.shard(queue, k, layout).release(msgs.map((m) => m.id));
        } catch (err) {
          // A shard of an older version holds nothing back: there is nothing to release.
          if (!isMissingRpcMethod(err, "release")) throw err;
          return { released: 0 };
        }
      }),
    );
  }

  /**
   * One shard's part of an enqueue, as SentMessages. A shard still running a version without
   * `enqueueSent` (mid-deploy, or held on the old version by a gradual deployment) is sent the
   * same messages through `enqueue`, which every version has: a deploy does not stop its queue.
   * `fresh`: its canvas members are sent `unique` (the shard must not hold their ids yet, else it
   * takes nothing and answers them as `held`; an older version does not check).
   */
  private async enqueueShard(stub: ReturnType<typeof queueShardStub>, queue: string, messages: TaskMessage[], shards: number, fresh: boolean, holdMs?: number) {
    try {
      return await stub.enqueueSent(queue, messages.map((m) => sentMessage(m, fresh && isCanvasMember(m))), shards, holdMs);
    } catch (err) {
      if (!isMissingRpcMethod(err, "enqueueSent")) throw err;
      return await stub.enqueue(messages, shards);
    }
  }

  async cancel(messages: TaskMessage[]): Promise<unknown> {
    const split = this.byShard(messages);
    if (!split) return NOTHING;
    const { queue, layout, groups } = split;
    const answers = await Promise.all([...groups].map(([k, msgs]) => this.shard(queue, k, layout).cancel(msgs.map((m) => m.id))));
    return { removed: answers.reduce((n, a) => n + a.removed, 0) };
  }

  /**
   * Asks the shard each id hashes to (one call per shard). A shard of an older version, without
   * the call, is taken to hold none of them: the apply goes on as before the check existed.
   */
  async holding(queue: string, ids: string[]): Promise<string[]> {
    const layout = this.layoutOf(queue);
    const answers = await Promise.all(
      [...groupBy(ids, (id) => queueShardOf(id, layout.shards))].map(async ([k, list]) => {
        const stub = this.shard(queue, k, layout);
        try {
          return await stub.holding(list);
        } catch (err) {
          if (isMissingRpcMethod(err, "holding")) return [];
          throw err;
        }
      }),
    );
    return answers.flat();
  }

  async revoke(queue: string, ids: string[], terminate: boolean): Promise<{ revoked: string[] }> {
    const answers = await Promise.all((await this.shards(queue)).map((s) => s.revoke(ids, terminate)));
    return { revoked: answers.flatMap((a) => a.revoked) };
  }

  async stats(queue: string): Promise<QueueStats> {
    return sumStats(await Promise.all((await this.shards(queue)).map((s) => s.stats(queue))));
  }

  /** Each shard's own stats, in shard order (for metrics and tests). */
  async shardStats(queue: string): Promise<QueueStats[]> {
    return Promise.all((await this.shards(queue)).map((s) => s.stats(queue)));
  }

  /** The requests each shard of a queue took since it started, by object name. */
  async shardRequests(queue: string): Promise<Array<{ object: string; requests: number }>> {
    const counts = await Promise.all((await this.shards(queue)).map((s) => s.requestCount()));
    return counts.map((requests, k) => ({ object: queueShardName(queue, k), requests }));
  }

  async configure(queue: string, settings: QueueSettings): Promise<QueueStats> {
    const n = this.layoutOf(queue).shards;
    return sumStats(await Promise.all((await this.shards(queue)).map((s) => s.configure(queue, settings, n))));
  }

  async purge(queue: string): Promise<{ purged: number }> {
    const answers = await Promise.all((await this.shards(queue)).map((s) => s.purge(queue)));
    return { purged: answers.reduce((n, a) => n + a.purged, 0) };
  }
}

/**
 * A sharded queue's stats from its shards' (shard 0 first): counts summed; the settings as shard
 * 0 holds them (every shard is given the same); paused only when every shard is (none dispatches).
 */
export function sumStats(shards: QueueStats[]): QueueStats {
  const [first, ...rest] = shards;
  if (!first) throw new Error("edgery: a queue has at least one shard");
  const total: QueueStats = { ...first, shards: shards.length };
  for (const s of rest) {
    total.waiting += s.waiting;
    total.delayed += s.delayed;
    total.leased += s.leased;
    total.completed += s.completed;
    total.failed += s.failed;
    total.paused &&= s.paused;
  }
  return total;
}
