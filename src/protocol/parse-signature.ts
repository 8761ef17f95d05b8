/**
 * Parses wire signatures into typed {@link Canvas} values, with the contract's errors: every
 * problem is a `WireError` `invalid_signature` naming the dotted path of the culprit.
 */
import { z } from "zod";
import { MAX_CANVAS_DEPTH, MAX_CANVAS_TASKS, MAX_TASK_ID_CHARS, MAX_COUNTDOWN_S, MAX_ETA_EPOCH_MS, MAX_JSON_DEPTH, MAX_OPTION_SECONDS, MAX_PRIORITY, MIN_PRIORITY } from "./constants.js";
import { PRIMITIVE_TASKS, suffixIds, type Canvas, type TaskNode, type TaskOptions } from "./signature.js";
import { WireError } from "./wire-error.js";
import { isRateLimit, RATE_LIMIT_RULE } from "./rate-limit.js";
import { EDGERY_OPTION_NAMES, isAcceptedOption } from "./option-names.js";
import { isoEpochMs } from "./iso-time.js";

/** A number of seconds: finite, at most MAX_OPTION_SECONDS (a larger one would overflow a date). */
const seconds = z.number().max(MAX_OPTION_SECONDS, `must be at most ${MAX_OPTION_SECONDS} seconds`);

/** An ISO-8601 date-time (isoEpochMs: no other format, no day that does not exist). */
const isoDate = z.string().refine((s) => isoEpochMs(s) !== null, "must be an ISO-8601 date-time (2026-01-31T12:00:00Z)");
/** An `eta`: a date no later than a queue can hold. */
const etaDate = isoDate.refine((s) => (isoEpochMs(s) ?? 0) <= MAX_ETA_EPOCH_MS, `must be no later than ${new Date(MAX_ETA_EPOCH_MS).toISOString()}`);

/** A lone UTF-16 surrogate: no character, and no UTF-8 form (a store keeps U+FFFD in its place). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A string that names something stored (a task, group or chord id, a key): 1 to `max` characters
 * of well-formed Unicode. An id with a lone surrogate was stored as U+FFFD by its queue's SQLite
 * and so never matched its own lease again: the task held its place in the window for good.
 */
export const storedName = (max: number) => z.string().min(1).max(max).refine((s) => !LONE_SURROGATE.test(s), "must be well-formed Unicode (a lone surrogate names nothing)");

/** The scalar options; `link`/`link_error` are parsed recursively by hand. */
const optionsSchema = z.looseObject({
  queue: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, "letters, digits and . _ : - only").nullish(),
  routing_key: z.string().max(256).nullish(),
  priority: z.number().int("must be an integer").min(MIN_PRIORITY).max(MAX_PRIORITY).nullish(),
  countdown: z.number().min(0, "must not be negative").max(MAX_COUNTDOWN_S, `must be at most ${MAX_COUNTDOWN_S} seconds (100 years)`).nullish(),
  eta: etaDate.nullish(),
  expires: z.union([seconds, isoDate]).nullish(),
  task_id: storedName(MAX_TASK_ID_CHARS).nullish(),
  // Ids the planner reads (a chord's join, a group's record): strings or nothing.
  chord_id: storedName(MAX_TASK_ID_CHARS).nullish(),
  group_id: storedName(MAX_TASK_ID_CHARS).nullish(),
  soft_time_limit: seconds.positive().nullish(),
  time_limit: seconds.positive().nullish(),
  max_retries: z.number().int().min(0).max(1_000_000).nullish(),
  acks_late: z.boolean().nullish(),
  stamped_headers: z.array(z.string()).nullish(),
  stamps: z.record(z.string(), z.unknown()).nullish(),
  ignore_result: z.boolean().nullish(),
  result_expires: seconds.positive().nullish(),
  idempotency_key: storedName(256).nullish(),
  rate_limit: z.union([z.number(), z.string()]).refine(isRateLimit, RATE_LIMIT_RULE).nullish(),
  rate_limit_key: storedName(128).nullish(),
  track_started: z.boolean().nullish(),
});

