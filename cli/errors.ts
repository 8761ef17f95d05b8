/**
 * The CLI's exit codes and the one mapping from what went wrong to a code and a message (or, with
 * `--json`, a JSON error):
 * 0 ok, 1 the task failed or the API answered an error, 2 a usage error, 3 the API could not be
 * reached.
 */
import { EdgeryHttpError, TaskFailedError, TimeoutError } from "../client/index.js";

/** The exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** The command line is wrong (unknown command or option, a bad value): exit 2 with the usage hint. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The API could not be reached at all (refused, unknown host, TLS): exit 3. */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
  constructor(url: string, cause: unknown) {
    const c = cause as { cause?: { code?: string; message?: string }; message?: string };
    super(`cannot reach ${new URL(url).origin}: ${c?.cause?.code ?? c?.cause?.message ?? c?.message ?? String(cause)}`);
  }
}

/**
 * An error as the CLI reports it: the exit code, the line for stderr, and the JSON `--json` prints
 * instead: `{"error": {code, message, ...}}`, the API's own error body (`code`, `message`, `path`)
 * with its `status` (and `retry_after`), or the same shape for what the API did not answer
 * (`network_error`, status 0), a task that failed, a wait that timed out, a usage error.
 */
export function reportOf(err: unknown): { code: number; message: string; json: { error: Record<string, unknown> } } {
  const json = (code: string, message: string, more: Record<string, unknown> = {}) => ({ error: { code, message, ...more } });
  if (err instanceof UsageError) return { code: EXIT.usage, message: `${err.message}\nRun 'edgery --help' for usage.`, json: json("usage", err.message) };
  if (err instanceof ConnectError) return { code: EXIT.unreachable, message: err.message, json: json("network_error", err.message, { status: 0 }) };
  // The client reports a request that got no answer as network_error, its fetch's error the cause.
  if (err instanceof EdgeryHttpError && err.code === "network_error") {
    const message = err.cause instanceof ConnectError ? err.cause.message : err.message;
    return { code: EXIT.unreachable, message, json: json("network_error", message, { status: 0 }) };
  }
  if (err instanceof EdgeryHttpError) {
    const more = { ...(err.path ? { path: err.path } : {}), status: err.status, ...(err.retryAfter !== undefined ? { retry_after: err.retryAfter } : {}) };
    return { code: EXIT.failed, message: `error: ${err.code} (HTTP ${err.status}): ${err.message}${err.path ? ` [at ${err.path}]` : ""}`, json: json(err.code, err.message, more) };
  }
  if (err instanceof TaskFailedError) {
    return { code: EXIT.failed, message: `task ${err.taskId} ${err.state}: ${err.type}: ${err.message}`, json: json("task_failed", err.message, { id: err.taskId, state: err.state, type: err.type }) };
  }
  if (err instanceof TimeoutError) return { code: EXIT.failed, message: `timeout: ${err.message}`, json: json("timeout", err.message) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: EXIT.failed, message: `error: ${message}`, json: json("error", message) };
}
