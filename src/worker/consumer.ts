/**
 * The consumer: takes one delivery (up to 100 leased tasks of one queue), begins them at their
 * QueueDO (which extends each lease to the task's hard limit and skips revoked ones), runs them
 * concurrently (src/worker/run-delivered.ts), and settles them back in small batches as they
 * finish (a direct hand-off first writes the results it may itself: src/worker/pre-write.ts).
 * While tasks run, a heartbeat proves this worker alive (the QueueDO renews the tasks' liveness
 * lease, WORKER_LEASE_MS; silence means the worker is lost) and asks which leases it no longer
 * holds (revoked with terminate): those tasks are aborted at their next await.
 */
import { TaskRevokedError } from "../protocol/index.js";
import { readStoredMessage, type DeliveryBody, type LeasedTask } from "../protocol/message.js";
import { REVOKED_MESSAGES } from "../protocol/outcome.js";
import { queueObjectStub, queueStub } from "../runtime/stubs.js";
import type { SettleItem } from "../protocol/rpc.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import { beginItemOf, TaskAbort } from "./execute.js";
import { runDelivered } from "./run-delivered.js";
import { preWrite } from "./pre-write.js";
import { runSettingsOf, type RunSettings } from "../app/task-settings.js";

/** How often a delivery with tasks still running sends its heartbeat (well inside WORKER_LEASE_MS). */
const HEARTBEAT_MS = 500;
/** How long finished tasks wait to be settled together. */
const SETTLE_DEBOUNCE_MS = 0;

/** A delivered task: parsed, with its message JSON as delivered (tested for R2 pointers) and its settings. */
interface Delivered {
  task: LeasedTask;
  raw: string;
  settings: RunSettings;
}

/** How a delivery is consumed. */
export interface ConsumeOptions {
  /**
   * The delivery came straight from its QueueDO (direct dispatch, EdgeryDelivery.run), whose
   * queue is nearly idle:
   * - its tasks were begun by the QueueDO as it handed them over (`DeliveryBody.begun`), and
   *   those in `confirmed` run without a begin of their own;
   * - finished tasks' results are written to their result shards before they are settled
   *   (src/worker/pre-write.ts), so that a waiting client learns the result one call after the
   *   task ends. A delivery from the Queue (a busy queue) leaves its results to the QueueDO's
   *   outbox, which batches them across settles.
   */
  handedOff?: boolean;
  /**
   * A direct hand-off's tasks its QueueDO confirmed (their leases, answered by its receipt: see
   * src/runtime/direct-dispatch.ts): only these run, without a begin of their own. Without it a
   * delivery's tasks are begun here, whatever the body says.
   */
  confirmed?: string[];
}

