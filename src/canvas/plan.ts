/**
 * The planner: a canvas (with ids assigned) and what it inherits → the task messages to enqueue
 * now and the chords to open. Pure: the effect runner carries the plan out.
 *
 * A chain is planned one step at a time: its first step's message carries the rest of the chain,
 * and the next step is planned when that message succeeds. A chord opens a ChordDO and plans its
 * header; its body is planned by the ChordDO once every member has reported.
 */
import { isoEpochMs, type Canvas, type ChordNode, type GroupNode, type TaskNode, type TaskOptions } from "../protocol/index.js";
import type { ChordRef, MessageOptions, TaskMessage } from "../protocol/message.js";
import { accumulateId, chunkId, idOf, suffixIds } from "./ids.js";
import { chainSteps, splitChunks } from "./flatten.js";
import { mergeStamps, ownStamps } from "./stamps.js";

/** What a node inherits from where it is applied. */
export interface Inherit {
  /** Args placed before the node's own: the parent's result, or call-time args. */
  prepend: unknown[];
  /** Call-time kwargs (they win over the signature's). */
  kwargs: Record<string, unknown>;
  /** Steps to run after this node, as the rest of a chain. */
  rest: Canvas[];
  /** The chord the node's final result reports to. */
  chord: ChordRef | null;
  parentId: string | null;
  rootId: string | null;
  /** Stamps of the canvas around the node. */
  stamps: Record<string, unknown>;
  groupId: string | null;
  groupIndex: number | null;
}

/** A chord to open before its header runs. */
export interface ChordInit {
  id: string;
  size: number;
  /** The body, planned with the header's results once all are in. */
  body: Canvas;
  /** What the body inherits (its `prepend` is replaced by the results). */
  inherit: Inherit;
}

/** What applying a canvas does now. */
export interface Plan {
  messages: TaskMessage[];
  chords: ChordInit[];
}

/** Routing, task settings and time, as the planner needs them. */
export interface PlanEnv {
  now: number;
  /**
   * Where a task goes and the options its message carries: `call` holds the call-time queue and
   * priority, `options` the call-time message options; the answer adds what routes and task
   * defaults say (the app decides, see src/app/task-settings.ts).
   */
  place(task: string, call: { queue?: string; priority?: number }, options: MessageOptions): { queue: string; priority: number; options: MessageOptions };
}

/** A fresh inheritance: nothing before, nothing after. */
export function rootInherit(partial: Partial<Inherit> = {}): Inherit {
  return { prepend: [], kwargs: {}, rest: [], chord: null, parentId: null, rootId: null, stamps: {}, groupId: null, groupIndex: null, ...partial };
}

/** Name of the built-in task that gathers a nested group's results into one list. */
export const ACCUMULATE_TASK = "celery.accumulate";

/**
 * Whether `body` is the gatherer the planner made for the nested group `chordId` (a group whose
 * result is one chord member): not a task of the caller's, so its failure passes the failed
 * member on as it is.
 */
export function isGatherer(body: Canvas, chordId: string): boolean {
  return body.kind === "task" && body.name === ACCUMULATE_TASK && body.options.task_id === accumulateId(chordId);
}

/** Plans `node` under `inherit`. */
export function plan(node: Canvas, inherit: Inherit, env: PlanEnv): Plan {
  const out: Plan = { messages: [], chords: [] };
  planInto(node, inherit, env, out);
  return out;
}

