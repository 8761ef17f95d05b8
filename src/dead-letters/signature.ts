/**
 * The signature a dead letter is replayed with: the failed task message back in Celery's wire
 * shape (task, the args and kwargs it ran with, its queue, priority, execution options, stamps
 * and callbacks). Without `task_id`, so a replay gets a new id, and so do its callbacks and every
 * task inside them (their ids were planned for the first run: kept, a replay's errback ran under
 * the first errback's id, and its result was dropped as that id's second, or the errback was
 * taken as the first one's resend); without `eta`/`expires`, which were absolute times of the
 * first run. Pure.
 */
import { toWire, type Canvas, type WireSignature } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";

/** The wire signature that enqueues the same call again. */
export function signatureOf(m: TaskMessage): WireSignature {
  const options: Record<string, unknown> = { queue: m.queue, priority: m.priority };
  // `rate_slot` is the queue's own note, no option a signature may carry.
  for (const [k, v] of Object.entries(m.options)) if (v !== undefined && v !== null && k !== "rate_slot") options[k] = v;
  if (Object.keys(m.stamps).length > 0) options.stamps = m.stamps;
  if (m.link.length > 0) options.link = m.link.map((c) => toWire(withoutIds(c)));
  if (m.link_error.length > 0) options.link_error = m.link_error.map((c) => toWire(withoutIds(c)));
  return { task: m.task, args: m.args, kwargs: m.kwargs, options, subtask_type: null, immutable: false };
}

/** A callback canvas without the ids its first apply planned (`task_id`, `chord_id`), at every depth. */
function withoutIds(node: Canvas): Canvas {
  const { task_id: _t, chord_id: _c, ...rest } = node.options;
  const options = { ...rest, ...(rest.link ? { link: rest.link.map(withoutIds) } : {}), ...(rest.link_error ? { link_error: rest.link_error.map(withoutIds) } : {}) };
  switch (node.kind) {
    case "task":
      return { ...node, options };
    case "chain":
    case "group":
      return { ...node, options, tasks: node.tasks.map(withoutIds) };
    case "chord":
      return { ...node, options, header: node.header.map(withoutIds), body: withoutIds(node.body) };
    case "map":
    case "starmap":
    case "chunks":
      return { ...node, options, task: withoutIds(node.task) as typeof node.task };
  }
}
