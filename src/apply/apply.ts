/**
 * Applying canvases from the API: validate every task name, assign ids, plan, check message
 * sizes, record groups, open chords, then enqueue one call per queue. All or none: nothing is
 * enqueued before everything validated, and a queue that fails undoes the queues already done.
 */
import {
  MAX_CANVAS_TASKS,
  MAX_MESSAGE_BYTES,
  WireError,
  type Canvas,
  type Handle,
  type TaskOptions,
} from "../protocol/index.js";
import { assignIds } from "../canvas/ids.js";
import { plannedRuns } from "../canvas/runs.js";
import { groupsOf, handleOf } from "../canvas/handle.js";
import { chainSteps, flattensInto } from "../canvas/flatten.js";
import { plan, rootInherit, type ChordInit } from "../canvas/plan.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import type { TaskMessage } from "../protocol/message.js";
import { planEnvOf } from "../app/plan-env.js";
import { canvasExpiresS } from "../app/task-settings.js";
import { groupBy } from "../runtime/group-by.js";
import { chordStub, idempotencyStub, resultShard, shardOf } from "../runtime/stubs.js";
import { registryOf, type BrokerRegistry } from "../brokers/registry.js";
import { skippedOf, stagedOf, TaskIdInUseError, untouchedOf, type Broker } from "../brokers/broker.js";
import { QUEUE_MAX_DELAY_S } from "../app/broker-config.js";
import { checkSentArgs, hasSchemas, type SentArgs } from "./sent-args.js";
import { oversizeBytes } from "../runtime/pack.js";

/** One canvas to apply, with call-time values and the path of its body (for errors). */
export interface ApplyItem {
  canvas: Canvas;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: TaskOptions;
  /** Dotted path of the signature in the request body ("" for a bare one). */
  path: string;
  /**
   * The running task that applies it (`ctx.send`, `ctx.apply`): as in Celery, the new tasks'
   * `parent_id` is that task and their `root_id` its root.
   */
  sender?: { id: string; rootId: string };
}

function join(path: string, key: string | number): string {
  return path ? `${path}.${key}` : String(key);
}

/** Throws `unknown_task` for the first task name no registered task or route serves. */
export function checkTasks(app: App, node: Canvas, path: string): void {
  const visitCallbacks = (o: TaskOptions, p: string) => {
    o.link?.forEach((c, i) => checkTasks(app, c, join(join(p, "options.link"), i)));
    o.link_error?.forEach((c, i) => checkTasks(app, c, join(join(p, "options.link_error"), i)));
  };
  visitCallbacks(node.options, path);
  switch (node.kind) {
    case "task":
      if (!app.serves(node.name)) throw new WireError("unknown_task", `no registered task or route serves '${node.name}'`, join(path, "task"));
      return;
    case "map":
    case "starmap":
    case "chunks":
      checkTasks(app, node.task, join(path, "kwargs.task"));
      return;
    case "chain":
    case "group":
      node.tasks.forEach((t, i) => checkTasks(app, t, join(path, `kwargs.tasks.${i}`)));
      return;
    case "chord":
      node.header.forEach((t, i) => checkTasks(app, t, join(path, `${node.headerPath ?? "kwargs.header"}.${i}`)));
      checkTasks(app, node.body, join(path, "kwargs.body"));
      return;
  }
}

/**
 * Throws `invalid_signature` for a chain with no task where its result is needed (the canvas
 * itself, a group member, a chord's header member or body, a step of a chain): it has nothing to
 * answer with. A chain of chains counts its steps as the planner flattens them.
 */
export function checkChains(node: Canvas, path: string): void {
  switch (node.kind) {
    case "chain":
      if (chainSteps(node).length === 0) throw new WireError("invalid_signature", `${join(path, "kwargs.tasks")}: a chain needs at least one task`, join(path, "kwargs.tasks"));
      node.tasks.forEach((t, i) => checkStep(t, join(path, `kwargs.tasks.${i}`)));
      return;
    case "group":
      node.tasks.forEach((t, i) => checkChains(t, join(path, `kwargs.tasks.${i}`)));
      return;
    case "chord":
      node.header.forEach((t, i) => checkChains(t, join(path, `${node.headerPath ?? "kwargs.header"}.${i}`)));
      checkChains(node.body, join(path, "kwargs.body"));
      return;
    default:
      return;
  }
}

