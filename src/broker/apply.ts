/**
 * Applying canvases from the API: validate every task name, assign ids, plan, check message
 * sizes, record groups, open chords, then enqueue one call per queue. All or none: nothing is
 * enqueued before everything validated, and a queue that fails undoes the queues already done.
 */
import {
  MAX_MESSAGE_BYTES,
  WireError,
  DEFAULT_RESULT_EXPIRES_S,
  type Canvas,
  type Handle,
  type TaskOptions,
} from "../protocol/index.js";
import { assignIds } from "../canvas/ids.js";
import { groupsOf, handleOf } from "../canvas/handle.js";
import { plan, rootInherit, type ChordInit } from "../canvas/plan.js";
import type { EdgeryEnv } from "../env.js";
import type { App } from "../worker/app.js";
import type { TaskMessage } from "./message.js";
import { planEnvOf } from "./plan-env.js";
import { groupBy } from "./run-effects.js";
import { chordStub, queueStub, resultShard, shardOf } from "./stubs.js";

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
      node.header.forEach((t, i) => checkTasks(app, t, join(path, `kwargs.header.${i}`)));
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

/** Validates and plans (pure but for the clock and ids). */
export function prepare(app: App, items: ApplyItem[], now = Date.now()): Prepared {
  const env = planEnvOf(app, now);
  const out: Prepared = { handles: [], messages: [], chords: [], groups: [] };
  for (const item of items) checkTasks(app, item.canvas, item.path);
  for (const item of items) {
    const canvas = assignIds(withCallOptions(item.canvas, item.options));
    const p = plan(canvas, rootInherit({ prepend: item.args ?? [], kwargs: item.kwargs ?? {} }), env);
    for (const m of p.messages) {
      const bytes = new TextEncoder().encode(JSON.stringify(m)).length;
      if (bytes > MAX_MESSAGE_BYTES) {
        throw new WireError("payload_too_large", `task '${m.task}' encodes to ${bytes} bytes; one message may be at most ${MAX_MESSAGE_BYTES}`, item.path || undefined);
      }
    }
    out.handles.push(handleOf(canvas));
    out.messages.push(...p.messages);
    out.chords.push(...p.chords);
    out.groups.push(...groupsOf(canvas));
  }
  return out;
}

/** Applies canvases: all or none. Returns their handles in order. */
export async function applyCanvases(env: EdgeryEnv, app: App, items: ApplyItem[]): Promise<Handle[]> {
  const p = prepare(app, items);
  if (p.groups.length > 0) {
    await Promise.all([...groupBy(p.groups, (g) => shardOf(g.id))].map(([shard, gs]) => resultShard(env, shard).recordGroups(gs, DEFAULT_RESULT_EXPIRES_S)));
  }
  await Promise.all(p.chords.map((c) => chordStub(env, c.id).open(c)));
  const byQueue = [...groupBy(p.messages, (m) => m.queue)];
  const results = await Promise.allSettled(byQueue.map(([queue, msgs]) => queueStub(env, queue).enqueue(msgs)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(
      byQueue.map(([queue, msgs], i) => (results[i]?.status === "fulfilled" ? queueStub(env, queue).cancel(msgs.map((m) => m.id)) : Promise.resolve())),
    );
    console.error("edgery: enqueue failed; undone", failed.reason);
    throw new WireError("overloaded", "the queue could not take the tasks now; nothing was enqueued, try again");
  }
  return p.handles;
}
