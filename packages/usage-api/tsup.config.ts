import { defineConfig } from "tsup";

// The package a host installs: JavaScript and bundled type declarations in dist/, one file per
// export (the workspace itself imports src/ directly). Dependencies stay external.
export default defineConfig({
  entry: {
    index: "src/index.ts",
    server: "src/transport/server.ts",
    tiers: "src/limits/tiers.ts",
    random: "src/random.ts",
    client: "src/transport/client.ts",
    limits: "src/limits/rule.ts",
  },
  format: "esm",
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
});
