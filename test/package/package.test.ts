/**
 * The published package as a user gets it: `npm pack` (which builds dist/), the tarball installed
 * into an empty scratch project (dependencies from npm's cache, else the registry), then
 * - the project's own strict tsconfig type-checks a Worker with the user's typed tasks (a copy
 *   of examples/my-app), a producer Worker typed by its task map, and the mistakes a typed
 *   producer must not compile, against the shipped .d.ts;
 * - `wrangler dev` serves that Worker from node_modules/edgery;
 * - a Node script (compiled by tsc under the same strict settings) sends a task through
 *   `edgery/client` and reads its result, and sees a bad argument refused at its path;
 * - the producer Worker bundles small (esbuild, minified).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer } from "../../scripts/dev-server.mjs";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixture", import.meta.url));
const TSC = join(REPO, "node_modules/typescript/bin/tsc");
/** The budget of a producer that imports only `edgery/client`: 25 KB minified. */
const PRODUCER_BUDGET_BYTES = 25_000;

const exec = promisify(execFile);

/** Runs a command; on failure the error carries its output. */
async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

let scratch = "";
let packed: { filename: string; files: Array<{ path: string }> };
/** `wrangler dev` of the scratch project, started once it is installed (it boots while tsc runs). */
let server: ReturnType<typeof startDevServer> | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "edgery-package-"));
  // npm pack runs the prepack script: the build.
  const out = await run("npm", ["pack", "--json", "--pack-destination", scratch], REPO);
  // The build's own log comes first (and may hold "[" too, e.g. tsdown's "[tsdown]" lines under
  // CI=true): npm's JSON is the array that starts on a line of its own.
  const json = out.search(/^\[\s*$/m);
  if (json < 0) throw new Error(`npm pack printed no JSON:\n${out.slice(-2000)}`);
  packed = (JSON.parse(out.slice(json)) as (typeof packed)[])[0]!;

  cpSync(join(REPO, "examples/my-app/src"), join(scratch, "src"), { recursive: true });
  cpSync(join(REPO, "examples/my-app/wrangler.toml"), join(scratch, "wrangler.toml"));
  cpSync(FIXTURE, scratch, { recursive: true });
  const pkg = {
    name: "scratch-edgery-user",
    private: true,
    type: "module",
    scripts: { dev: "wrangler dev --var EDGERY_DEV:true --show-interactive-dev-session=false" },
    dependencies: { edgery: `file:./${packed.filename}`, zod: "^4.6.7" },
  };
  writeFileSync(join(scratch, "package.json"), JSON.stringify(pkg, null, 2));
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], scratch);
  // The tools come from this repo (no second download): the type packages a user would install.
  for (const types of ["@cloudflare/workers-types", "@types/node"]) {
    mkdirSync(join(scratch, "node_modules", types, ".."), { recursive: true });
    symlinkSync(join(REPO, "node_modules", types), join(scratch, "node_modules", types), "dir");
  }
  server = startDevServer({ label: "package", cwd: scratch, env: { PATH: `${join(REPO, "node_modules/.bin")}:${process.env.PATH ?? ""}` } });
  // A failed start is reported by the test that awaits it.
  server.catch(() => undefined);
}, 240_000);

