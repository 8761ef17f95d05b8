/**
 * Queue commands: `purge`, `pause` and `resume`.
 */
import type { Command } from "./context.js";
import { EXIT } from "./errors.js";
import { jsonText } from "./output.js";

export const purge: Command = {
  usage: "purge QUEUE",
  summary: "drop a queue's waiting messages (delayed and running ones stay)",
  options: [],
  args: [1, 1],
  async run(ctx) {
    const queue = ctx.args[0]!;
    const purged = await ctx.client.purge(queue);
    ctx.io.out(ctx.json ? jsonText({ queue, purged }) : `purged ${purged} from ${queue}\n`);
    return EXIT.ok;
  },
};

function pausing(paused: boolean): Command {
  const verb = paused ? "pause" : "resume";
  return {
    usage: `${verb} QUEUE`,
    summary: paused ? "pause a queue: it keeps its messages but starts none" : "resume a paused queue",
    options: [],
    args: [1, 1],
    async run(ctx) {
      const stats = await ctx.client.setQueue(ctx.args[0]!, { paused });
      ctx.io.out(ctx.json ? jsonText(stats) : `${stats.name} ${stats.paused ? "paused" : "running"}\n`);
      return EXIT.ok;
    },
  };
}

export const pause = pausing(true);
export const resume = pausing(false);