/** checkChains for a step of a chain: a chain the planner flattens into it may be empty. */
function checkStep(node: Canvas, path: string): void {
  if (flattensInto(node)) node.tasks.forEach((t, i) => checkStep(t, join(path, `kwargs.tasks.${i}`)));
  else checkChains(node, path);
}

/** Call-time options merged over the signature's; stamps are not call options (immutable). */
function withCallOptions(canvas: Canvas, options: TaskOptions | undefined): Canvas {
  if (!options) return canvas;
  const { stamps: _s, stamped_headers: _h, ...rest } = options;
  return { ...canvas, options: { ...canvas.options, ...rest } } as Canvas;
}

/** What an apply comes to, before anything is sent. */
interface Prepared {
  handles: Handle[];
  messages: TaskMessage[];
  chords: ChordInit[];
  groups: Array<{ id: string; members: string[] }>;
  /**
   * Seconds the group records are kept: the longest `result_expires` of the canvases that have
   * groups, so that a group lives as long as its longest-lived member's result, not a fixed day.
   */
  groupsExpireS: number;
  /** The messages of typed tasks, whose arguments are checked before anything is sent. */
  typed: SentArgs[];
}

/**
 * Throws `invalid_signature` when the request plans more than MAX_CANVAS_TASKS runs, every
 * callback copy counted (the parser counts each node once; a `link` on a group runs per member).
 */
function checkRuns(items: ApplyItem[]): void {
  let runs = 0;
  for (const item of items) {
    runs += plannedRuns(withCallOptions(item.canvas, item.options));
    if (runs > MAX_CANVAS_TASKS) {
      throw new WireError("invalid_signature", `the request plans ${runs > 1e12 ? "over a trillion" : runs} task runs, callback copies included; at most ${MAX_CANVAS_TASKS}`, item.path || undefined);
    }
  }
}

/** Validates and plans (pure but for the clock and ids). */
export function prepare(app: App, items: ApplyItem[], now = Date.now()): Prepared {
  const env = planEnvOf(app, now);
  const out: Prepared = { handles: [], messages: [], chords: [], groups: [], groupsExpireS: 0, typed: [] };
  for (const item of items) {
    checkTasks(app, item.canvas, item.path);
    checkChains(item.canvas, item.path);
  }
  checkRuns(items);
  const ids = new UniqueIds();
  for (const item of items) {
    const canvas = assignIds(withCallOptions(item.canvas, item.options));
    const p = plan(canvas, rootInherit({ prepend: item.args ?? [], kwargs: item.kwargs ?? {}, parentId: item.sender?.id ?? null, rootId: item.sender?.rootId ?? null }), env);
    ids.add(p.messages, canvas, item.path);
    for (const m of p.messages) {
      const bytes = oversizeBytes(m);
      if (bytes !== null) {
        throw new WireError("payload_too_large", `task '${m.task}' is ${bytes} bytes as sent; one message may be at most ${MAX_MESSAGE_BYTES}`, item.path || undefined);
      }
    }
    if (app.brokers.size > 0) checkDelays(app, canvas, p.messages, item.path, now);
    for (const m of p.messages) if (hasSchemas(app, m)) out.typed.push({ message: m, path: findNode(canvas, m.id, item.path)?.path ?? item.path });
    out.handles.push(handleOf(canvas));
    out.messages.push(...p.messages);
    out.chords.push(...p.chords);
    const groups = groupsOf(canvas);
    if (groups.length > 0) out.groupsExpireS = Math.max(out.groupsExpireS, canvasExpiresS(app, canvas));
    out.groups.push(...groups);
  }
  return out;
}

/**
 * The ids of the tasks an apply enqueues now, each once: a queue holds one message per id (a
 * repeated send of a held id is taken as the same task sent again), so a second task of the same
 * request with that id would be dropped, and a chord waiting for it would never fire. A repeat is
 * refused with the paths of both.
 */
class UniqueIds {
  private readonly seen = new Map<string, { canvas: Canvas; path: string }>();

  /** @throws WireError `invalid_signature` at the second task's `options.task_id`. */
  add(messages: TaskMessage[], canvas: Canvas, path: string): void {
    for (const m of messages) {
      const first = this.seen.get(m.id);
      if (!first) {
        this.seen.set(m.id, { canvas, path });
        continue;
      }
      // The paths are looked up only now: findNode walks the canvas.
      const firstAt = findNode(first.canvas, m.id, first.path)?.path;
      const at = join([...nodesWithId(canvas, m.id, path)].at(-1)?.path ?? path, "options.task_id");
      throw new WireError("invalid_signature", `${at}: task id '${m.id}' is already the id of another task of this request (${firstAt || "the signature"}); each task needs its own id`, at);
    }
  }
}

