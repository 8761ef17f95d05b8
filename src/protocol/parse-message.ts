/**
 * Parses task messages that arrive from outside this Worker's own code: what another app's
 * `service` or `http` broker sends to the broker endpoint. A QueueDO stores a message as it is
 * and reads it again at dispatch, at settle and in its alarm, so a message of another shape
 * (a forged one, or one damaged on the way) must be refused here, before anything is stored: held
 * by a queue, it would fail its delivery and then every alarm that reads it.
 */
import { z } from "zod";
import { MAX_ETA_EPOCH_MS, MAX_PRIORITY, MAX_TASK_ID_CHARS, MIN_PRIORITY, QUEUE_NAME } from "./constants.js";
import type { TaskMessage } from "./message.js";
import { checkDepth, parseSignature, storedName } from "./parse-signature.js";
import { toWire, type Canvas } from "./signature.js";
import { WireError } from "./wire-error.js";
import { isRateLimit, RATE_LIMIT_RULE } from "./rate-limit.js";

const id = storedName(MAX_TASK_ID_CHARS);
/** A time (epoch ms). */
const epochMs = z.number().min(0, "must be a time (epoch ms)");
const seconds = z.number().positive();

/** The options a message carries (MessageOptions): each known one typed, any other kept. */
const messageOptions = z.looseObject({
  soft_time_limit: seconds.optional(),
  time_limit: seconds.optional(),
  max_retries: z.number().int().min(0).nullable().optional(),
  acks_late: z.boolean().optional(),
  ignore_result: z.boolean().optional(),
  result_expires: seconds.optional(),
  track_started: z.boolean().optional(),
  routing_key: z.string().max(256).optional(),
  rate_limit: z.union([z.number(), z.string()]).refine(isRateLimit, RATE_LIMIT_RULE).optional(),
  rate_limit_key: storedName(128).optional(),
  rate_slot: z.number().min(0).optional(),
});

const canvasList = z.array(z.record(z.string(), z.unknown()));

// Loose: a field a newer version adds is kept, and this version ignores it (a deploy of one app
// before the other must not stop their brokers).
const messageSchema = z.looseObject({
  id,
  task: z.string().min(1).max(256),
  args: z.array(z.unknown()),
  kwargs: z.record(z.string(), z.unknown()),
  queue: z.string().regex(QUEUE_NAME, "must be a queue name (letters, digits and . _ : - only)"),
  priority: z.number().int("must be an integer").min(MIN_PRIORITY).max(MAX_PRIORITY),
  eta: epochMs.max(MAX_ETA_EPOCH_MS, `must be no later than ${new Date(MAX_ETA_EPOCH_MS).toISOString()}`).nullable(),
  expires: epochMs.nullable(),
  retries: z.number().int().min(0),
  options: messageOptions,
  stamps: z.record(z.string(), z.unknown()),
  parent_id: id.nullable(),
  root_id: id,
  group_id: id.nullable(),
  group_index: z.number().int().min(0).nullable(),
  chain: canvasList,
  chord: z.looseObject({ id, index: z.number().int().min(0) }).nullable(),
  link: canvasList,
  link_error: canvasList,
});

/**
 * Checks that a canvas node inside a message (a chain's next step, a callback) is one the
 * planner can run: written back to the wire and parsed again as a signature would be.
 */
function checkCanvas(node: Record<string, unknown>, path: string): void {
  try {
    parseSignature(toWire(node as unknown as Canvas), path);
  } catch (err) {
    const why = err instanceof WireError ? err.message : "not a canvas";
    throw new WireError("invalid_request", `${path}: ${why}`, path);
  }
}

/**
 * The kwargs of a `celery.map` or `celery.starmap` message, as the planner writes them: the task
 * to run (a task node) and the items (a list; of argument lists for a starmap). The built-in
 * reads both as they are: `{}` failed at run time with a TypeError.
 */
function checkMapKwargs(kwargs: Record<string, unknown>, star: boolean, path: string): void {
  const task = kwargs.task as Record<string, unknown> | undefined;
  if (typeof task !== "object" || task === null || Array.isArray(task) || task.kind !== "task" || typeof task.name !== "string") {
    throw new WireError("invalid_request", `${path}.task: must be the task node the map runs`, `${path}.task`);
  }
  checkCanvas(task, `${path}.task`);
  const it = kwargs.it;
  if (!Array.isArray(it) || (star && it.some((item) => !Array.isArray(item)))) {
    throw new WireError("invalid_request", `${path}.it: must be a list${star ? " of argument lists" : ""}`, `${path}.it`);
  }
}

/**
 * One task message at `path`, checked field by field (types, ranges, JSON depth) and each canvas
 * it carries parsed as a signature.
 * @throws WireError `invalid_request` naming the dotted path of the first problem.
 */
export function parseTaskMessage(value: unknown, path: string): TaskMessage {
  try {
    checkDepth(value, path);
  } catch (err) {
    if (err instanceof WireError) throw new WireError("invalid_request", err.message, err.path);
    throw err;
  }
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = [path, ...issue.path.map(String)].join(".");
    throw new WireError("invalid_request", `${at}: ${issue.message}`, at);
  }
  const m = parsed.data;
  for (const key of ["chain", "link", "link_error"] as const) m[key].forEach((node, i) => checkCanvas(node, `${path}.${key}.${i}`));
  if (m.task === "celery.map" || m.task === "celery.starmap") checkMapKwargs(m.kwargs, m.task === "celery.starmap", `${path}.kwargs`);
  // The value as sent: every field was checked above, and one this version does not know is kept.
  return value as TaskMessage;
}

/**
 * A list of task messages at `path` (the broker endpoint's `messages`).
 * @throws WireError `invalid_request` naming the dotted path of the first problem.
 */
export function parseTaskMessages(value: unknown, path = "messages"): TaskMessage[] {
  if (!Array.isArray(value)) throw new WireError("invalid_request", `${path}: must be a list of task messages`, path);
  return value.map((m, i) => parseTaskMessage(m, `${path}.${i}`));
}
