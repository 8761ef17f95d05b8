/**
 * `edgery result` of a group id: the group's members (`GET /v1/groups/:id`), as the client's
 * GroupResult reads them.
 */
import type { GroupResult as GroupResultJSON } from "../src/protocol/shared.js";
import { EdgeryHttpError } from "../client/index.js";
import { numberOption } from "./command-line.js";
import type { CommandContext } from "./context.js";
import { EXIT } from "./errors.js";
import { cell, jsonText, table } from "./output.js";

/**
 * The group `id` as it is now, or as it is once ready (`wait`, up to `--timeout`); null when no
 * group was recorded under `id` (`404 not_found`: the id is a task's, or unknown).
 * @throws TimeoutError when `--timeout` passes first.
 */
export async function readGroup(ctx: CommandContext, id: string, wait: boolean): Promise<GroupResultJSON | null> {
  const group = ctx.client.groupResult(id);
  try {
    if (!wait) return await group.fetch();
    await group.get({ propagate: false, timeout: numberOption("timeout", ctx.values.timeout) });
    return await group.fetch();
  } catch (err) {
    if (err instanceof EdgeryHttpError && err.code === "not_found") return null;
    throw err;
  }
}

/**
 * Prints a group: `--json` the whole group result; else one line per member (id, state, value or
 * meta or error) under a `group ID: completed/total ...` line. Exit 1 when a member failed or was
 * revoked (each such member on stderr), as for a task.
 */
export function printGroup(ctx: CommandContext, g: GroupResultJSON): number {
  const ended = g.results.filter((r) => r.state === "FAILURE" || r.state === "REVOKED");
  if (ctx.json) ctx.io.out(jsonText(g));
  else {
    const status = g.ready ? (g.successful ? "SUCCESS" : g.failed ? "FAILURE" : "REVOKED") : "PENDING";
    ctx.io.out(`group ${g.id}: ${status}, ${g.completed}/${g.total} completed\n`);
    const rows = g.results.map((r) => [r.id, r.state, cell(r.state === "SUCCESS" ? r.result : r.error ? `${r.error.type}: ${r.error.message}` : r.meta)]);
    ctx.io.out(table(["ID", "STATE", "RESULT"], rows));
  }
  for (const r of ended) ctx.io.err.write(`task ${r.id} ${r.state}: ${r.error ? `${r.error.type}: ${r.error.message}` : "revoked"}\n`);
  return ended.length ? EXIT.failed : EXIT.ok;
}
