/**
 * The API's check of a sent task's arguments against its typed task's schemas: a call that does
 * not pass is refused with 422 `invalid_signature` at the path into `args` (or `kwargs`).
 */
import { WireError } from "../protocol/index.js";
import type { TaskMessage } from "../protocol/message.js";
import type { App } from "../app/app.js";
import { checkArgs } from "../app/typed-task.js";

/** A message about to be enqueued, with the path of its signature in the request body. */
export interface SentArgs {
  message: TaskMessage;
  path: string;
}

/** True when the message's task checks its arguments (a typed task). */
export function hasSchemas(app: App, message: TaskMessage): boolean {
  return app.get(message.task)?.schemas !== undefined;
}

/**
 * Checks each message's args and kwargs (as they will be enqueued: call-time args included).
 * @throws WireError `invalid_signature` at `<signature path>.args.<issue path>` for the first failure.
 */
export async function checkSentArgs(app: App, sent: SentArgs[]): Promise<void> {
  const checks = await Promise.all(
    sent.map(async ({ message, path }) => {
      const schemas = app.get(message.task)?.schemas;
      return { message, path, check: schemas ? await checkArgs(schemas, message.args, message.kwargs) : null };
    }),
  );
  for (const { message, path, check } of checks) {
    if (check && !check.ok) {
      const at = path ? `${path}.${check.issue.path}` : check.issue.path;
      throw new WireError("invalid_signature", `${at}: ${check.issue.message} (task '${message.task}')`, at);
    }
  }
}
