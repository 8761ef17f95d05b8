/**
 * What a finished task sets in motion, as plain data: results to store, canvases to apply
 * (the chain's next step, link callbacks, errbacks) and chord members to report.
 *
 * Pure: a QueueDO writes these effects into its outbox in the same transaction that settles the
 * task, and carries them out afterwards (again after a crash), so none is ever lost.
 */
import type { Canvas, TaskErrorInfo, TaskResult } from "../protocol/index.js";
import type { ChordRef, TaskMessage } from "../protocol/message.js";
import type { Outcome } from "../protocol/outcome.js";
import { leafTasks, startIds } from "./handle.js";
import { rootInherit, type Inherit } from "./plan.js";

/** One result write (a state change of one task). */
export interface ResultWrite {
  id: string;
  state: string;
  result?: unknown;
  meta?: unknown;
  error?: TaskErrorInfo | null;
  task?: string | null;
  queue?: string | null;
  worker?: string | null;
  retries?: number;
  parent_id?: string | null;
  group_id?: string | null;
  /** Ids of the tasks this one started: a chain's next step, its link callbacks (Celery's children). */
  children?: string[];
  started_at?: number | null;
  date_done?: number | null;
  /** Seconds to keep a final result (`result_expires`). */
  expires_s?: number;
  /** The task's arguments, stored with the result when `result_extended`. */
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Written by the task's own `update_state` (a `task-progress` event unless the state is ready). */
  progress?: boolean;
}

/**
 * A state write of a message that is not final (STARTED, RETRY, a custom state such as
 * PROGRESS), with the message's fields; `extra` adds the state's own (started_at, error, meta).
 */
export function stateWrite(m: TaskMessage, state: string, worker: string | null, extra: Partial<ResultWrite> = {}): ResultWrite {
  return { id: m.id, state, task: m.task, queue: m.queue, worker, retries: m.retries, parent_id: m.parent_id, group_id: m.group_id, ...extra };
}

/** A chord member's report. */
export interface ChordReport {
  index: number;
  memberId: string;
  ok: boolean;
  value?: unknown;
  error?: TaskErrorInfo;
}

/**
 * A task its queue ended while a consumer held it begun (revoked with terminate, its worker
 * taken for lost). That consumer may have finished it and written its own final result ahead of
 * its settle (src/worker/pre-write.ts), and a result shard keeps the first final result of an
 * id: so the ending's own result is written first, as a claim, and then come the follow-ups of
 * the result the shard kept, this ending's or the one written ahead (endingEffects). Never the
 * follow-ups of one outcome beside the stored result of another (a SUCCESS result whose chain
 * was failed REVOKED).
 */
export interface EndingEffect {
  kind: "ending";
  message: TaskMessage;
  outcome: Outcome;
  resultExpires: number;
  extended: boolean;
}

/** Something to do after a task settles. */
export type Effect =
  | { kind: "store"; write: ResultWrite }
  | { kind: "apply"; canvas: Canvas; inherit: Inherit }
  | { kind: "chord"; chordId: string; report: ChordReport }
  | EndingEffect;


/** The result write for a finished message. */
function finalWrite(msg: TaskMessage, outcome: Outcome, resultExpires: number, extended: boolean): ResultWrite {
  const common = {
    id: msg.id,
    task: msg.task,
    queue: msg.queue,
    worker: outcome.worker,
    retries: msg.retries,
    parent_id: msg.parent_id,
    group_id: msg.group_id,
    started_at: outcome.startedAt,
    date_done: outcome.doneAt,
    expires_s: resultExpires,
    // result_extended: the args and kwargs are stored with the result.
    ...(extended ? { args: msg.args, kwargs: msg.kwargs } : {}),
  };
  return outcome.kind === "success"
    ? { ...common, state: "SUCCESS", result: outcome.value, error: null }
    : { ...common, state: outcome.state, result: null, error: outcome.error };
}

/**
 * The write of a finished message's own result, or null when none is stored (`ignore_result`):
 * what {@link outcomeEffects} stores for it, and what a consumer may write itself before it
 * settles (src/worker/pre-write.ts).
 */
export function ownResultWrite(msg: TaskMessage, outcome: Outcome, resultExpires: number, extended = false): ResultWrite | null {
  // ignore_result: nothing is stored, whatever the outcome (the id reads PENDING), as in Celery.
  if (msg.options.ignore_result) return null;
  const write = finalWrite(msg, outcome, resultExpires, extended);
  // Celery's children: what the task sent itself, then (on success) its chain's next step and links.
  const started = outcome.kind === "success" ? [...(msg.chain[0] ? startIds(msg.chain[0]) : []), ...msg.link.flatMap(startIds)] : [];
  const children = [...(outcome.children ?? []), ...started];
  if (children.length > 0) write.children = children;
  return write;
}

/**
 * Effects of a message that ended, by success or by failure/revocation. `stored`: its own result
 * is already written (by its consumer, see ownResultWrite), so only the rest is returned.
 */
