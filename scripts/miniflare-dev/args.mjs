// The command line of scripts/miniflare-dev.mjs: wrangler dev's flags that the tests, the bench
// and people use (so that `npm run dev -- --port … --persist-to …` means the same under both
// servers), parsed into one plain object. Pure: no I/O.
import { parseArgs } from "node:util";

/** Log levels accepted by --log-level (wrangler's names). */
export const LOG_LEVELS = ["none", "error", "warn", "info", "log", "debug"];

/**
 * @typedef {object} DevArgs
 * @property {string[]} configs  wrangler config files, the first is the Worker served on the port
 * @property {number} port
 * @property {string} ip
 * @property {string} persistTo  state directory (Durable Objects, KV, D1, R2, Queues)
 * @property {string} logLevel   one of LOG_LEVELS
 * @property {number | undefined} inspectorPort  DevTools inspector, off when absent
 * @property {Record<string, string>} vars  --var KEY:VALUE, given to the first Worker only (as wrangler dev does)
 * @property {boolean} watch  rebuild and reload on change (--no-watch turns it off)
 * @property {boolean} viaEntry  serve the port through Miniflare's entry Worker (--via-entry): cron
 *   triggers and request logs on the same port, at about 0.3 ms more per request; else the
 *   Worker's own socket serves it and the entry Worker gets a port of its own
 */

const PORT_MAX = 65535;

function port(flag, text, { allowZero }) {
  if (!/^\d+$/.test(text)) throw new Error(`${flag}: not a port number: ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n > PORT_MAX || (n === 0 && !allowZero)) throw new Error(`${flag}: port out of range: ${text}`);
  return n;
}

/**
 * Parses the flags (argv without node and the script).
 * @param {string[]} argv
 * @returns {DevArgs}
 * @throws {Error} on an unknown flag, a stray argument or a malformed value
 */
export function parseDevArgs(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c", multiple: true },
      port: { type: "string" },
      ip: { type: "string" },
      "persist-to": { type: "string" },
      "log-level": { type: "string" },
      "inspector-port": { type: "string" },
      var: { type: "string", multiple: true },
      watch: { type: "boolean" },
      "no-watch": { type: "boolean" },
      "via-entry": { type: "boolean" },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument: ${JSON.stringify(positionals[0])}`);
  const logLevel = values["log-level"] ?? "log";
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`--log-level: one of ${LOG_LEVELS.join(", ")}, not ${JSON.stringify(logLevel)}`);
  /** @type {Record<string, string>} */
  const vars = {};
  for (const v of values.var ?? []) {
    const colon = v.indexOf(":");
    if (colon <= 0) throw new Error(`--var: KEY:VALUE expected, not ${JSON.stringify(v)}`);
    vars[v.slice(0, colon)] = v.slice(colon + 1);
  }
  const ip = values.ip ?? "127.0.0.1";
  if (ip === "") throw new Error("--ip: empty");
  const persistTo = values["persist-to"] ?? ".wrangler/state";
  if (persistTo === "") throw new Error("--persist-to: empty");
  return {
    configs: values.config?.length ? values.config : ["wrangler.toml"],
    port: port("--port", values.port ?? "8787", { allowZero: true }),
    ip,
    persistTo,
    logLevel,
    inspectorPort: values["inspector-port"] === undefined ? undefined : port("--inspector-port", values["inspector-port"], { allowZero: false }),
    vars,
    watch: !values["no-watch"],
    viaEntry: values["via-entry"] === true,
  };
}