const baseSchema = z.looseObject({
  task: z.string({ error: "is required: a task name" }).min(1, "is required: a task name").max(256, "a task name is at most 256 characters"),
  args: z.array(z.unknown()).nullish(),
  kwargs: z.record(z.string(), z.unknown()).nullish(),
  options: z.record(z.string(), z.unknown()).nullish(),
  subtask_type: z.string().nullish(),
  immutable: z.boolean().nullish(),
});

/** Throws the first zod issue as `invalid_signature` at `path`. */
function check<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const at = [path, ...issue.path.map(String)].filter(Boolean).join(".");
  throw new WireError("invalid_signature", `${at || "signature"}: ${issue.message}`, at || undefined);
}

function fail(path: string, message: string): never {
  throw new WireError("invalid_signature", `${path || "signature"}: ${message}`, path || undefined);
}

function join(path: string, key: string | number): string {
  return path ? `${path}.${key}` : String(key);
}

/** Drops null/undefined entries, so `{"priority": null}` means "not set" as in Celery. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** Counts task nodes while parsing, to bound the size of a canvas. */
interface ParseState {
  tasks: number;
}

/**
 * Parses one wire signature (a task or any canvas primitive) at `path`.
 * @throws WireError `invalid_signature` with the culprit's dotted path.
 */
export function parseSignature(value: unknown, path = ""): Canvas {
  checkDepth(value, path);
  return parseNode(value, path, 1, { tasks: 0 });
}

/**
 * Refuses JSON nested deeper than MAX_JSON_DEPTH (walked with an explicit stack: the check itself
 * must not overflow), and a number too large for a double (`1e400` parses to Infinity, which JSON
 * writes as null: the task would get null). Names the path of the first such value.
 */
export function checkDepth(value: unknown, path: string): void {
  const stack: Array<[unknown, number, string]> = [[value, 1, path]];
  while (stack.length > 0) {
    const [v, depth, at] = stack.pop()!;
    if (typeof v === "number" && !Number.isFinite(v)) fail(at, "a number too large to be carried (it would arrive as null)");
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_JSON_DEPTH) fail(at, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, join(at, i)]));
    else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, join(at, k)]);
  }
}

type BaseFields = z.infer<typeof baseSchema>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The base fields of a signature when each is plainly valid (the common case: a bulk send of
 * plain tasks), else null and the schema decides, with its error. Same answer as the schema
 * for every value it accepts; only faster.
 */
function plainBase(value: Record<string, unknown>): BaseFields | null {
  const { task, args, kwargs, options, subtask_type, immutable } = value;
  if (typeof task !== "string" || task.length === 0 || task.length > 256) return null;
  if (args != null && !Array.isArray(args)) return null;
  if (kwargs != null && !isRecord(kwargs)) return null;
  if (options != null && !isRecord(options)) return null;
  if (subtask_type != null && typeof subtask_type !== "string") return null;
  if (immutable != null && typeof immutable !== "boolean") return null;
  return value as BaseFields;
}

/** True for an options object with no own keys (nothing to validate). */
function emptyOptions(value: unknown): boolean {
  if (value == null) return true;
  if (!isRecord(value)) return false;
  for (const _ in value) return false;
  return true;
}

/** The options edgery reads, as a set: each is refused as a signature's own key (see misplacedOption). */
const OPTION_KEYS: ReadonlySet<string> = new Set(EDGERY_OPTION_NAMES);

/**
 * The first key of a signature that is one of edgery's option names (`queue`, `countdown`, ...)
 * written beside `task` instead of under `options`, or undefined. Celery's signature dict has no
 * such key (its own are task, args, kwargs, options, subtask_type, immutable, chord_size), so one
 * there is a mistake that would otherwise be ignored: the task sent to the default queue, at once.
 */
function misplacedOption(value: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(value)) if (OPTION_KEYS.has(key)) return key;
  return undefined;
}

