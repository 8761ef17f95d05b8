/**
 * The commands, by name, and the help text drawn from them.
 */
import type { Command } from "./context.js";
import { deadLetters } from "./dead-letters.js";
import { events } from "./events.js";
import { inspect } from "./inspect.js";
import { pause, purge, resume } from "./queues.js";
import { call, result, revoke } from "./tasks.js";

/** Every command of `edgery`. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  call,
  result,
  revoke,
  inspect,
  purge,
  pause,
  resume,
  events,
  "dead-letters": deadLetters,
};

/** `edgery --help`. */
export function helpText(): string {
  const lines = [
    "edgery: send tasks to an edgery API and watch them.",
    "",
    "usage: edgery [--url URL] [--token TOKEN] [--json] COMMAND [ARGS...]",
    "",
    "commands:",
    ...Object.values(COMMANDS).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    "",
    "options:",
    "  --url URL      the API's base URL (default: $EDGERY_URL, else http://127.0.0.1:8787)",
    "  --token TOKEN  the API token (default: $EDGERY_TOKEN)",
    "  --json         machine-readable output",
    "  --             ends the options (for an argument that starts with '-')",
    "",
    "exit codes: 0 ok, 1 the task failed or the API answered an error, 2 usage error, 3 cannot connect",
  ];
  return `${lines.join("\n")}\n`;
}
