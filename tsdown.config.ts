/**
 * The package build (`npm run build`, also run by `npm pack`/`npm publish`): ESM JavaScript and
 * bundled `.d.ts` in dist/ for the two entries of package.json's `exports`.
 * - `edgery` (dist/index.js): the server; hono and zod stay dependencies, `cloudflare:*` is the
 *   Workers runtime's own.
 * - `edgery/client` (dist/client.js): the client; it imports no dependency at all, so that it
 *   runs as it is in Node, Bun, Deno, browsers and Workers.
 * - the `edgery` bin (dist/cli.js): the command line, on the client; Node only (`node:util`),
 *   its shebang kept.
 */
import { defineConfig } from "tsdown";

export default defineConfig({
  entry: { index: "src/index.ts", client: "client/index.ts", cli: "cli/main.ts" },
  format: "esm",
  platform: "neutral",
  target: "es2022",
  tsconfig: "tsconfig.build.json",
  dts: true,
  sourcemap: false,
  clean: true,
  deps: { neverBundle: [/^cloudflare:/, /^node:/] },
});
