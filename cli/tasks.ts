/**
 * Task commands: `call` (send, optionally wait with a progress bar), `result` (of a task, or of a
 * group: cli/groups.ts) and `revoke`.
 */
import { isReady, type TaskResult } from "../src/protocol/shared.js";
import type { AsyncResult } from "../client/index.js";
import { argValue, kwargsOption, numberOption } from "./command-line.js";
import type { Command, CommandContext } from "./context.js";
import { EXIT, UsageError } from "./errors.js";
import { printGroup, readGroup } from "./groups.js";
import { cell, jsonText } from "./output.js";
import { ProgressReporter } from "./progress.js";

/** Prints a result: `--json` the whole object; else the value (ready), or the state and meta. Returns the exit code. */
function printResult(ctx: CommandContext, r: TaskResult): number {
  const failed = r.state === "FAILURE" || r.state === "REVOKED";
  if (ctx.json) ctx.io.out(jsonText(r));
  else if (r.state === "SUCCESS") ctx.io.out(`${JSON.stringify(r.result ?? null)}\n`);
  else if (!failed) ctx.io.out(`${r.state}${r.meta !== null && r.meta !== undefined ? ` ${cell(r.meta)}` : ""}\n`);
  if (failed) ctx.io.err.write(`task ${r.id} ${r.state}: ${r.error ? `${r.error.type}: ${r.error.message}` : "revoked"}\n`);
  return failed ? EXIT.failed : EXIT.ok;
}

/** Waits for a result, drawing its states and progress on stderr; the ready result. */
async function waitFor(ctx: CommandContext, result: AsyncResult): Promise<TaskResult> {
  const reporter = new ProgressReporter(ctx.io.err);
  let last: TaskResult | undefined;
  try {
    for await (const r of result.watch({ timeout: numberOption("timeout", ctx.values.timeout) })) {
      last = r;
      if (!isReady(r.state)) reporter.update(r.state, r.meta);
    }
  } finally {
    reporter.end();
  }
  return last!;
}

export const call: Command = {
  usage: "call TASK [ARGS...] [--kwargs JSON] [--queue Q] [--countdown S] [--priority N] [--wait [--timeout S]]",
  summary: "send a task (each ARG is JSON, or else a string); --wait shows its progress and prints its result",
  options: ["kwargs", "queue", "countdown", "priority", "wait", "timeout"],
  args: [1, Number.POSITIVE_INFINITY],
  async run(ctx) {
    const [name, ...rest] = ctx.args as [string, ...string[]];
    const { values } = ctx;
    const options: Record<string, unknown> = {};
    if (values.queue !== undefined) options.queue = values.queue;
    const countdown = numberOption("countdown", values.countdown);
    if (countdown !== undefined) options.countdown = countdown;
    const priority = numberOption("priority", values.priority, { integer: true });
    if (priority !== undefined) options.priority = priority;
    if (values.timeout !== undefined && !values.wait) throw new UsageError("--timeout needs --wait");
    const kwargs = kwargsOption(values.kwargs);
    const result = await ctx.client.send(name, {
      args: rest.map(argValue),
      ...(kwargs ? { kwargs } : {}),
      ...(Object.keys(options).length ? { options } : {}),
    });
    if (!values.wait) {
      ctx.io.out(ctx.json ? jsonText({ id: result.id, kind: "task" }) : `${result.id}\n`);
      return EXIT.ok;
    }
    if (!ctx.json) ctx.io.err.write(`${result.id}\n`);
    return printResult(ctx, await waitFor(ctx, result));
  },
};

export const result: Command = {
  usage: "result ID [--wait [--timeout S]]",
  summary: "print a task's result (its state and meta while it is not ready), or a group's members; --wait waits for it",
  options: ["wait", "timeout"],
  args: [1, 1],
  async run(ctx) {
    if (ctx.values.timeout !== undefined && !ctx.values.wait) throw new UsageError("--timeout needs --wait");
    const id = ctx.args[0]!;
    const r = ctx.client.result(id);
    const now = await r.fetch();
    // A group has no result of its own (its id reads PENDING): a PENDING id may be a group's.
    if (now.state === "PENDING") {
      const group = await readGroup(ctx, id, ctx.values.wait === true);
      if (group) return printGroup(ctx, group);
    }
    return printResult(ctx, ctx.values.wait ? await waitFor(ctx, r) : now);
  },
};

export const revoke: Command = {
  usage: "revoke ID [--terminate]",
  summary: "revoke a task (or every member of a group); --terminate also stops it if running",
  options: ["terminate"],
  args: [1, 1],
  async run(ctx) {
    const id = ctx.args[0]!;
    const state = await ctx.client.result(id).revoke(ctx.values.terminate ? { terminate: true } : {});
    ctx.io.out(ctx.json ? jsonText({ id, state }) : `${id} ${state}\n`);
    return EXIT.ok;
  },
};
