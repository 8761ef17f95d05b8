#!/usr/bin/env node
/**
 * The `edgery` command (the package's bin, built to dist/cli.js): `edgery --help`.
 */
import { run } from "./run.js";

const interrupt = new AbortController();
// Ctrl-C ends a command that runs until stopped (events) cleanly, with its exit code; any other
// command (a wait) is ended as a shell ends it, with 130, unless it finished meanwhile.
process.once("SIGINT", () => {
  interrupt.abort();
  setTimeout(() => process.exit(130), 1000).unref();
  process.once("SIGINT", () => process.exit(130));
});

const code = await run(process.argv.slice(2), process.env, {
  out: (text) => void process.stdout.write(text),
  err: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
  signal: interrupt.signal,
});
process.exitCode = code;
// Nothing is left to wait for once the command answered (an aborted stream's socket may linger).
process.stdout.write("", () => process.exit(code));
