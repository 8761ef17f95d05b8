/**
 * The dev server's ports (scripts/miniflare-dev.mjs). `npm run dev` serves the API on the
 * Worker's own workerd socket, as a deployed Worker is reached, with no Miniflare entry Worker in
 * a request's path; the entry Worker, which runs cron triggers, listens on a port of its own that
 * the ready line names. `--via-entry` puts the entry Worker back in front of the API's port.
 * Miniflare dev server only (wrangler dev has its own front).
 */
import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { devServerKind, startDevServer } from "../../scripts/dev-server.mjs";
import { api, baseUrl } from "./helpers";

const ownServer = devServerKind() === "miniflare" && !process.env.EDGERY_E2E_BASE_URL;
const CRON = `/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`;

describe.runIf(ownServer)("npm run dev: the API's port and the entry Worker's", () => {
  it("serves the API on the Worker's own socket and runs cron triggers on the port the ready line names", async () => {
    const log = readFileSync(inject("serverLog"), "utf8");
    const ready = /\[dev\] ready on (http:\/\/\S+) \(.*; cron triggers on (http:\/\/[\d.]+:\d+)\)/.exec(log);
    expect(ready, log).not.toBeNull();
    const [, served, entry] = ready!;
    expect(served).toBe(baseUrl());
    expect(entry).not.toBe(baseUrl());
    // The entry Worker runs the Worker's scheduled handler ...
    const cron = await fetch(entry + CRON);
    expect(cron.status).toBe(200);
    expect(await cron.text()).toBe("ok");
    // ... and forwards any other request to the Worker.
    expect((await fetch(`${entry}/v1/health`)).status).toBe(200);
    // On the API's port nothing stands in between: the Worker answers the entry Worker's path itself.
    const direct = await api("GET", CRON);
    expect(direct.status).toBe(404);
    expect(direct.json?.error?.code).toBe("not_found");
  });

  it("--via-entry serves the API and the cron triggers on one port, and names no other", async () => {
    const server = await startDevServer({ label: "via-entry", flags: ["--via-entry"] });
    try {
      const health = await fetch(`${server.baseUrl}/v1/health`);
      expect(health.status).toBe(200);
      const cron = await fetch(server.baseUrl + CRON);
      expect(cron.status).toBe(200);
      expect(await cron.text()).toBe("ok");
      const log = readFileSync(server.logFile, "utf8");
      expect(log).toContain(`[dev] ready on ${server.baseUrl} (`);
      expect(log).not.toContain("cron triggers on");
    } finally {
      await server.stop();
    }
  }, 180_000);
});
