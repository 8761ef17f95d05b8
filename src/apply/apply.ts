/**
 * Applying canvases from the API: validate every task name, assign ids, plan, check message
 * sizes, record groups, open chords, then enqueue one call per queue. All or none: nothing is
 * enqueued before everything validated, and a queue that fails undoes the queues already done.
 */
import {
  MAX_CANVAS_TASKS,
  MAX_MESSAGE_BYTES,
  WireError,
  DEFAULT_RESULT_EXPIRES_S,
  type Canvas,
  type Handle,
  type TaskOptions,
} from "../protocol/index.js";
import { assignIds } from "../canvas/ids.js";
import { plannedRuns } from "../canvas/runs.js";
import { groupsOf, handleOf } from "../canvas/handle.js";
import { plan, rootInherit, type ChordInit } from "../canvas/plan.js";
import type { EdgeryEnv } from "../runtime/env.js";
import type { App } from "../app/app.js";
import type { TaskMessage } from "../protocol/message.js";
import { planEnvOf } from "../app/plan-env.js";
import { groupBy } from "../runtime/group-by.js";
import { chordStub, idempotencyStub, resultShard, shardOf } from "../runtime/stubs.js";
import { registryOf, type BrokerRegistry } from "../brokers/registry.js";
import type { Broker } from "../brokers/broker.js";
import { QUEUE_MAX_DELAY_S } from "../app/broker-config.js";

/** One canvas to apply, with call-time values and the path of its body (for errors). */
export interface ApplyItem {
  canvas: Canvas;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: TaskOptions;
  /** Dotted path of the signature in the request body ("" for a bare one). */
  path: string;
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
  const out: Prepared = { handles: [], messages: [], chords: [], groups: [] };
  for (const item of items) checkTasks(app, item.canvas, item.path);
  checkRuns(items);
  for (const item of items) {
    const canvas = assignIds(withCallOptions(item.canvas, item.options));
    const p = plan(canvas, rootInherit({ prepend: item.args ?? [], kwargs: item.kwargs ?? {} }), env);
    for (const m of p.messages) {
      const json = JSON.stringify(m);
      // A UTF-8 byte is at most 3 per UTF-16 unit: most messages need no encoding to be measured.
      if (json.length * 3 <= MAX_MESSAGE_BYTES) continue;
      const bytes = new TextEncoder().encode(json).length;
      if (bytes > MAX_MESSAGE_BYTES) {
        throw new WireError("payload_too_large", `task '${m.task}' encodes to ${bytes} bytes; one message may be at most ${MAX_MESSAGE_BYTES}`, item.path || undefined);
      }
    }
    if (app.brokers.size > 0) checkDelays(app, canvas, p.messages, item.path, now);
    out.handles.push(handleOf(canvas));
    out.messages.push(...p.messages);
    out.chords.push(...p.chords);
    out.groups.push(...groupsOf(canvas));
  }
  return out;
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

/** The node whose task id is `id`, with its path in the request body. */
function findNode(node: Canvas, id: string, path: string): { node: Canvas; path: string } | null {
  if (node.options.task_id === id && node.kind !== "group" && node.kind !== "chain") return { node, path };
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
  for (const [kid, p] of kids) {
    const hit = findNode(kid, id, p);
    if (hit) return hit;
  }
  return null;
}

/** The idempotency key of an item: its call options' or its signature's. */
function idempotencyKeyOf(item: ApplyItem): string | undefined {
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
  if (keys.every((k) => k === undefined)) return applyPrepared(env, app, prepare(app, items));
  const each = items.map((item) => prepare(app, [item]));
  // Items of this request that share a key are one apply: the first one's.
  const firstOf = new Map<string, number>();
  keys.forEach((k, i) => k !== undefined && !firstOf.has(k) && firstOf.set(k, i));
  const taken: Claim[] = [];
  const answers = new Map<string, Handle>();
  const outcomes = await Promise.allSettled(
    [...firstOf].map(async ([key, i]) => {
      const item = items[i]!;
      const handle = each[i]!.handles[0]!;
      const ttl = Number(item.options?.result_expires ?? item.canvas.options.result_expires ?? DEFAULT_RESULT_EXPIRES_S);
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
  const merged: Prepared = { handles: [], messages: [], chords: [], groups: [] };
  each.forEach((p, i) => {
    const key = keys[i];
    if (key !== undefined && (answers.has(key) || firstOf.get(key) !== i)) return;
    merged.messages.push(...p.messages);
    merged.chords.push(...p.chords);
    merged.groups.push(...p.groups);
  });
  try {
    if (merged.messages.length > 0 || merged.chords.length > 0) await applyPrepared(env, app, merged);
  } catch (err) {
    await releaseClaims(env, taken);
    throw err;
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

/** Gives back the keys of an apply that did not go through. */
async function releaseClaims(env: EdgeryEnv, claims: Claim[]): Promise<void> {
  await Promise.allSettled(claims.map((c) => idempotencyStub(env, c.key).release(c.handleId)));
}

/** Records groups, opens chords and enqueues a prepared apply (all or none). */
async function applyPrepared(env: EdgeryEnv, app: App, p: Prepared): Promise<Handle[]> {
  if (p.groups.length > 0) {
    await Promise.all([...groupBy(p.groups, (g) => shardOf(g.id))].map(([shard, gs]) => resultShard(env, shard).recordGroups(gs, DEFAULT_RESULT_EXPIRES_S)));
  }
  await Promise.all(p.chords.map((c) => chordStub(env, c.id).open(c)));
  const registry = registryOf(env, app);
  const byQueue = [...groupBy(p.messages, (m) => m.queue)];
  // In phases, so that a failure leaves nothing running: other apps first (the likeliest to fail;
  // nothing of ours has started yet), then the QueueDOs (which dispatch at once), and last the
  // brokers that cannot take an enqueue back (a Queue message once sent).
  const phases: Array<Array<[string, TaskMessage[]]>> = registry.map.size === 0 ? [byQueue] : [[], [], []];
  if (registry.map.size > 0) for (const g of byQueue) phases[phaseOf(registry, g[0])]!.push(g);
  const done: Array<[string, TaskMessage[]]> = [];
  let failed: unknown;
  for (const phase of phases) {
    if (phase.length === 0) continue;
    failed = await enqueueGroups(registry, phase, done);
    if (failed !== undefined) break;
  }
  if (failed !== undefined) {
    await Promise.allSettled(done.map(([queue, msgs]) => registry.brokerOf(queue).cancel?.(msgs)));
    console.error("edgery: enqueue failed; undone", failed);
    throw new WireError("overloaded", "the queue could not take the tasks now; nothing was enqueued, try again");
  }
  return p.handles;
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

/** Enqueues groups concurrently; records the ones taken in `done`; returns the first failure. */
async function enqueueGroups(registry: BrokerRegistry, groups: Array<[string, TaskMessage[]]>, done: Array<[string, TaskMessage[]]>): Promise<unknown> {
  const results = await Promise.allSettled(
    groups.map(([queue, msgs]) => {
      try {
        return registry.brokerOf(queue).enqueue(msgs);
      } catch (err) {
        return Promise.reject(err);
      }
    }),
  );
  let failed: unknown;
  results.forEach((r, i) => {
    if (r.status === "fulfilled") done.push(groups[i]!);
    else if (failed === undefined) failed = r.reason ?? new Error("enqueue failed");
  });
  return failed;
}
