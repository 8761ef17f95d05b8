/**
 * edgery's layer rules, checked in `npm test` (`npm run lint:deps`).
 *
 * Each layer may import only the layers below it (and itself). The order, bottom first, is the
 * one ARCHITECTURE.md draws. No import circles, type-only imports included. The one loop allowed:
 * `src/runtime/env.ts` names the Durable Object classes in its binding types
 * (`DurableObjectNamespace<QueueDO>`), while every Durable Object reads its `Env` type.
 */
const LAYERS = [
  ["src/protocol/"],
  ["src/canvas/", "src/schedule/", "src/metrics/", "src/events/", "src/dead-letters/", "src/dashboard/"],
  ["src/app/"],
  ["src/runtime/"],
  ["src/brokers/"],
  ["src/apply/"],
  ["src/results/"],
  ["src/worker/"],
  ["src/http/"],
  ["durable-objects/"],
  ["src/index\\.ts$", "src/demo/"],
];
const ENV_TYPES = "^src/runtime/env\\.ts$";
const re = (prefixes) => `^(${prefixes.map((p) => p.replace(/\//g, "\\/")).join("|")})`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${i}-imports-up`,
  comment: `${layer.join(", ")} may import only the layers below it`,
  severity: "error",
  from: { path: re(layer), pathNot: ENV_TYPES },
  to: { path: re(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import circles, type-only ones included (the Env type's loop with the Durable Objects aside).",
      severity: "error",
      from: {},
      to: { circular: true, viaNot: ENV_TYPES },
    },
    ...layerRules,
    {
      name: "client-imports-protocol-only",
      comment: "The client needs only the wire protocol and fetch.",
      severity: "error",
      from: { path: "^client/" },
      to: { path: "^(src|durable-objects)/", pathNot: "^src/protocol/" },
    },
    {
      name: "client-without-parsers",
      comment: "The client imports no dependency (a producer bundles to a few KB): src/protocol/shared.ts, never the zod parsers.",
      severity: "error",
      from: { path: "^client/" },
      to: { path: "^(node_modules/|src/protocol/(index|parse-signature)\\.ts$)" },
    },
    {
      name: "cli-imports-client-only",
      comment: "The CLI is built on the client: it imports client/ and src/protocol/shared.ts (and Node's own modules), nothing else of edgery.",
      severity: "error",
      from: { path: "^cli/" },
      to: { path: "^(src|durable-objects|node_modules)/", pathNot: "^src/protocol/shared\\.ts$" },
    },
    {
      name: "client-imports-no-cli",
      comment: "The client is a library: it never imports the command line built on it.",
      severity: "error",
      from: { path: "^client/" },
      to: { path: "^cli/" },
    },
    {
      name: "unlayered-folder",
      comment: "Every source folder has a place in LAYERS.",
      severity: "error",
      from: { path: "^(src|durable-objects)/", pathNot: re(LAYERS.flat()) },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|test|bench|examples|apps|scripts)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
