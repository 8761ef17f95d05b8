// Black-box e2e suite: starts `npm run dev` once (test/e2e/global-setup.ts) and runs the
// contract tests against it over HTTP. Run: npx vitest run --config vitest.e2e.config.ts
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 60000,
    hookTimeout: 90000,
    fileParallelism: false,
  },
});
