/**
 * `dead-letters [--queue Q] [--limit N]` lists the tasks that failed for good, newest first;
 * `dead-letters replay ID` sends one again (with a new id).
 */
import { numberOption } from "./command-line.js";
import type { Command } from "./context.js";
import { EXIT, UsageError } from "./errors.js";
import { jsonText, table } from "./output.js";

export const deadLetters: Command = {
  usage: "dead-letters [--queue Q] [--limit N] | dead-letters replay ID [--queue Q]",
  summary: "list dead letters (tasks that failed for good), or replay one",
  options: ["queue", "limit"],
  args: [0, 2],
  async run(ctx) {
    const [sub, id, ...extra] = ctx.args;
    if (sub !== undefined) {
      if (sub !== "replay" || id === undefined || extra.length > 0) throw new UsageError("usage: edgery dead-letters [--queue Q] [--limit N] | edgery dead-letters replay ID [--queue Q]");
      if (ctx.values.limit !== undefined) throw new UsageError("dead-letters replay takes no --limit");
      const replayed = await ctx.client.replayDeadLetter(id, ctx.values.queue !== undefined ? { queue: ctx.values.queue } : {});
      ctx.io.out(ctx.json ? jsonText({ id: replayed.id, kind: "task", replay_of: id }) : `${replayed.id}\n`);
      return EXIT.ok;
    }
    const limit = numberOption("limit", ctx.values.limit, { min: 1, integer: true });
    const page = await ctx.client.deadLetters({ ...(ctx.values.queue !== undefined ? { queue: ctx.values.queue } : {}), ...(limit !== undefined ? { limit } : {}) });
    const rows = page.items.map((d) => [d.id, d.task, d.queue, d.failed_at, `${d.error.type}: ${d.error.message}`]);
    ctx.io.out(ctx.json ? jsonText(page) : table(["ID", "TASK", "QUEUE", "FAILED AT", "ERROR"], rows));
    return EXIT.ok;
  },
};