afterAll(async () => {
  await (await server?.catch(() => undefined))?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("ships dist/, the dev server (bin edgery-dev), the license and the README, and no tests, bench or sources", () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toContain("dist/index.js");
    expect(paths).toContain("dist/index.d.ts");
    expect(paths).toContain("dist/client.js");
    expect(paths).toContain("dist/client.d.ts");
    expect(paths).toContain("dist/cli.js");
    expect(paths).toContain("LICENSE");
    expect(paths).toContain("scripts/miniflare-dev.mjs");
    expect(paths.filter((p) => !/^(dist\/[^/]+\.(js|d\.ts)|scripts\/miniflare-dev(\.mjs|\/[^/]+\.mjs)|LICENSE|README\.md|package\.json)$/.test(p))).toEqual([]);
  });

  it("defines each task error class once, in a chunk both entries import, so instanceof holds across edgery and edgery/client", () => {
    const dist = join(scratch, "node_modules/edgery/dist");
    const js = readdirSync(dist).filter((f) => f.endsWith(".js") && f !== "cli.js");
    for (const name of ["TaskFailedError", "SoftTimeLimitExceeded", "TimeLimitExceeded", "ChordError", "TaskRevokedError", "MaxRetriesExceededError", "NotRegistered"]) {
      const definition = new RegExp(`\\b(class ${name}\\b|${name} = class\\b)`);
      const defining = js.filter((f) => definition.test(readFileSync(join(dist, f), "utf8")));
      expect(defining, name).toHaveLength(1);
      const chunk = `./${defining[0]}`;
      for (const entry of ["index.js", "client.js"]) expect(readFileSync(join(dist, entry), "utf8"), `${entry} imports ${name} from ${chunk}`).toContain(`from "${chunk}"`);
    }
  });

  it("declares @cloudflare/workers-types as an optional peer dependency: the Worker entry's types need it", () => {
    // dist/index.d.ts names the Workers runtime's types (DurableObjectState, DurableObjectNamespace,
    // KVNamespace, ExportedHandler, `cloudflare:workers`), so every project that type-checks it
    // needs them: the Worker, and a producer that imports the app's `Tasks` type, which compiles
    // the app's module and so `edgery`'s entry (unless skipLibCheck). edgery/client needs none.
    const pkg = JSON.parse(readFileSync(join(scratch, "node_modules/edgery/package.json"), "utf8")) as Record<string, Record<string, unknown> | undefined>;
    expect(pkg.peerDependencies?.["@cloudflare/workers-types"]).toMatch(/^\^4\./);
    expect(pkg.peerDependenciesMeta?.["@cloudflare/workers-types"]).toEqual({ optional: true });
    expect(pkg.dependencies?.["@cloudflare/workers-types"]).toBeUndefined();
  });

  it("type-checks the user's Workers and Node script under a strict tsconfig, skipLibCheck off", async () => {
    await Promise.all(["tsconfig.worker.json", "tsconfig.node.json"].map((config) => run(process.execPath, [TSC, "-p", config], scratch)));
  }, 120_000);

  it("serves the user's tasks with wrangler dev, and a Node script sends one through edgery/client", async () => {
    const { baseUrl } = await server!;
    const line = await run(process.execPath, ["out/client.js"], scratch, { EDGERY_URL: baseUrl });
    expect(JSON.parse(line)).toEqual({
      ok: true,
      value: { sent: "ada@example.com", template: "welcome" },
      unknownTask: "422 unknown_task task",
      badArgument: "422 invalid_signature args.0",
    });
  }, 120_000);

  it("installs the edgery bin, which reads the user's Worker through the API", async () => {
    const { baseUrl } = await server!;
    const bin = join(scratch, "node_modules/.bin/edgery");
    expect(await run(bin, ["--help"], scratch)).toMatch(/^usage: edgery /m);
    const registered = JSON.parse(await run(bin, ["inspect", "registered", "--json"], scratch, { EDGERY_URL: baseUrl, EDGERY_TOKEN: "dev-token" }));
    expect(registered).toContainEqual({ name: "emails.send", defaults: expect.objectContaining({ queue: "email", acks_late: true, max_retries: 5 }) });
  }, 120_000);

  it(`bundles a producer Worker that imports only edgery/client to at most ${PRODUCER_BUDGET_BYTES} bytes`, async () => {
    const result = await build({
      entryPoints: [join(scratch, "src/producer.ts")],
      absWorkingDir: scratch,
      bundle: true,
      minify: true,
      format: "esm",
      platform: "neutral",
      write: false,
      logLevel: "silent",
    });
    const bytes = result.outputFiles[0]!.contents.byteLength;
    expect(bytes).toBeLessThanOrEqual(PRODUCER_BUDGET_BYTES);
  });
});
