/**
 * The CLI's exit codes and the one mapping from what went wrong to a code and a message:
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

/** An error as the CLI reports it: the exit code and the line for stderr. */
export function reportOf(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.usage, message: `${err.message}\nRun 'edgery --help' for usage.` };
  if (err instanceof ConnectError) return { code: EXIT.unreachable, message: err.message };
  // The client reports a request that got no answer as network_error, its fetch's error the cause.
  if (err instanceof EdgeryHttpError && err.code === "network_error") return { code: EXIT.unreachable, message: err.cause instanceof ConnectError ? err.cause.message : err.message };
  if (err instanceof EdgeryHttpError) return { code: EXIT.failed, message: `error: ${err.code} (HTTP ${err.status}): ${err.message}${err.path ? ` [at ${err.path}]` : ""}` };
  if (err instanceof TaskFailedError) return { code: EXIT.failed, message: `task ${err.taskId} ${err.state}: ${err.type}: ${err.message}` };
  if (err instanceof TimeoutError) return { code: EXIT.failed, message: `timeout: ${err.message}` };
  return { code: EXIT.failed, message: `error: ${err instanceof Error ? err.message : String(err)}` };
}