/** Runs one delivery to the end. */
export async function consume(env: EdgeryEnv, app: App, body: DeliveryBody, options: ConsumeOptions = {}): Promise<void> {
  // The object that leased the tasks (a shard of a sharded queue); older deliveries name none.
  const queue = body.object ? queueObjectStub(env, body.object) : queueStub(env, body.queue);
  // Each body is parsed once and each task's settings read once, for begin, run and settle. A
  // task whose message cannot be read is not begun: its queue ends it (InvalidTaskError) when its
  // lease runs out, and the rest of the delivery runs.
  const delivered = body.tasks.flatMap((w): Delivered[] => {
    const message = readStoredMessage(w.body);
    if (!message) {
      console.error(`edgery: a task of a delivery from queue '${body.queue}' is not a task message; left to its lease`);
      return [];
    }
    return [{ task: { lease: w.lease, deadline: w.deadline, redelivered: w.redelivered, message }, raw: w.body, settings: runSettingsOf(app, message) }];
  });
  if (delivered.length === 0) return;
  // When the QueueDO last confirmed the leases: the send of the begin (or the QueueDO's own begin
  // of a direct hand-off), then of each heartbeat answered.
  const begunAt = options.confirmed ? body.begun : undefined;
  let confirmedAt = begunAt ?? Date.now();
  // A direct hand-off's tasks were begun by the QueueDO as it handed them over, and confirmed.
  const run = new Set(
    options.confirmed && begunAt !== undefined
      ? options.confirmed
      : (await retrying("begin", () => queue.begin(delivered.map(({ task, settings }) => beginItemOf(task.lease, task.message, settings, app.name))))).filter((b) => b.action === "run").map((b) => b.lease),
  );
  const tasks = delivered.filter((d) => run.has(d.task.lease));
  if (tasks.length === 0) return;

  const controllers = new Map<string, TaskAbort>();
  /** Leases a heartbeat found no longer held (their tasks were aborted). */
  const lost = new Set<string>();
  const running = new Map<string, LeasedTask>();
  // Handed off directly, each settle batch first writes the results it may (src/worker/pre-write.ts).
  const byLease = new Map(tasks.map((d) => [d.task.lease, d]));
  const settler = new Settler(async (items) => {
    const finished = () =>
      items.map((item) => {
        const { task, settings } = byLease.get(item.lease)!;
        return { item, message: task.message, settings, leaseLost: lost.has(item.lease) };
      });
    const ready = options.handedOff ? await preWrite(env, app, finished(), confirmedAt) : items;
    return retrying("settle", () => queue.settle(ready));
  });
  const heartbeat = setInterval(async () => {
    try {
      const sent = Date.now();
      const gone = await queue.heartbeat([...running.values()].map((t) => ({ id: t.message.id, lease: t.lease })));
      confirmedAt = sent;
      for (const lease of gone) {
        lost.add(lease);
        controllers.get(lease)?.abort(new TaskRevokedError(REVOKED_MESSAGES.terminated));
      }
    } catch (err) {
      console.error("edgery: heartbeat failed", err);
    }
  }, HEARTBEAT_MS);

  try {
    await Promise.all(
      tasks.map(async ({ task: t, raw, settings }) => {
        const controller = new TaskAbort();
        controllers.set(t.lease, controller);
        running.set(t.lease, t);
        const ran = await runDelivered(env, app, t, controller, {
          async updateState(state, meta) {
            await queue.updateState(t.message.id, t.lease, state, meta, app.name);
          },
          async acknowledge() {
            await queue.acknowledge(t.message.id, t.lease);
          },
        }, raw, settings);
        running.delete(t.lease);
        // The last task of the delivery to finish settles at once, with whatever waits beside it.
        const item: SettleItem = {
          lease: t.lease,
          id: t.message.id,
          outcome: ran.result,
          worker: app.name,
          startedAt: ran.startedAt,
          doneAt: ran.doneAt,
          resultExpires: settings.resultExpiresS,
        };
        await settler.add(item, running.size === 0);
      }),
    );
  } finally {
    clearInterval(heartbeat);
  }
}

/** Attempts at a QueueDO call before the delivery is left to its lease deadline. */
const CALL_ATTEMPTS = 4;

/**
 * Calls `fn` again after a short backoff when it throws (a Durable Object that was reset or
 * overloaded). Both calls are idempotent under their leases: a repeated begin renews the same
 * lease, a repeated settle of an already settled lease is refused and changes nothing.
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, attempts = CALL_ATTEMPTS): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      console.error(`edgery: ${what} failed (attempt ${i} of ${attempts}); retrying`, err);
      await new Promise((r) => setTimeout(r, 50 * 2 ** i));
    }
  }
}

/**
 * Collects settle items and sends them as one call: on the next timer tick (tasks finishing
 * close together share it), or at once when the caller says nothing else is running (a timer
 * tick costs up to a millisecond in workerd, on every single task's latency).
 */
export class Settler {
  private pending: SettleItem[] = [];
  private batch: { done: Promise<void>; fire: () => void } | null = null;

  constructor(private readonly send: (items: SettleItem[]) => Promise<unknown>) {}

  add(item: SettleItem, last = false): Promise<void> {
    this.pending.push(item);
    let batch = this.batch;
    if (!batch) {
      let fire!: () => void;
      const go = new Promise<void>((resolve) => (fire = resolve));
      const timer = setTimeout(fire, SETTLE_DEBOUNCE_MS);
      batch = this.batch = {
        fire,
        done: go.then(async () => {
          clearTimeout(timer);
          const items = this.pending;
          this.pending = [];
          this.batch = null;
          await this.send(items);
        }),
      };
    }
    if (last) batch.fire();
    return batch.done;
  }
}
