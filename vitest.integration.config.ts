// Integration tests in real workerd (Durable Objects, Queues, KV) through @cloudflare/vitest-plugin.
// Run: npx vitest run --config vitest.integration.config.ts
//
// Two projects over the same wrangler.toml:
// - "integration": the Durable Object level tests. The TASKS producer is pointed at a queue
//   nobody consumes and direct dispatch is off, so a lease the QueueDO hands out stays exactly as
//   dispatched and the test drives begin/settle/alarm (or the Worker's queue handler) itself: no
//   consumer races it.
// - "integration-live": the Worker as deployed, with the real Queue consumer delivering tasks.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// BILLING_TOKEN: the token the billing app gave this one (its `peer` scope), sent by the service broker.
const bindings = { EDGERY_DEV: "false", EDGERY_DEMO_TASKS: "true", EDGERY_TOKEN: "test-token", BILLING_TOKEN: "test-peer-token" };
const LIVE = ["test/integration/api.test.ts"];
const BROKERS = ["test/integration/brokers.test.ts"];
// wrangler.toml binds BILLING (the second app, apps/billing) for the `service` broker; workerd
// refuses to start with a binding to an undefined Worker, so every project gets this stand-in:
// an app's broker endpoint that records what it is sent (test/integration/billing-stub.js).
const workers = [{ name: "edgery-billing", modules: true, scriptPath: "./test/integration/billing-stub.js" }];

// test/integration/hostile.test.ts drops a queue's tables on purpose (a damaged queue must not
// fail revoke, listing or metrics); its Durable Object's own failures on those tables surface as
// unhandled errors in the pool. Only those are ignored: anything else still fails the run.
const DAMAGED_QUEUE = /no such table: (messages|revoked): SQLITE_ERROR/;

export default defineConfig({
  test: {
    onUnhandledError: (error) => !DAMAGED_QUEUE.test(String((error as { message?: unknown })?.message ?? error)),
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Direct dispatch off too: a lease stays as dispatched (test/integration/direct-dispatch.test.ts turns it on per queue).
            miniflare: { bindings: { ...bindings, EDGERY_DIRECT_DISPATCH: "0" }, workers, queueProducers: { TASKS: { queueName: "edgery-tasks-unconsumed" } } },
          }),
        ],
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], exclude: [...LIVE, ...BROKERS], testTimeout: 30_000 },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings, workers } })],
        test: { name: "integration-live", include: LIVE, testTimeout: 30_000 },
      },
      // The real brokers (QueueDO + Queue, the DIRECT Queue with its consumer, a service binding
      // to another Worker) through the shared conformance suite.
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings, workers } })],
        test: { name: "integration-brokers", include: BROKERS, testTimeout: 30_000 },
      },
    ],
  },
});
