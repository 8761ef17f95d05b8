// One wrangler config file → the Miniflare options of its Worker: the bindings exactly as
// wrangler dev derives them (wrangler's unstable_getMiniflareWorkerOptions: Durable Objects incl.
// cross-Worker ones, Queues, KV, D1, R2, services, vars with .dev.vars/.env), the code from
// `wrangler deploy --dry-run` (bundle.mjs), and what start-up needs to know (D1 migrations).
import { dirname, resolve } from "node:path";
import { unstable_getMiniflareWorkerOptions as getMiniflareWorkerOptions, unstable_readConfig as readConfig } from "wrangler";
import { bundleWorker } from "./bundle.mjs";

/**
 * @typedef {object} DevWorker
 * @property {string} name
 * @property {import("miniflare").WorkerOptions} options
 * @property {string[]} inputs  source files to watch
 * @property {{ binding: string, dir: string, table: string }[]} d1  databases with their migrations
 */

/**
 * Reads `configPath`, bundles its Worker into `outdir` and returns its Miniflare options.
 * @param {string} configPath
 * @param {{ vars: Record<string, string>, outdir: string, signal?: AbortSignal }} options  vars
 *   override the config's (--var); signal stops the bundler
 * @returns {Promise<DevWorker>}
 */
export async function loadWorker(configPath, { vars, outdir, signal }) {
  const config = readConfig({ config: configPath }, { hideWarnings: true });
  if (!config.name) throw new Error(`${configPath}: a Worker needs a name (service bindings and script_name refer to it)`);
  // ([define] and module rules were applied by `wrangler deploy` while bundling.)
  const { workerOptions } = getMiniflareWorkerOptions(config);
  const bundle = await bundleWorker(configPath, outdir, signal);
  const base = dirname(resolve(configPath));
  return {
    name: config.name,
    options: {
      ...workerOptions,
      name: config.name,
      modules: true,
      scriptPath: bundle.scriptPath,
      modulesRoot: dirname(bundle.scriptPath),
      bindings: { ...workerOptions.bindings, ...vars },
    },
    inputs: [resolve(configPath), ...bundle.inputs],
    d1: config.d1_databases.map((d) => ({
      binding: d.binding,
      dir: resolve(base, d.migrations_dir ?? "migrations"),
      table: d.migrations_table ?? "d1_migrations",
    })),
  };
}