function parseNode(value: unknown, path: string, depth: number, state: ParseState): Canvas {
  if (depth > MAX_CANVAS_DEPTH) fail(path, `canvas nested deeper than ${MAX_CANVAS_DEPTH} levels`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be a signature object");
  const misplaced = misplacedOption(value as Record<string, unknown>);
  if (misplaced !== undefined) fail(join(path, misplaced), `'${misplaced}' is an option: send it under "options" (${join(join(path, "options"), misplaced)})`);
  const raw = plainBase(value as Record<string, unknown>) ?? check(baseSchema, value, path);
  const options = emptyOptions(raw.options) ? {} : parseOptions(raw.options ?? {}, join(path, "options"), depth, state);
  const args = raw.args ?? [];
  const kwargs = raw.kwargs ?? {};
  const immutable = raw.immutable ?? false;
  // Own keys only: a task named like an Object.prototype member ("constructor") is a plain task.
  const primitive = Object.hasOwn(PRIMITIVE_TASKS, raw.task) ? PRIMITIVE_TASKS[raw.task as keyof typeof PRIMITIVE_TASKS] : undefined;
  if (!primitive) {
    if (raw.task.startsWith("celery.")) fail(join(path, "task"), `unknown canvas primitive '${raw.task}'`);
    if (raw.subtask_type && !["chain", "group", "chord", "chunks"].includes(raw.subtask_type)) {
      fail(join(path, "subtask_type"), `unknown subtask_type '${raw.subtask_type}'`);
    }
    state.tasks += 1;
    if (state.tasks > MAX_CANVAS_TASKS) fail(path, `canvas larger than ${MAX_CANVAS_TASKS} tasks`);
    return { kind: "task", name: raw.task, args, kwargs, options, immutable };
  }
  const kw = join(path, "kwargs");
  switch (primitive) {
    case "chain":
    case "group": {
      const tasks = parseList(kwargs.tasks, join(kw, "tasks"), depth, state);
      const { tasks: _t, ...rest } = kwargs;
      return { kind: primitive, tasks, args, kwargs: rest, options, immutable };
    }
    case "chord": {
      const header = parseHeader(kwargs.header, join(kw, "header"), depth, state);
      if (kwargs.body === undefined || kwargs.body === null) fail(join(kw, "body"), "a chord needs a body");
      const body = parseNode(kwargs.body, join(kw, "body"), depth + 1, state);
      const inner = kwargs.kwargs;
      if (inner !== undefined && inner !== null && (typeof inner !== "object" || Array.isArray(inner))) {
        fail(join(kw, "kwargs"), "must be an object");
      }
      // A header group's own id is the chord's group id, as Celery's chord.run takes
      // `header.options['task_id']` for it (an explicit chord_id wins).
      const headerId = isGroupSignature(kwargs.header) ? headerGroupId(kwargs.header) : undefined;
      const chordOptions = headerId !== undefined && options.chord_id == null ? { ...options, chord_id: headerId } : options;
      const chord: Canvas = { kind: "chord", header, body, args, kwargs: (inner as Record<string, unknown>) ?? {}, options: chordOptions, immutable };
      return isGroupSignature(kwargs.header) ? { ...chord, headerPath: "kwargs.header.kwargs.tasks" } : chord;
    }
    case "map":
    case "starmap":
    case "chunks": {
      const task = parseNode(kwargs.task, join(kw, "task"), depth + 1, state);
      if (task.kind !== "task") fail(join(kw, "task"), `${primitive} needs a task signature, not a ${task.kind}`);
      const it = kwargs.it;
      if (!Array.isArray(it)) fail(join(kw, "it"), "must be a list");
      if (primitive !== "map") {
        it.forEach((item, i) => {
          if (!Array.isArray(item)) fail(join(join(kw, "it"), i), "must be a list of arguments");
        });
      }
      if (primitive === "chunks") {
        const n = kwargs.n;
        if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) fail(join(kw, "n"), "must be an integer >= 1");
        // One task per chunk; the task signature, counted as it was parsed, is their template.
        state.tasks += Math.ceil(it.length / n) - 1;
        if (state.tasks > MAX_CANVAS_TASKS) fail(join(kw, "it"), `canvas larger than ${MAX_CANVAS_TASKS} tasks (${Math.ceil(it.length / n)} chunks here)`);
        return { kind: "chunks", task, it: it as unknown[][], n, args, kwargs: {}, options, immutable: true };
      }
      return { kind: primitive, task: task as TaskNode, it, args, kwargs: {}, options, immutable: true };
    }
  }
}

