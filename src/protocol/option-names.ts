/**
 * The option names a signature may carry: the ones edgery reads, and the ones Celery 5 itself
 * writes into a signature's options (accepted, and ignored where they mean nothing here). Any
 * other name is refused, so a misspelling (`countdwn`) is an error rather than silently
 * ignored. The one list, used by the parser and the client's option type. Pure, no zod.
 */

/** The options edgery reads (the HTTP contract's names). */
export const EDGERY_OPTION_NAMES = [
  "queue",
  "routing_key",
  "priority",
  "countdown",
  "eta",
  "expires",
  "task_id",
  "group_id",
  "chord_id",
  "soft_time_limit",
  "time_limit",
  "max_retries",
  "acks_late",
  "ignore_result",
  "result_expires",
  "track_started",
  "rate_limit",
  "rate_limit_key",
  "idempotency_key",
  "link",
  "link_error",
  "stamped_headers",
  "stamps",
] as const;

/**
 * The names Celery 5 writes into a signature's options that edgery does not read: the
 * execution options of `apply_async` (celery/app/task.py, celery/app/base.py `send_task`),
 * what `Signature.freeze`, `stamp`, `chain.run` and `chord.run` set (celery/canvas.py), what
 * `Task.signature_from_request` copies from a request (its delivery info, `retries`), and the
 * AMQP publish properties kombu takes through them. Accepted and ignored.
 */
export const CELERY_ONLY_OPTION_NAMES = [
  // apply_async / send_task
  "retry",
  "retry_policy",
  "exchange",
  "exchange_type",
  "serializer",
  "compression",
  "headers",
  "add_to_parent",
  "publisher",
  "producer",
  "connection",
  "router",
  "shadow",
  "argsrepr",
  "kwargsrepr",
  "replaced_task_nesting",
  "periodic_task_name",
  // freeze / chain / chord
  "parent_id",
  "root_id",
  "group_index",
  "chord",
  "chord_size",
  "chain",
  "reply_to",
  // signature_from_request: Context.as_execution_options (the sending node's name, the retry
  // count) and the request's delivery info
  "origin",
  "retries",
  "redelivered",
  // kombu publish properties
  "correlation_id",
  "delivery_mode",
  "mandatory",
  "immediate",
  "declare",
  "expiration",
  "content_type",
  "content_encoding",
  "timeout",
  "confirm_timeout",
] as const;

/** An option name a signature may carry. */
export type OptionName = (typeof EDGERY_OPTION_NAMES)[number] | (typeof CELERY_ONLY_OPTION_NAMES)[number];

const ACCEPTED: ReadonlySet<string> = new Set<string>([...EDGERY_OPTION_NAMES, ...CELERY_ONLY_OPTION_NAMES]);

/**
 * True when `name` may appear in a signature's options: a name of either list, or a stamp
 * Celery writes under its own name and lists in `stamped_headers`.
 */
export function isAcceptedOption(name: string, stampedHeaders: readonly unknown[] = []): boolean {
  return ACCEPTED.has(name) || stampedHeaders.includes(name);
}
