/**
 * vitest globalSetup for the black-box e2e suite: starts `npm run dev` (Miniflare directly) on a
 * free port with a fresh `--persist-to` directory, waits for `GET /v1/health`, provides the base
 * URL to the tests (`inject("baseUrl")`), and kills the whole process group on teardown.
 * EDGERY_DEV_SERVER=wrangler runs the suite against `npm run dev:wrangler` (wrangler dev) instead.
 *
 * Set EDGERY_E2E_BASE_URL to run the suite against a server that is already running instead
 * (nothing is started or stopped then). EDGERY_E2E_LOG_LEVEL sets the server's --log-level
 * (default "warn"); the server's output goes to a log file under os.tmpdir(), whose path is
 * printed at start and included in every start-up error.
 */
import type { TestProject } from "vitest/node";
import { startDevServer } from "../../scripts/dev-server.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    /** Path of the dev server's log file ("" when EDGERY_E2E_BASE_URL is used). */
    serverLog: string;
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.EDGERY_E2E_BASE_URL;
  if (external) {
    project.provide("baseUrl", external.replace(/\/+$/, ""));
    project.provide("serverLog", "");
    return;
  }
  const server = await startDevServer({ label: "e2e", logLevel: process.env.EDGERY_E2E_LOG_LEVEL || "warn" });
  project.provide("baseUrl", server.baseUrl);
  project.provide("serverLog", server.logFile);
  return async () => {
    await server.stop();
    process.stderr.write(`[e2e] dev server stopped (log kept: ${server.logFile})\n`);
  };
}
