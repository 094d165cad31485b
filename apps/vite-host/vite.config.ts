import { defineConfig } from "vite";

// The browser app: index.html and src/client, built into dist/client (the server serves it).
export default defineConfig({
  build: { outDir: "dist/client" },
});