export function outcomeEffects(msg: TaskMessage, outcome: Outcome, resultExpires: number, extended = false, stored = false): Effect[] {
  const effects: Effect[] = [];
  const write = stored ? null : ownResultWrite(msg, outcome, resultExpires, extended);
  if (write) effects.push({ kind: "store", write });
  const base = rootInherit({ parentId: msg.id, rootId: msg.root_id, stamps: msg.stamps });
  if (outcome.kind === "success") {
    if (msg.chain.length > 0) {
      effects.push({
        kind: "apply",
        canvas: { kind: "chain", tasks: msg.chain, args: [], kwargs: {}, options: {}, immutable: false },
        // Not msg.stamps: they include this step's own; the later steps carry the chain's (see plan).
        inherit: { ...base, stamps: {}, prepend: [outcome.value], chord: msg.chord },
      });
    } else if (msg.chord) {
      effects.push({ kind: "chord", chordId: msg.chord.id, report: { index: msg.chord.index, memberId: msg.id, ok: true, value: outcome.value } });
    }
    for (const cb of msg.link) effects.push({ kind: "apply", canvas: cb, inherit: { ...base, prepend: [outcome.value] } });
    return effects;
  }
  effects.push(
    ...failureEffects(
      { id: msg.id, rest: msg.chain, chord: msg.chord, linkError: msg.link_error, inherit: base },
      outcome.state,
      outcome.error,
      outcome.doneAt,
      resultExpires,
    ),
  );
  return effects;
}

/** What failed: a task, or a chord body that cannot run. */
export interface FailedNode {
  id: string;
  /** Chain steps after it: they never run and read the same state and error. */
  rest: Canvas[];
  chord: ChordRef | null;
  linkError: Canvas[];
  inherit: Inherit;
}

/**
 * Effects of a failure beyond the failed task's own result: the rest of its chain fails with the
 * same error, its chord learns (ChordError), and its errbacks get `(request, exc)` (a FAILURE's
 * only).
 */
export function failureEffects(node: FailedNode, state: "FAILURE" | "REVOKED", error: TaskErrorInfo, now: number, resultExpires: number): Effect[] {
  const effects: Effect[] = [];
  for (const step of node.rest) effects.push(...unrunWrites(step, state, error, node.id, now, resultExpires));
  if (node.chord) effects.push({ kind: "chord", chordId: node.chord.id, report: { index: node.chord.index, memberId: node.id, ok: false, error } });
  // A revoked (or expired, or terminated) task calls no errbacks, as Celery's mark_as_revoked;
  // its chord still learns, and the chord's body fails with ChordError, calling the body's.
  if (state === "REVOKED") return effects;
  for (const errback of node.linkError) {
    effects.push({ kind: "apply", canvas: errback, inherit: { ...node.inherit, prepend: [{ id: node.id }, error] } });
  }
  return effects;
}

/**
 * The results of every task of `node` that will never run (the rest of a failed chain, the body
 * of a failed chord): `state` with `error`, each with its task's name and `parentId`.
 */
export function unrunWrites(node: Canvas, state: "FAILURE" | "REVOKED", error: TaskErrorInfo, parentId: string | null, now: number, resultExpires: number): Effect[] {
  return leafTasks(node).map(({ id, task }) => ({ kind: "store", write: { id, task, state, error, result: null, date_done: now, parent_id: parentId, expires_s: resultExpires } }));
}

/**
 * The effects of a queue's ending of a begun task (see EndingEffect): one `ending` effect, claimed
 * when carried out; or, when nothing is stored for the task (`ignore_result`, so nothing was
 * written ahead either), the ending's effects as they are.
 */
export function claimedEnding(msg: TaskMessage, outcome: Outcome, resultExpires: number, extended = false): Effect[] {
  if (ownResultWrite(msg, outcome, resultExpires, extended) === null) return outcomeEffects(msg, outcome, resultExpires, extended);
  return [{ kind: "ending", message: msg, outcome, resultExpires, extended }];
}

/**
 * An ending's effects once its claim is answered: `kept`, the final result its shard kept over
 * the ending's write (null: the ending's own result stands). Its result is not written again.
 */
export function endingEffects(e: EndingEffect, kept: TaskResult | null): Effect[] {
  return outcomeEffects(e.message, kept ? outcomeOfResult(kept, e.outcome) : e.outcome, e.resultExpires, e.extended, true);
}

/** An ending's effects unclaimed: its own result and follow-ups, as any other ending's. */
export function unclaimedEffects(e: EndingEffect): Effect[] {
  return outcomeEffects(e.message, e.outcome, e.resultExpires, e.extended);
}

/** The outcome a stored final result tells (stamped as `fallback` where it says nothing). */
function outcomeOfResult(r: TaskResult, fallback: Outcome): Outcome {
  const doneAt = r.date_done ? Date.parse(r.date_done) : NaN;
  const stamp = {
    worker: r.worker ?? fallback.worker,
    startedAt: r.started_at ? Date.parse(r.started_at) : fallback.startedAt,
    doneAt: Number.isFinite(doneAt) ? doneAt : fallback.doneAt,
  };
  if (r.state === "SUCCESS") return { kind: "success", value: r.result, ...stamp };
  const state = r.state === "REVOKED" ? "REVOKED" : "FAILURE";
  return { kind: "failure", state, error: r.error ?? { type: "Error", message: "" }, ...stamp };
}