/** True for a chord header written as a group signature (its members sit in `kwargs.tasks`). */
function isGroupSignature(value: unknown): boolean {
  return isRecord(value) && value.task === "celery.group";
}

/** The `options.task_id` of a header written as a group signature (checked as any task_id when the header is parsed). */
function headerGroupId(value: unknown): string | undefined {
  const options = isRecord(value) ? value.options : undefined;
  const id = isRecord(options) ? options.task_id : undefined;
  return typeof id === "string" ? id : undefined;
}

/** A chord header: a list of signatures, or a group signature (Celery accepts both). */
function parseHeader(value: unknown, path: string, depth: number, state: ParseState): Canvas[] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const node = parseNode(value, path, depth + 1, state);
    return node.kind === "group" ? node.tasks.map((member, i) => withGroupOptions(member, node.options, i)) : [node];
  }
  return parseList(value, path, depth, state);
}

/**
 * A header written as a group signature keeps what the group said: its options (queue, limits,
 * callbacks, ...) become defaults of each member, and its stamps reach each member. Each member's
 * copy of a group callback is a task of its own: its ids get the member's `index`, as the
 * planner does for a group's callbacks.
 */
function withGroupOptions(member: Canvas, group: TaskOptions, index: number): Canvas {
  const { task_id: _id, stamps, stamped_headers, ...inherited } = group;
  const own = member.options;
  const merged: TaskOptions = { ...inherited, ...own };
  const copy = (cbs: Canvas[]) => cbs.map((cb) => suffixIds(cb, `-${index}`));
  if (group.link || own.link) merged.link = [...(own.link ?? []), ...copy(group.link ?? [])];
  if (group.link_error || own.link_error) merged.link_error = [...(own.link_error ?? []), ...copy(group.link_error ?? [])];
  const headers = [...new Set([...(stamped_headers ?? []), ...(own.stamped_headers ?? [])])];
  if (headers.length > 0) merged.stamped_headers = headers;
  if (stamps || own.stamps) merged.stamps = { ...(stamps ?? {}), ...(own.stamps ?? {}) };
  return { ...member, options: merged } as Canvas;
}

function parseList(value: unknown, path: string, depth: number, state: ParseState): Canvas[] {
  if (!Array.isArray(value)) fail(path, "must be a list of signatures");
  return value.map((item, i) => parseNode(item, join(path, i), depth + 1, state));
}

function parseCallbacks(value: unknown, path: string, depth: number, state: ParseState): Canvas[] {
  if (Array.isArray(value)) return value.map((item, i) => parseNode(item, join(path, i), depth + 1, state));
  return [parseNode(value, path, depth + 1, state)];
}

/** Refuses an option name that is neither edgery's nor one Celery 5 writes (src/protocol/option-names.ts). */
function checkNames(options: Record<string, unknown>, path: string): void {
  const stamped = Array.isArray(options.stamped_headers) ? options.stamped_headers : [];
  for (const name of Object.keys(options)) {
    if (!isAcceptedOption(name, stamped)) fail(join(path, name), `unknown option '${name}'`);
  }
}

/** Parses `options`: scalars by schema, callbacks recursively, `countdown` xor `eta`. */
export function parseOptions(value: unknown, path: string, depth = 1, state: ParseState = { tasks: 0 }): TaskOptions {
  if (isRecord(value)) checkNames(value, path);
  const raw = compact(check(optionsSchema, value, path));
  if (raw.countdown !== undefined && raw.eta !== undefined) fail(join(path, "eta"), "give either eta or countdown, not both");
  const options: TaskOptions = { ...raw };
  if (raw.link !== undefined) options.link = parseCallbacks(raw.link, join(path, "link"), depth, state);
  if (raw.link_error !== undefined) options.link_error = parseCallbacks(raw.link_error, join(path, "link_error"), depth, state);
  return options;
}
