/**
 * `events`: the live task-event feed, filtered, one line per event, until Ctrl-C, `--limit`
 * events or `--timeout` seconds. A feed that drops once it was open is opened again (the client's
 * `reconnect`, said on stderr); a server that cannot be reached at the start still fails at once.
 */
import type { TaskEvent } from "../client/index.js";
import { numberOption } from "./command-line.js";
import type { Command } from "./context.js";
import { EXIT } from "./errors.js";
import { cell } from "./output.js";

/** One event as a text line: time, event, task, id, state, then the value, error or meta. Pure. */
export function eventLine(e: TaskEvent, now: Date): string {
  const d = e.data;
  const detail = d.state === "SUCCESS" ? cell(d.result) : d.error ? `${d.error.type}: ${d.error.message}` : d.meta !== null && d.meta !== undefined ? cell(d.meta) : "";
  return `${now.toISOString()} ${e.event} ${d.task ?? "-"} ${d.id} ${d.state}${detail ? ` ${detail}` : ""}`;
}

export const events: Command = {
  usage: "events [--task T]... [--state S]... [--event E]... [--id ID]... [--limit N] [--timeout S]",
  summary: "tail the live task events (--task takes globs: 'demo.*'); --json prints one JSON object a line",
  options: ["task", "state", "event", "id", "limit", "timeout"],
  args: [0, 0],
  async run(ctx) {
    const { values, io } = ctx;
    const limit = numberOption("limit", values.limit, { min: 1, integer: true });
    const timeout = numberOption("timeout", values.timeout);
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    io.signal.addEventListener("abort", onInterrupt);
    const timer = timeout === undefined ? undefined : setTimeout(() => stop.abort(), timeout * 1000);
    let seen = 0;
    let opened = false;
    try {
      const feed = ctx.client.events({
        ...(values.task ? { task: values.task } : {}),
        ...(values.state ? { state: values.state.map((s) => s.toUpperCase()) } : {}),
        ...(values.event ? { event: values.event } : {}),
        ...(values.id ? { id: values.id } : {}),
        signal: stop.signal,
        reconnect: true,
        onOpen: () => {
          opened = true;
          io.err.write("listening for events (Ctrl-C to stop)\n");
        },
        onReconnect: (_attempt, delayMs, cause) => {
          // Never open: the server is not there (or refuses); fail as every other command does.
          if (!opened) throw cause;
          io.err.write(`event feed ${cause === null ? "ended" : "lost"}; opening it again in ${delayMs / 1000} s (events meanwhile are not replayed)\n`);
        },
      });
      for await (const e of feed) {
        io.out(ctx.json ? `${JSON.stringify(e)}\n` : `${eventLine(e, new Date())}\n`);
        if (limit !== undefined && ++seen >= limit) break;
      }
    } finally {
      clearTimeout(timer);
      io.signal.removeEventListener("abort", onInterrupt);
    }
    return EXIT.ok;
  },
};