function planInto(node: Canvas, inh: Inherit, env: PlanEnv, out: Plan): void {
  const stamps = mergeStamps(inh.stamps, ownStamps(node.options));
  const here: Inherit = { ...inh, stamps };
  switch (node.kind) {
    case "task":
      out.messages.push(taskMessage(node, here, env));
      return;
    case "map":
    case "starmap": {
      const id = idOf(node);
      const inner = node.task;
      const msg = taskMessage(
        { kind: "task", name: `celery.${node.kind}`, args: [], kwargs: { task: inner, it: node.it }, options: { ...inner.options, ...node.options, task_id: id }, immutable: true },
        here,
        env,
        inner.name,
      );
      out.messages.push(msg);
      return;
    }
    case "chunks": {
      const gid = idOf(node);
      // The group passes link/link_error to each member; copying them here too would double them.
      const { link: _link, link_error: _linkError, ...memberOptions } = node.options;
      const members = splitChunks(node.it, node.n).map(
        (piece, i): Canvas => ({
          kind: "starmap",
          task: node.task,
          it: piece,
          args: [],
          kwargs: {},
          options: { ...memberOptions, task_id: chunkId(gid, i) },
          immutable: true,
        }),
      );
      planInto({ kind: "group", tasks: members, args: [], kwargs: {}, options: { ...node.options, task_id: gid }, immutable: true }, here, env, out);
      return;
    }
    case "chain": {
      const steps = withChainCallbacks(chainSteps(node), node.options).map((step, i) => inheritOptions(step, node.options, i === 0));
      const [first, ...others] = steps;
      if (!first) {
        return;
      }
      const prepend = node.immutable ? node.args : [...inh.prepend, ...node.args];
      const kwargs = node.immutable ? node.kwargs : { ...node.kwargs, ...inh.kwargs };
      // The later steps are planned from a message whose stamps include the first step's own:
      // they carry the stamps of the chain's context themselves (see outcomeEffects).
      const rest = [...others.map((s) => withStamps(s, here.stamps)), ...inh.rest];
      planInto(first, { ...here, prepend, kwargs, rest }, env, out);
      return;
    }
    case "group": {
      const gid = idOf(node);
      if (inh.rest.length > 0) {
        // A group followed by another step is a chord (Celery's group → chord upgrade).
        const [body, ...rest] = inh.rest as [Canvas, ...Canvas[]];
        // The body is the next step: it gets the stamps around the group, not the group's own.
        planChord({ kind: "chord", ...asHeader(node, gid), body, immutable: node.immutable }, { ...here, rest }, env, out, inh.stamps, false);
        return;
      }
      if (inh.chord) {
        // A group whose result is one chord member: gather its members' results into one list.
        const gather: TaskNode = { kind: "task", name: ACCUMULATE_TASK, args: [], kwargs: {}, options: { task_id: accumulateId(gid) }, immutable: false };
        planChord({ kind: "chord", ...asHeader(node, gid), body: gather, immutable: node.immutable }, here, env, out);
        return;
      }
      const prepend = node.immutable ? [] : inh.prepend;
      node.tasks.forEach((member, i) => {
        planInto(inheritOptions(withGroupCallbacks(member, node.options, i), node.options, true), { ...here, prepend, rest: [], chord: null, groupId: gid, groupIndex: i }, env, out);
      });
      return;
    }
    case "chord":
      planChord(node, here, env, out);
      return;
  }
}

/**
 * Plans a chord. `bodyInherits` is false for a group upgraded to a chord: its body is the chain's
 * next step, which takes neither the group's stamps (`bodyStamps`) nor its options.
 */
function planChord(node: ChordNode, inh: Inherit, env: PlanEnv, out: Plan, bodyStamps: Record<string, unknown> = inh.stamps, bodyInherits = true): void {
  const cid = idOf(node, "chord_id");
  const callbacked = withChordCallbacks(node.body, node.options);
  const body = bodyInherits ? inheritOptions(callbacked, node.options, false) : callbacked;
  // The body's parent is the header group, as in the chord's handle (and Celery's
  // AsyncResult.parent): its result links back to the header, so the canvas can be read back
  // from a body id (the dashboard's tree). The header members keep the chord's own parent.
  const bodyInherit: Inherit = { ...inh, prepend: [], kwargs: node.kwargs, stamps: bodyStamps, groupId: null, groupIndex: null, parentId: cid };
  if (node.header.length === 0) {
    // An empty header: the body runs at once with [] (as Celery does).
    planInto(body, { ...bodyInherit, prepend: [[]] }, env, out);
    return;
  }
  out.chords.push({ id: cid, size: node.header.length, body, inherit: bodyInherit });
  const prepend = node.immutable ? [] : inh.prepend;
  node.header.forEach((member, i) => {
    planInto(inheritOptions(member, node.options, true), { ...inh, prepend, kwargs: inh.kwargs, rest: [], chord: { id: cid, index: i }, groupId: cid, groupIndex: i }, env, out);
  });
}

/** Options a canvas passes down to its tasks as defaults (a task's own options win). */
const INHERITED_OPTIONS = [
  "queue",
  "routing_key",
  "priority",
  "soft_time_limit",
  "time_limit",
  "max_retries",
  "acks_late",
  "ignore_result",
  "result_expires",
  "track_started",
  "expires",
] as const;

/** Options that only delay what starts now: a chain's first step, a group's or header's members. */
const START_OPTIONS = ["countdown", "eta"] as const;

/**
 * `child` with the canvas's options as defaults under its own, as Celery applies a canvas's
 * options to its tasks; `starts` says whether the child starts now (gets countdown/eta).
 */
