// The published package, installed into a scratch project as a user would (test/package/).
// Run: npx vitest run --config vitest.package.config.ts
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/package/**/*.test.ts"], environment: "node", fileParallelism: false },
});
