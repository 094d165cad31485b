import { defineConfig } from "tsup";

// The package a host installs: JavaScript and bundled type declarations in dist/ (JSX compiled
// for React's automatic runtime, as tsconfig.json says: no host bundler needs to know about it).
export default defineConfig({
  entry: ["src/index.ts"],
  format: "esm",
  target: "es2022",
  dts: true,
  clean: true,
  sourcemap: true,
});
