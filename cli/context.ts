/**
 * What a command runs with: the client, its arguments and options, and where it writes.
 */
import type { EdgeryClient } from "../client/index.js";
import type { Values } from "./command-line.js";
import type { ProgressOut } from "./progress.js";

/** The process's streams and signal, passed in (so the commands never touch `process`). */
export interface Io {
  /** Writes to stdout. */
  out(text: string): void;
  /** stderr (progress, errors), and whether it is a terminal. */
  err: ProgressOut;
  /** Aborted on Ctrl-C: a command that runs until stopped (`events`) ends cleanly. */
  signal: AbortSignal;
}

/** One command's run. */
export interface CommandContext {
  client: EdgeryClient;
  args: string[];
  values: Values;
  /** `--json`: machine-readable output on stdout. */
  json: boolean;
  io: Io;
}

/** A command: its usage line, what it does, the options it takes, how many arguments, and its run (the exit code). */
export interface Command {
  usage: string;
  summary: string;
  options: ReadonlyArray<keyof Values>;
  args: readonly [min: number, max: number];
  run(ctx: CommandContext): Promise<number>;
}
