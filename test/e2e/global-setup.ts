/**
 * vitest globalSetup for the black-box e2e suite: starts `npm run dev` (wrangler dev) on a free
 * port with a fresh `--persist-to` directory, waits for `GET /v1/health`, provides the base URL
 * to the tests (`inject("baseUrl")`), and kills the whole process group on teardown.
 *
 * Set EDGERY_E2E_BASE_URL to run the suite against a server that is already running instead
 * (nothing is started or stopped then). EDGERY_E2E_LOG_LEVEL sets wrangler's --log-level
 * (default "warn"); the server's output goes to a log file under os.tmpdir(), whose path is
 * printed at start and included in every start-up error.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    /** Path of the dev server's log file ("" when EDGERY_E2E_BASE_URL is used). */
    serverLog: string;
  }
}

const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const HEALTH_TIMEOUT_MS = 60_000;

function freePort(): Promise<number> {
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

function logTail(path: string, chars = 4000): string {
  try {
    const text = readFileSync(path, "utf8");
    return text.length > chars ? "…" + text.slice(-chars) : text;
  } catch {
    return "(no log)";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DevServer {
  baseUrl: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts `npm run dev` in its own process group and resolves once /v1/health answers 200. */
export async function startDevServer(logLevel = "warn"): Promise<DevServer> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistDir = mkdtempSync(join(tmpdir(), "edgery-e2e-state-"));
  const logFile = join(tmpdir(), `edgery-e2e-wrangler-${port}.log`);
  const fd = openSync(logFile, "w");
  const args = [
    "run", "dev", "--",
    "--port", String(port),
    "--ip", "127.0.0.1",
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistDir,
    "--log-level", logLevel,
  ];
  const child: ChildProcess = spawn("npm", args, {
    cwd: REPO_ROOT,
    detached: true, // own process group: npm, sh, wrangler and workerd die together
    stdio: ["ignore", fd, fd],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", BROWSER: "none" },
  });
  closeSync(fd);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((r) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      r();
    }),
  );
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  // If vitest dies without running teardown, do not leave workerd behind.
  const onExit = () => killGroup("SIGKILL");
  process.once("exit", onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    killGroup("SIGTERM");
    await Promise.race([exitPromise, sleep(5000)]);
    // wrangler may exit before workerd; SIGKILL whatever is left in the group.
    killGroup("SIGKILL");
    rmSync(persistDir, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  process.stderr.write(`[e2e] starting wrangler dev on ${baseUrl} (log: ${logFile})\n`);
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let lastError = "";
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(
        `[e2e] dev server exited before it was healthy (${JSON.stringify(exited)}); log ${logFile}:\n${logTail(logFile)}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        process.stderr.write(`[e2e] dev server healthy on ${baseUrl}\n`);
        return { baseUrl, logFile, stop };
      }
      lastError = `health answered ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (e) {
      lastError = String((e as Error)?.message ?? e);
    }
    await sleep(250);
  }
  await stop();
  throw new Error(
    `[e2e] dev server not healthy after ${HEALTH_TIMEOUT_MS / 1000}s (last: ${lastError}); log ${logFile}:\n${logTail(logFile)}`,
  );
}

export default async function setup(project: TestProject) {
  const external = process.env.EDGERY_E2E_BASE_URL;
  if (external) {
    project.provide("baseUrl", external.replace(/\/+$/, ""));
    project.provide("serverLog", "");
    return;
  }
  const server = await startDevServer(process.env.EDGERY_E2E_LOG_LEVEL || "warn");
  project.provide("baseUrl", server.baseUrl);
  project.provide("serverLog", server.logFile);
  return async () => {
    await server.stop();
    process.stderr.write(`[e2e] dev server stopped (log kept: ${server.logFile})\n`);
  };
}
