// Starts `npm run dev` for a test run or the bench: a free port, a fresh state directory, its
// own process group (npm, wrangler and workerd stop together), the log in a file; resolves once
// GET /v1/health answers 200. Used by test/e2e/global-setup.ts and bench/run.mjs.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const HEALTH_TIMEOUT_MS = 60_000;
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

/**
 * Starts the dev server.
 * @param {{ label: string, logLevel?: string, stateRoot?: string, cwd?: string, env?: Record<string, string>, log?: (line: string) => void }} options
 *   `cwd`: the project whose `npm run dev` to start (default: this repo); `env`: extra variables.
 * @returns {Promise<{ baseUrl: string, logFile: string, stop: () => Promise<void> }>}
 */
export async function startDevServer({ label, logLevel = "warn", stateRoot = tmpdir(), cwd = REPO_ROOT, env = {}, log = (l) => process.stderr.write(`[${label}] ${l}\n`) }) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistDir = mkdtempSync(join(stateRoot, `edgery-${label}-state-`));
  const logFile = join(tmpdir(), `edgery-${label}-wrangler-${port}.log`);
  const fd = openSync(logFile, "w");
  const args = ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--persist-to", persistDir, "--log-level", logLevel];
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
  // If the caller dies without stopping it, do not leave workerd behind.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    killGroup("SIGTERM");
    await Promise.race([exitPromise, sleep(5000)]);
    // wrangler may exit before workerd: SIGKILL whatever is left in the group.
    killGroup("SIGKILL");
    rmSync(persistDir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  log(`starting wrangler dev on ${baseUrl} (log: ${logFile})`);
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`[${label}] dev server exited before it was healthy (${JSON.stringify(exited)}); log ${logFile}:\n${logTail(logFile)}`);
    }
    try {
      const res = await fetch(`${baseUrl}/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        log(`dev server healthy on ${baseUrl}`);
        return { baseUrl, logFile, stop };
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
