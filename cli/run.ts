/**
 * One run of `edgery`: reads the command line, builds the client (URL and token from the flags,
 * else `EDGERY_URL` / `EDGERY_TOKEN`), runs the command and turns any error into its exit code.
 */
import { createClient, type FetchLike } from "../client/index.js";
import { checkArgCount, checkOptions, readCommandLine } from "./command-line.js";
import { COMMANDS, helpText } from "./commands.js";
import type { Io } from "./context.js";
import { ConnectError, EXIT, UsageError, reportOf } from "./errors.js";
import { jsonText } from "./output.js";

/** The URL used when neither `--url` nor `EDGERY_URL` gives one: `npm run dev`'s. */
export const DEFAULT_URL = "http://127.0.0.1:8787";

/** `fetch`, with a failure to connect (not an abort) as a {@link ConnectError}. */
const connectingFetch: FetchLike = async (url, init) => {
  try {
    return await globalThis.fetch(url, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ConnectError(url, err);
  }
};

function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url: '${raw}' is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url: '${raw}' is not an http(s) URL`);
  return raw;
}

/** Runs `edgery` with `argv` (no `node` and script); resolves to the exit code. */
export async function run(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: Io): Promise<number> {
  // `--json`: an error is printed as JSON on stdout, where the answer would have been.
  let json = false;
  try {
    const line = readCommandLine(argv);
    json = line.values.json === true;
    if (line.values.help || line.command === undefined || line.command === "help") {
      (line.command === undefined && !line.values.help ? io.err.write : io.out)(helpText());
      return line.command === undefined && !line.values.help ? EXIT.usage : EXIT.ok;
    }
    const command = COMMANDS[line.command];
    if (!command) throw new UsageError(`unknown command '${line.command}'`);
    checkOptions(line.command, line.values, command.options);
    checkArgCount(line.command, line.args, command.args[0], command.args[1], command.usage.split(" ").slice(1).join(" "));
    const token = line.values.token ?? env.EDGERY_TOKEN;
    const url = baseUrl(line.values.url ?? (env.EDGERY_URL || DEFAULT_URL));
    const client = createClient({ url, ...(token ? { token } : {}), fetch: connectingFetch });
    return await command.run({ client, args: line.args, values: line.values, json, io });
  } catch (err) {
    const report = reportOf(err);
    if (json) io.out(jsonText(report.json));
    else io.err.write(`${report.message}\n`);
    return report.code;
  }
}
