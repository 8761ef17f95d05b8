/**
 * An apply prepared: every canvas checked and planned (ids assigned, messages built and sized,
 * chords and groups listed), before anything is sent. Pure but for the clock and the ids.
 */
import { MAX_MESSAGE_BYTES, WireError, type Handle } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import { assignIds } from "../canvas/ids.js";
import { groupsOf, handleOf } from "../canvas/handle.js";
import { plan, rootInherit, type ChordInit, type Plan, type PlanEnv } from "../canvas/plan.js";
import { outcomeEffects } from "../canvas/effects.js";
import { queueEnded, stamped, workerLostEnding } from "../protocol/outcome.js";
import { batchEffects } from "./run-effects.js";
import type { App } from "../app/app.js";
import { planEnvOf } from "../app/plan-env.js";
import { canvasExpiresS } from "../app/task-settings.js";
import { oversizeBytes } from "../runtime/pack.js";
import { hasSchemas, type SentArgs } from "./sent-args.js";
import { withCallOptions, type ApplyItem } from "./apply-item.js";
import { checkChains, checkDelays, checkRuns, checkTasks, findNode, givenTaskIds, UniqueIds } from "./checks.js";

/** What an apply comes to, before anything is sent. */
export interface Prepared {
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
  /**
   * Tasks enqueued later (a chain's later steps, a chord's body, callbacks) whose id the caller
   * gave, with the queue each will go to: a queue that still holds such an id would take the task
   * as that one, and its canvas would wait for good, so the apply is refused (409) instead.
   */
  later: Array<{ id: string; queue: string }>;
}

/** An apply with nothing in it, to merge prepared items into. */
export function emptyPrepared(): Prepared {
  return { handles: [], messages: [], chords: [], groups: [], groupsExpireS: 0, typed: [], later: [] };
}

/** Validates and plans (pure but for the clock and ids). */
export function prepare(app: App, items: ApplyItem[], now = Date.now()): Prepared {
  const env = planEnvOf(app, now);
  const out = emptyPrepared();
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
    const given = givenTaskIds(withCallOptions(item.canvas, item.options));
    for (const m of p.messages) given.delete(m.id);
    if (given.size > 0) out.later.push(...laterTasks(p, given, env));
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
 * Where the tasks named by `ids` will be enqueued when their turn comes: what the outbox starts
 * after each message, whether it succeeds (its chain's next step, its links) or fails (its
 * errbacks), taken from outcomeEffects and planned by batchEffects as the outbox does, and each
 * chord's body as the ChordDO applies it; then theirs in turn, until every id is found.
 */
function laterTasks(first: Plan, ids: Set<string>, env: PlanEnv): Array<{ id: string; queue: string }> {
  // A success and a FAILURE between them start every follow-up (a REVOKED ending starts no errbacks).
  const ends = [stamped({ kind: "success", value: null }, { worker: null, startedAt: null, doneAt: env.now }), queueEnded(workerLostEnding(), env.now)];
  const found: Array<{ id: string; queue: string }> = [];
  const todo: Array<Pick<Plan, "messages" | "chords">> = [first];
  for (let p = todo.pop(); p !== undefined && ids.size > 0; p = todo.pop()) {
    for (const m of p.messages) {
      if (ids.delete(m.id)) found.push({ id: m.id, queue: m.queue });
      todo.push(batchEffects(ends.flatMap((end) => outcomeEffects(m, end, 0)), env));
    }
    for (const c of p.chords) todo.push(plan(c.body, c.inherit, env));
  }
  return found;
}
