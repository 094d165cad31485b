import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One production server (next start on a fresh embedded database) for every test file.
    globalSetup: ["test/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // A page's refetch after an action waits behind the server's work: a second was too short
    // for a loaded machine (a refund's list refetched late while a bench ran beside the suite).
    expect: { poll: { timeout: 10_000 } },
    // VITEST_JSON names the report of an extra run (CI: the demo at pinned dates).
    reporters: [
      "default",
      ["json", { outputFile: process.env.VITEST_JSON ?? "test-results.json" }],
    ],
  },
});
