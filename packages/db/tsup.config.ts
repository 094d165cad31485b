import { defineConfig } from "tsup";

// The package a host installs: JavaScript and bundled type declarations in dist/, one file per
// export (the workspace itself imports src/ directly). Dependencies stay external.
export default defineConfig({
  entry: ["src/index.ts", "src/catalog.ts", "src/schema.ts", "src/tiers.ts", "src/cli.ts"],
  format: "esm",
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
});
