#!/usr/bin/env node
// `npm run dev`: serves the Workers of one or more wrangler config files through Miniflare
// directly: no wrangler proxy Worker in the request path (wrangler dev puts one in front of the
// user Worker; here a request goes straight to it). Bindings come from wrangler.toml as wrangler
// dev derives them, the code from `wrangler deploy --dry-run`. The first config's Worker is
// served; the others are reachable through service and Durable Object bindings, as with
// `wrangler dev -c a -c b`.
//
//   node scripts/miniflare-dev.mjs [-c wrangler.toml]... [--port 8787] [--ip 127.0.0.1]
//        [--persist-to .wrangler/state] [--log-level none|error|warn|info|log|debug]
//        [--inspector-port N] [--var KEY:VALUE]... [--no-watch] [--via-entry]
//
// The port is the first Worker's own workerd socket, as a deployed Worker is reached: no
// Miniflare entry Worker in the request path (it costs about 0.3 ms of CPU a request here).
// Miniflare's entry Worker, which runs cron triggers, listens on a port of its own, printed at
// start; --via-entry serves the port through it instead, as Miniflare does (and logs requests).
//
// At start it applies the D1 migrations of each d1_databases entry (migrations_dir). It
// rebuilds and reloads when a source file of a bundle or a config changes; state (--persist-to,
// laid out as wrangler dev's, under v3/) survives reloads and restarts. Cron triggers run on
// GET /cdn-cgi/handler/scheduled?cron=… on the entry Worker's port. SIGINT/SIGTERM stop it (exit
// 130/143): Miniflare's own exit hook stops workerd, ours stops a running build and removes it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { parseDevArgs } from "./miniflare-dev/args.mjs";
import { applyD1Migrations } from "./miniflare-dev/d1-migrations.mjs";
import { watchFiles } from "./miniflare-dev/watch.mjs";
import { loadWorker } from "./miniflare-dev/workers.mjs";

/** Quiet time after the last change before a rebuild. */
const DEBOUNCE_MS = 200;
const MINIFLARE_LEVEL = { none: LogLevel.NONE, error: LogLevel.ERROR, warn: LogLevel.WARN, info: LogLevel.INFO, log: LogLevel.INFO, debug: LogLevel.DEBUG };

let args;
try {
  args = parseDevArgs(process.argv.slice(2));
} catch (e) {
  console.error(`miniflare-dev: ${e.message}`);
  process.exit(2);
}
const say = (line) => args.logLevel !== "none" && args.logLevel !== "error" && console.error(`[dev] ${line}`);
const buildRoot = mkdtempSync(join(tmpdir(), "edgery-dev-build-"));
const shutdown = new AbortController();
let watcher = null;
// Synchronous, so that it also runs when Miniflare's signal hook calls process.exit().
process.on("exit", () => {
  watcher?.close();
  shutdown.abort();
  rmSync(buildRoot, { recursive: true, force: true });
});
// Before Miniflare exists (the first build) a signal would otherwise kill without "exit".
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

/** Bundles every Worker (in parallel); --var goes to the first one, as with wrangler dev. */
const build = () => Promise.all(args.configs.map((c, i) => loadWorker(c, { vars: i === 0 ? args.vars : {}, outdir: join(buildRoot, String(i)), signal: shutdown.signal })));

/**
 * @param {Awaited<ReturnType<typeof build>>} workers
 * @param {{ port: number, entryPort: number }} ports  the served port and the entry Worker's (the same with --via-entry)
 */
const miniflareOptions = (workers, ports) => ({
  host: args.ip,
  port: ports.entryPort,
  inspectorPort: args.inspectorPort,
  defaultPersistRoot: join(resolve(args.persistTo), "v3"),
  log: new Log(MINIFLARE_LEVEL[args.logLevel]),
  // Miniflare's entry Worker logs the requests it serves: with --via-entry, the API's. Else it
  // would log only the cron triggers' (and print a "Ready on" line naming its own port).
  logRequests: args.viaEntry && (args.logLevel === "info" || args.logLevel === "log" || args.logLevel === "debug"),
  unsafeTriggerHandlers: true,
  workers: workers.map((w, i) => (i === 0 && !args.viaEntry ? { ...w.options, unsafeDirectSockets: [{ host: args.ip, port: ports.port }] } : w.options)),
});

let t0 = performance.now();
let workers;
try {
  workers = await build();
} catch (e) {
  console.error(`miniflare-dev: ${e.message}`);
  process.exit(1);
}
say(`bundled ${workers.map((w) => w.name).join(", ")} in ${(performance.now() - t0).toFixed(0)} ms`);
const mf = new Miniflare(miniflareOptions(workers, { port: args.port, entryPort: args.viaEntry ? args.port : 0 }));
const entryUrl = await mf.ready;
const url = args.viaEntry ? entryUrl : await mf.unsafeGetDirectURL(workers[0].name);
// A reload keeps the ports, also when --port 0 chose one.
const ports = { port: Number(url.port), entryPort: Number(entryUrl.port) };

/**
 * How often the D1 migrations are tried. They go through Miniflare's proxy connection, which
 * workerd closed under load (a restart on a state with thousands of queued tasks): "fetch failed:
 * other side closed", and the dev server died of it. A try is safe to repeat: each migration is
 * recorded in the same batch that applies it, and a recorded one is skipped.
 */
const MIGRATION_ATTEMPTS = 5;
for (const w of workers) {
  for (const d of w.d1) {
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await applyD1Migrations(await mf.getD1Database(d.binding, w.name), d.dir, d.table);
        if (applied.length) say(`${w.name}: D1 ${d.binding}: applied ${applied.join(", ")}`);
        break;
      } catch (e) {
        if (attempt >= MIGRATION_ATTEMPTS) throw e;
        console.error(`[dev] ${w.name}: D1 ${d.binding}: migrations failed (${e?.cause?.message ?? e?.message ?? e}); trying again (${attempt} of ${MIGRATION_ATTEMPTS})`);
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  }
}
const entryNote = args.viaEntry ? "" : `; cron triggers on ${entryUrl.origin}`;
say(`ready on ${url.origin} (${workers.map((w) => w.name).join(" + ")}; state in ${args.persistTo}${entryNote})`);

let building = false;
let again = false;
/** Rebuilds and reloads; a change during a build runs one more build after it. */
async function reload() {
  if (building) return void (again = true);
  building = true;
  do {
    again = false;
    t0 = performance.now();
    try {
      const next = await build();
      await mf.setOptions(miniflareOptions(next, ports));
      workers = next;
      watcher?.update(workers.flatMap((w) => w.inputs));
      say(`reloaded in ${(performance.now() - t0).toFixed(0)} ms`);
    } catch (e) {
      console.error(`[dev] rebuild failed, still serving the previous build: ${e.message}`);
    }
  } while (again);
  building = false;
}

if (args.watch) {
  watcher = watchFiles(() => void reload(), DEBOUNCE_MS);
  watcher.update(workers.flatMap((w) => w.inputs));
}
