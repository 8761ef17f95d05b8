// Starts `npm run dev` (Miniflare directly, scripts/miniflare-dev.mjs) or, with
// EDGERY_DEV_SERVER=wrangler, `npm run dev:wrangler` (wrangler dev) for a test run or the bench:
// a free port, a fresh state directory, its own process group (npm, node and workerd stop
// together), the log in a file; resolves once GET /v1/health answers 200. Used by
// test/e2e/global-setup.ts and bench/run.mjs.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
// Start-up bundles two Workers with wrangler before workerd starts: on a loaded 2-core machine
// that alone took 25-45 s.
const HEALTH_TIMEOUT_MS = 120_000;
/** How long a stopped server may take to exit before it is killed. */
const STOP_GRACE_MS = 5000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? ok(port) : fail(new Error("no free port"))));
    });
  });
}

/** The end of a log file (for error messages). */
export function logTail(path, chars = 4000) {
  try {
    const text = readFileSync(path, "utf8");
    return text.length > chars ? "…" + text.slice(-chars) : text;
  } catch {
    return "(no log)";
  }
}

/** The npm scripts of the two dev servers, by EDGERY_DEV_SERVER. */
const SERVERS = { miniflare: "dev", wrangler: "dev:wrangler" };

/**
 * Which dev server EDGERY_DEV_SERVER names ("miniflare", the default, or "wrangler").
 * @returns {"miniflare" | "wrangler"}
 */
export function devServerKind() {
  const kind = process.env.EDGERY_DEV_SERVER || "miniflare";
  if (!(kind in SERVERS)) throw new Error(`EDGERY_DEV_SERVER: one of ${Object.keys(SERVERS).join(", ")}, not ${JSON.stringify(kind)}`);
  return /** @type {"miniflare" | "wrangler"} */ (kind);
}

/**
 * Starts the dev server (the one devServerKind() names).
 * `persistDir` reuses a state directory (a restart after a crash, as the fault harness does): it
 * is then kept on `stop`, and `kill` stops the server at once (SIGKILL, no clean shutdown) while
 * keeping its state. `port` asks for a given port (a restarted server answers on the same URL).
 * `vars` adds `--var NAME:value` pairs (e.g. the harness's EDGERY_CHAOS_DUPLICATE).
 * `cwd`: the project whose `npm run dev` to start (default: this repo); `env`: extra variables;
 * `script`: another npm script taking the same options (e.g. `dev:capacity`) instead of the dev server's;
 * `flags`: more of its flags (e.g. `--via-entry`).
 * @param {{ label: string, logLevel?: string, stateRoot?: string, persistDir?: string, port?: number, vars?: Record<string, string>, cwd?: string, env?: Record<string, string>, script?: string, flags?: string[], log?: (line: string) => void }} options
 * @returns {Promise<{ baseUrl: string, port: number, persistDir: string, logFile: string, stop: () => Promise<void>, kill: () => Promise<void> }>}
 */
export async function startDevServer({ label, logLevel = "warn", stateRoot = tmpdir(), persistDir: reuse, port: wantedPort, vars = {}, cwd = REPO_ROOT, env = {}, script, flags = [], log = (l) => process.stderr.write(`[${label}] ${l}\n`) }) {
  const kind = devServerKind();
  const port = wantedPort ?? (await freePort());
  const persistDir = reuse ?? mkdtempSync(join(stateRoot, `edgery-${label}-state-`));
  const logFile = join(tmpdir(), `edgery-${label}-${kind}-${port}-${Date.now()}.log`);
  const fd = openSync(logFile, "w");
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const args = ["run", script ?? SERVERS[kind], "--", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistDir, "--log-level", logLevel, ...varArgs, ...flags];
  // wrangler dev always opens an inspector (9229 by default, which parallel runs would share);
  // under Miniflare it is off unless asked for, and nothing here uses it.
  if (kind === "wrangler") args.push("--inspector-port", String(await freePort()));
  const child = spawn("npm", args, {
    cwd,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", BROWSER: "none", ...env },
  });
  closeSync(fd);
  let exited = null;
  const exitPromise = new Promise((r) => child.once("exit", (code, signal) => ((exited = { code, signal }), r())));
  const killGroup = (signal) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const groupAlive = () => {
    if (child.pid === undefined) return false;
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // If the caller dies without stopping it, do not leave workerd behind.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    killGroup("SIGTERM");
    // npm exits at once on SIGTERM; the server's own clean-up (its build directory) runs a moment
    // later: wait until the whole group is gone, then SIGKILL whatever is left (workerd).
    const deadline = Date.now() + STOP_GRACE_MS;
    while (groupAlive() && Date.now() < deadline) await sleep(50);
    killGroup("SIGKILL");
    if (!reuse) rmSync(persistDir, { recursive: true, force: true });
  };
  /** A crash: SIGKILL to the whole group now; the state directory stays. */
  const kill = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    killGroup("SIGKILL");
    await Promise.race([exitPromise, sleep(5000)]);
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  // Miniflare answers on the port before scripts/miniflare-dev.mjs has applied the D1 migrations
  // (through Miniflare's proxy connection). Load sent in that window made workerd close the proxy's
  // connection, and the dev server died of it ("fetch failed: other side closed"): wait for its
  // ready line too, when it is this repo's script and its log level prints the line.
  const readyLine = kind === "miniflare" && cwd === REPO_ROOT && !["none", "error"].includes(logLevel) ? "[dev] ready on" : null;
  log(`starting npm run ${script ?? SERVERS[kind]} on ${baseUrl} (log: ${logFile})`);
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`[${label}] dev server exited before it was healthy (${JSON.stringify(exited)}); log ${logFile}:\n${logTail(logFile)}`);
    }
    try {
      const res = await fetch(`${baseUrl}/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200 && readyLine && !readFileSync(logFile, "utf8").includes(readyLine)) {
        last = "health answered 200, the ready line is not logged yet";
      } else if (res.status === 200) {
        log(`dev server healthy on ${baseUrl}`);
        return { baseUrl, port, persistDir, logFile, stop, kill };
      }
      last = `health answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (e) {
      last = String(e?.message ?? e);
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`[${label}] dev server not healthy after ${HEALTH_TIMEOUT_MS / 1000}s (last: ${last}); log ${logFile}:\n${logTail(logFile)}`);
}
