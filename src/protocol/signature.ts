/**
 * Signatures: Celery's wire JSON for a task call or a canvas, and the typed canvas it parses to.
 *
 * The wire form is exactly what Python's `dict(signature)` gives, so a Celery user can POST it
 * as it is. Inside edgery a signature is a {@link Canvas}: a discriminated union on `kind`.
 */

/** Options of a signature, with Celery's names (all optional). */
export interface TaskOptions {
  queue?: string;
  routing_key?: string;
  priority?: number;
  countdown?: number;
  eta?: string;
  expires?: number | string;
  task_id?: string;
  soft_time_limit?: number;
  time_limit?: number;
  max_retries?: number | null;
  acks_late?: boolean;
  link?: Canvas[];
  link_error?: Canvas[];
  stamped_headers?: string[];
  stamps?: Record<string, unknown>;
  ignore_result?: boolean;
  result_expires?: number;
  track_started?: boolean;
  /** Group this task belongs to (set by the planner). */
  group_id?: string;
  /** Any other option (a stamped header's value sits here under its own name). */
  [extra: string]: unknown;
}

/** Fields every canvas node has. */
interface NodeBase {
  /** Partial positional args: call-time args (a parent result first) go before them, as in Celery. */
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: TaskOptions;
  /** An immutable signature ignores its parent's result. */
  immutable: boolean;
}

/** A single task call. */
export interface TaskNode extends NodeBase {
  kind: "task";
  /** The registered task name. */
  name: string;
}

/** Steps run one after another, each result passed to the next. */
export interface ChainNode extends NodeBase {
  kind: "chain";
  tasks: Canvas[];
}

/** Members run in parallel; the result is the list of their results in member order. */
export interface GroupNode extends NodeBase {
  kind: "group";
  tasks: Canvas[];
}

/** A group (the header) whose results, in header order, are passed to the body. */
export interface ChordNode extends NodeBase {
  kind: "chord";
  header: Canvas[];
  body: Canvas;
  /**
   * Where the header's members sat in the request, below the chord's path, when that was not
   * `kwargs.header` (a header written as a group signature: `kwargs.header.kwargs.tasks`). Only
   * for the paths of errors found after parsing.
   */
  headerPath?: string;
}

/** One task that applies `task` to every item of `it` and returns the list of results. */
export interface MapNode extends NodeBase {
  kind: "map" | "starmap";
  task: TaskNode;
  it: unknown[];
}

/** `it` split into tasks of `n` items each, run as a group; each result is a list. */
export interface ChunksNode extends NodeBase {
  kind: "chunks";
  task: TaskNode;
  it: unknown[][];
  n: number;
}

/** A typed signature: a task or a canvas primitive. */
export type Canvas = TaskNode | ChainNode | GroupNode | ChordNode | MapNode | ChunksNode;

/** A signature as it travels on the wire (Celery's `dict(signature)`). */
export interface WireSignature {
  task: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: Record<string, unknown>;
  subtask_type?: string | null;
  immutable?: boolean;
  [extra: string]: unknown;
}

/** The primitive task names Celery uses, and the node kind each becomes. */
export const PRIMITIVE_TASKS = {
  "celery.chain": "chain",
  "celery.group": "group",
  "celery.chord": "chord",
  "celery.map": "map",
  "celery.starmap": "starmap",
  "celery.chunks": "chunks",
} as const;

/** Back to the wire form (what `toWire(parse(x))` gives is equivalent to `x`). */
export function toWire(node: Canvas): WireSignature {
  const options = wireOptions(node.options);
  const base = { args: node.args, options, immutable: node.immutable };
  switch (node.kind) {
    case "task":
      return { task: node.name, ...base, kwargs: node.kwargs, subtask_type: null };
    case "chain":
    case "group":
      return { task: `celery.${node.kind}`, ...base, kwargs: { ...node.kwargs, tasks: node.tasks.map(toWire) }, subtask_type: node.kind };
    case "chord":
      return {
        task: "celery.chord",
        ...base,
        kwargs: { header: node.header.map(toWire), body: toWire(node.body), kwargs: node.kwargs },
        subtask_type: "chord",
      };
    case "map":
    case "starmap":
      return { task: `celery.${node.kind}`, ...base, kwargs: { task: toWire(node.task), it: node.it }, subtask_type: null };
    case "chunks":
      return { task: "celery.chunks", ...base, kwargs: { task: toWire(node.task), it: node.it, n: node.n }, subtask_type: "chunks" };
  }
}

function wireOptions(options: TaskOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options };
  if (options.link) out.link = options.link.map(toWire);
  if (options.link_error) out.link_error = options.link_error.map(toWire);
  return out;
}

/**
 * A copy of a canvas whose every id ends in `suffix`: a group's callback copied onto each member
 * (the planner's groups, a chord header written as a group signature) gets the member's index.
 */
export function suffixIds(node: Canvas, suffix: string): Canvas {
  const options: TaskOptions = { ...node.options };
  for (const key of ["task_id", "chord_id"] as const) if (typeof options[key] === "string") options[key] = `${options[key]}${suffix}`;
  if (options.link) options.link = options.link.map((c) => suffixIds(c, suffix));
  if (options.link_error) options.link_error = options.link_error.map((c) => suffixIds(c, suffix));
  const n = { ...node, options } as Canvas;
  switch (n.kind) {
    case "chain":
    case "group":
      return { ...n, tasks: n.tasks.map((t) => suffixIds(t, suffix)) };
    case "chord":
      return { ...n, header: n.header.map((t) => suffixIds(t, suffix)), body: suffixIds(n.body, suffix) };
    default:
      return n;
  }
}
