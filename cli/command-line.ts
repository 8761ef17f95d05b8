/**
 * The command line: `edgery [global options] COMMAND [ARGS...] [options]`, read with
 * `node:util` parseArgs. Options may come anywhere; each command accepts only its own (and the
 * global ones); `--` ends the options (for an argument that starts with `-`).
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";

/** Every option any command takes. */
const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  kwargs: { type: "string" },
  queue: { type: "string", short: "Q" },
  countdown: { type: "string" },
  priority: { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  terminate: { type: "boolean" },
  task: { type: "string", multiple: true },
  state: { type: "string", multiple: true },
  event: { type: "string", multiple: true },
  id: { type: "string", multiple: true },
  limit: { type: "string" },
} as const;

/** The parsed option values. */
export type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]["type"] extends "boolean" ? boolean : string;
};

/** Options every command takes. */
export const GLOBAL_OPTIONS: ReadonlyArray<keyof Values> = ["url", "token", "json", "help"];

/** A command line read: the command, its arguments and its options. */
export interface CommandLine {
  command: string | undefined;
  args: string[];
  values: Values;
}

/** Reads argv (without `node` and the script). @throws UsageError for an unknown or malformed option. */
export function readCommandLine(argv: readonly string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [command, ...args] = parsed.positionals;
  return { command, args, values: parsed.values as Values };
}

/** @throws UsageError when an option was given that the command does not take. */
export function checkOptions(command: string, values: Values, allowed: ReadonlyArray<keyof Values>): void {
  for (const key of Object.keys(values) as Array<keyof Values>) {
    if (values[key] !== undefined && !GLOBAL_OPTIONS.includes(key) && !allowed.includes(key)) throw new UsageError(`'${command}' takes no --${key} option`);
  }
}

/** @throws UsageError unless there are `min` to `max` arguments. */
export function checkArgCount(command: string, args: readonly string[], min: number, max: number, what: string): void {
  if (args.length < min || args.length > max) throw new UsageError(`usage: edgery ${command} ${what}`);
}

/** A number option (`--timeout 5`), or undefined when absent. @throws UsageError when it is not a number in range. */
export function numberOption(name: string, raw: string | undefined, { min = 0, integer = false }: { min?: number; integer?: boolean } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: '${raw}' is not ${integer ? "an integer" : "a number"} >= ${min}`);
  }
  return n;
}

/** A task argument: JSON when it parses (`2`, `"x"`, `[1,2]`, `true`), else the text itself. */
export function argValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** `--kwargs` as an object. @throws UsageError when it is not a JSON object. */
export function kwargsOption(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new UsageError(`--kwargs: not JSON: ${raw}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UsageError(`--kwargs: must be a JSON object, got ${raw}`);
  return v as Record<string, unknown>;
}