export function inheritOptions(child: Canvas, options: TaskOptions, starts: boolean): Canvas {
  const add: TaskOptions = {};
  for (const k of INHERITED_OPTIONS) if (options[k] !== undefined && child.options[k] === undefined) add[k] = options[k] as never;
  if (starts && child.options.countdown === undefined && child.options.eta === undefined) {
    for (const k of START_OPTIONS) if (options[k] !== undefined) add[k] = options[k] as never;
  }
  return Object.keys(add).length === 0 ? child : ({ ...child, options: { ...add, ...child.options } } as Canvas);
}

/** A chain's own `link` goes to its last step, its `link_error` to every step (as Celery). */
function withChainCallbacks(steps: Canvas[], options: TaskOptions): Canvas[] {
  return steps.map((s, i) => {
    let o = s.options;
    if (options.link && i === steps.length - 1) o = { ...o, link: [...(o.link ?? []), ...options.link] };
    if (options.link_error) o = { ...o, link_error: [...(o.link_error ?? []), ...options.link_error] };
    return o === s.options ? s : ({ ...s, options: o } as Canvas);
  });
}

/** `node` with `stamps` added to its own (they win, as stamps from the canvas around it do). */
function withStamps(node: Canvas, stamps: Record<string, unknown>): Canvas {
  if (Object.keys(stamps).length === 0) return node;
  return { ...node, options: { ...node.options, stamps: mergeStamps(stamps, node.options.stamps ?? {}) } } as Canvas;
}

/** A group's `link`/`link_error` apply to each member. */
function withGroupCallbacks(member: Canvas, options: TaskOptions, index: number | null): Canvas {
  if (!options.link && !options.link_error) return member;
  // Each member's copy of a callback is a task of its own: its ids get the member's index.
  const copy = (cbs: Canvas[]) => (index === null ? cbs : cbs.map((cb) => suffixIds(cb, `-${index}`)));
  const o = { ...member.options };
  if (options.link) o.link = [...(o.link ?? []), ...copy(options.link)];
  if (options.link_error) o.link_error = [...(o.link_error ?? []), ...copy(options.link_error)];
  return { ...member, options: o } as Canvas;
}

/**
 * A group made the header of a chord (Celery's upgrades: a group followed by a step, a group whose
 * result is one chord member): the group keeps its own callbacks, on each member as everywhere,
 * so the chord's options are the group's without them (they would go to the body).
 */
function asHeader(node: GroupNode, gid: string): Pick<ChordNode, "header" | "args" | "kwargs" | "options"> {
  const { link: _link, link_error: _linkError, ...options } = node.options;
  return { header: node.tasks.map((member, i) => withGroupCallbacks(member, node.options, i)), args: [], kwargs: {}, options: { ...options, chord_id: gid } };
}

/** A chord's `link`/`link_error` belong to its body (its errbacks fire once, from the body). */
function withChordCallbacks(body: Canvas, options: TaskOptions): Canvas {
  return withGroupCallbacks(body, options, null);
}

function epochOf(value: number | string | undefined, now: number): number | null {
  if (value === undefined) return null;
  return typeof value === "number" ? now + value * 1000 : isoEpochMs(value);
}

const MESSAGE_OPTION_KEYS = [
  "rate_limit",
  "rate_limit_key",
  "soft_time_limit",
  "time_limit",
  "max_retries",
  "acks_late",
  "ignore_result",
  "result_expires",
  "track_started",
  "routing_key",
] as const;

/** The message for one task node. `routeAs` routes a built-in by the task it wraps. */
function taskMessage(node: TaskNode, inh: Inherit, env: PlanEnv, routeAs = node.name): TaskMessage {
  const o = node.options;
  const id = idOf(node);
  const callOptions: MessageOptions = {};
  for (const k of MESSAGE_OPTION_KEYS) if (o[k] !== undefined && o[k] !== null) (callOptions as Record<string, unknown>)[k] = o[k];
  const { queue, priority, options } = env.place(routeAs, { queue: o.queue, priority: o.priority }, callOptions);
  const eta = o.countdown !== undefined ? env.now + o.countdown * 1000 : o.eta !== undefined ? isoEpochMs(o.eta) : null;
  return {
    id,
    task: node.name,
    args: node.immutable ? node.args : [...inh.prepend, ...node.args],
    kwargs: node.immutable ? node.kwargs : { ...node.kwargs, ...inh.kwargs },
    queue,
    priority,
    eta: eta !== null && eta > env.now ? eta : null,
    expires: epochOf(o.expires, env.now),
    retries: 0,
    options,
    stamps: inh.stamps,
    parent_id: inh.parentId,
    root_id: inh.rootId ?? id,
    group_id: inh.groupId ?? (typeof o.group_id === "string" ? o.group_id : null),
    group_index: inh.groupIndex,
    chain: inh.rest,
    chord: inh.chord,
    link: o.link ?? [],
    link_error: o.link_error ?? [],
  };
}