/**
 * A message for a queue on a `cloudflare-queue` broker may be delayed at most 12 h (a Queue
 * message's `delaySeconds`): a longer countdown/eta is refused, with the path of the option.
 */
function checkDelays(app: App, canvas: Canvas, messages: TaskMessage[], path: string, now: number): void {
  for (const m of messages) {
    if (m.eta === null || m.eta - now <= QUEUE_MAX_DELAY_S * 1000) continue;
    if (app.brokers.get(m.queue)?.kind !== "cloudflare-queue") continue;
    const found = findNode(canvas, m.id, path);
    const option = found && found.node.options.countdown === undefined && found.node.options.eta !== undefined ? "eta" : "countdown";
    throw new WireError(
      "invalid_signature",
      `${option}: task '${m.task}' goes to queue '${m.queue}' on the cloudflare-queue broker, which delays a message at most ${QUEUE_MAX_DELAY_S / 3600} h`,
      join(join(found?.path ?? path, "options"), option),
    );
  }
}

/** The first node of a canvas that has task id `id` (not a group or chain), with its path; null if none. */
function findNode(node: Canvas, id: string, path: string): { node: Canvas; path: string } | null {
  for (const hit of nodesWithId(node, id, path)) return hit;
  return null;
}

/** Every node of a canvas (callbacks included) that has task id `id`, not a group or chain, with its path, in canvas order. */
function* nodesWithId(node: Canvas, id: string, path: string): Generator<{ node: Canvas; path: string }> {
  if (node.options.task_id === id && node.kind !== "group" && node.kind !== "chain") yield { node, path };
  const kids: Array<[Canvas, string]> = [];
  node.options.link?.forEach((c, i) => kids.push([c, join(join(path, "options.link"), i)]));
  node.options.link_error?.forEach((c, i) => kids.push([c, join(join(path, "options.link_error"), i)]));
  switch (node.kind) {
    case "chain":
    case "group":
      node.tasks.forEach((t, i) => kids.push([t, join(path, `kwargs.tasks.${i}`)]));
      break;
    case "chord":
      node.header.forEach((t, i) => kids.push([t, join(path, `${node.headerPath ?? "kwargs.header"}.${i}`)]));
      kids.push([node.body, join(path, "kwargs.body")]);
      break;
    case "map":
    case "starmap":
    case "chunks":
      kids.push([node.task, join(path, "kwargs.task")]);
      break;
    case "task":
      break;
  }
  for (const [kid, p] of kids) yield* nodesWithId(kid, id, p);
}

/** The idempotency key of an item: its call options' or its signature's. */
export function idempotencyKeyOf(item: ApplyItem): string | undefined {
  const key = item.options?.idempotency_key ?? item.canvas.options.idempotency_key;
  return typeof key === "string" ? key : undefined;
}

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
      return await applyPrepared(env, app, prepared);
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
      const got = await idempotencyStub(env, key).claim(handle, ttl);
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
  const merged: Prepared = { handles: [], messages: [], chords: [], groups: [], groupsExpireS: 0, typed: [] };
  each.forEach((p, i) => {
    const key = keys[i];
    if (key !== undefined && (answers.has(key) || firstOf.get(key) !== i)) return;
    merged.groupsExpireS = Math.max(merged.groupsExpireS, p.groupsExpireS);
    merged.messages.push(...p.messages);
    merged.chords.push(...p.chords);
    merged.groups.push(...p.groups);
  });
  try {
    if (merged.messages.length > 0 || merged.chords.length > 0) await applyPrepared(env, app, merged);
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

/** Gives back the keys of an apply that did not go through. */
async function releaseClaims(env: EdgeryEnv, claims: Claim[]): Promise<void> {
  await Promise.allSettled(claims.map((c) => idempotencyStub(env, c.key).release(c.handleId)));
}

/** Records groups, opens chords and enqueues a prepared apply (all or none). */
async function applyPrepared(env: EdgeryEnv, app: App, p: Prepared): Promise<Handle[]> {
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
      return broker.enqueue(msgs, { fresh: true, hold: record.hold }).then((answer) => {
        for (const id of skippedOf(answer)) record.notOurs.add(id);
        if (stagedOf(answer)) record.staged.push(groups[i]!);
      });
    }),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  return failure ? (failure.reason ?? new Error("enqueue failed")) : undefined;
}
