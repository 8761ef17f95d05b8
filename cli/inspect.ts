/**
 * `inspect queues|active|scheduled|registered`, as Celery's `inspect`.
 */
import { numberOption } from "./command-line.js";
import type { Command, CommandContext } from "./context.js";
import { EXIT, UsageError } from "./errors.js";
import { cell, jsonText, table } from "./output.js";

type View = (ctx: CommandContext, scope: { queue?: string; limit?: number }) => Promise<{ json: unknown; text: string }>;

const VIEWS: Record<string, View> = {
  async queues(ctx) {
    const queues = await ctx.client.queues();
    const rows = queues.map((q) => [q.name, String(q.waiting), String(q.delayed), String(q.leased), q.paused ? "yes" : "no", String(q.concurrency), String(q.completed), String(q.failed)]);
    return { json: queues, text: table(["QUEUE", "WAITING", "DELAYED", "LEASED", "PAUSED", "CONCURRENCY", "COMPLETED", "FAILED"], rows) };
  },
  async active(ctx, scope) {
    const tasks = await ctx.client.active(scope);
    const rows = tasks.map((t) => [t.id, t.task, t.queue, t.state, cell(t.started_at), cell(t.worker), cell(t.meta)]);
    return { json: tasks, text: table(["ID", "TASK", "QUEUE", "STATE", "STARTED", "WORKER", "META"], rows) };
  },
  async scheduled(ctx, scope) {
    const tasks = await ctx.client.scheduled(scope);
    return { json: tasks, text: table(["ID", "TASK", "QUEUE", "ETA", "PRIORITY"], tasks.map((t) => [t.id, t.task, t.queue, t.eta, String(t.priority)])) };
  },
  async registered(ctx) {
    const tasks = await ctx.client.registered();
    return { json: tasks, text: table(["TASK", "DEFAULTS"], tasks.map((t) => [t.name, cell(t.defaults)])) };
  },
};

export const inspect: Command = {
  usage: `inspect ${Object.keys(VIEWS).join("|")} [--queue Q] [--limit N]`,
  summary: "list queues, running tasks (with progress), delayed tasks or registered tasks",
  options: ["queue", "limit"],
  args: [1, 1],
  async run(ctx) {
    const what = ctx.args[0]!;
    const view = VIEWS[what];
    if (!view) throw new UsageError(`inspect: unknown view '${what}'; one of ${Object.keys(VIEWS).join(", ")}`);
    if ((what === "queues" || what === "registered") && (ctx.values.queue !== undefined || ctx.values.limit !== undefined)) {
      throw new UsageError(`inspect ${what} takes no --queue or --limit`);
    }
    const limit = numberOption("limit", ctx.values.limit, { min: 1, integer: true });
    const scope = { ...(ctx.values.queue !== undefined ? { queue: ctx.values.queue } : {}), ...(limit !== undefined ? { limit } : {}) };
    const answer = await view(ctx, scope);
    ctx.io.out(ctx.json ? jsonText(answer.json) : answer.text);
    return EXIT.ok;
  },
};
