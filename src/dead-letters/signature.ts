/**
 * The signature a dead letter is replayed with: the failed task message back in Celery's wire
 * shape (task, the args and kwargs it ran with, its queue, priority, execution options, stamps
 * and callbacks). Without `task_id`, so a replay gets a new id; without `eta`/`expires`, which
 * were absolute times of the first run. Pure.
 */
import { toWire, type WireSignature } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";

/** The wire signature that enqueues the same call again. */
export function signatureOf(m: TaskMessage): WireSignature {
  const options: Record<string, unknown> = { queue: m.queue, priority: m.priority };
  // `rate_slot` is the queue's own note, no option a signature may carry.
  for (const [k, v] of Object.entries(m.options)) if (v !== undefined && v !== null && k !== "rate_slot") options[k] = v;
  if (Object.keys(m.stamps).length > 0) options.stamps = m.stamps;
  if (m.link.length > 0) options.link = m.link.map(toWire);
  if (m.link_error.length > 0) options.link_error = m.link_error.map(toWire);
  return { task: m.task, args: m.args, kwargs: m.kwargs, options, subtask_type: null, immutable: false };
}
