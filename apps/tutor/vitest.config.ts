import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The production build (next start) on PGlite and on PostgreSQL, for every test file.
    globalSetup: ["test/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A page's refetch waits behind the server's work: more than vitest's one second on a
    // loaded machine.
    expect: { poll: { timeout: 10_000 } },
    reporters: ["default", ["json", { outputFile: "test-results.json" }]],
  },
});
