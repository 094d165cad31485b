import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", ["json", { outputFile: "test-results.json" }]],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file opens its own PGlite and its own PostgreSQL database; two at a time fit 2 cores.
    maxWorkers: 2,
  },
});
