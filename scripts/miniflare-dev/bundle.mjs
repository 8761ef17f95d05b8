// Bundles one Worker exactly as `wrangler deploy` would (its esbuild settings, the unenv polyfills
// of nodejs_compat, module rules), by running `wrangler deploy --dry-run --outdir`: what runs
// locally is what deploys. Wrangler's bundler has no programmatic API, hence the child process.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";

const WRANGLER_BIN = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

/**
 * @typedef {object} Bundle
 * @property {string} scriptPath  the bundled entry module (absolute)
 * @property {string[]} inputs    absolute paths of the project's own source files in the bundle (not node_modules)
 */

/**
 * Bundles the Worker of `configPath` into `outdir` (replacing what was there).
 * @param {string} configPath
 * @param {string} outdir  absolute
 * @param {AbortSignal} [signal]  kills wrangler (on shutdown during a build)
 * @returns {Promise<Bundle>}
 * @throws {Error} with wrangler's output when the build fails
 */
export async function bundleWorker(configPath, outdir, signal) {
  const metafile = join(outdir, "meta.json");
  const args = [WRANGLER_BIN, "deploy", "--dry-run", "--outdir", outdir, "--metafile", metafile, "-c", configPath];
  const output = await new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "pipe"],
      signal,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    child.on("error", fail);
    child.on("close", (code) => (code === 0 ? ok(text) : fail(new Error(`bundling ${configPath} failed (wrangler exit ${code}):\n${text}`))));
  });
  let meta;
  try {
    meta = JSON.parse(readFileSync(metafile, "utf8"));
  } catch (e) {
    throw new Error(`bundling ${configPath}: no esbuild metafile (${e.message}):\n${output}`);
  }
  // esbuild's paths are relative to the config file's directory, where wrangler runs it.
  const base = dirname(resolve(configPath));
  const entry = Object.entries(meta.outputs).find(([, o]) => o.entryPoint !== undefined);
  if (!entry) throw new Error(`bundling ${configPath}: no entry point in the metafile`);
  const inputs = Object.keys(meta.inputs)
    .map((p) => resolve(base, p))
    .filter((p) => !p.split(sep).includes("node_modules"));
  return { scriptPath: resolve(base, entry[0]), inputs };
}
