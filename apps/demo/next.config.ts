import type { NextConfig } from "next";

const config: NextConfig = {
  // Internal packages ship TypeScript sources; Next compiles them.
  transpilePackages: ["@usagekit/db", "@usagekit/usage-api", "@usagekit/react"],
  // Loaded by Node at run time, not bundled (PGlite finds its wasm and data files next to itself).
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
  typescript: { ignoreBuildErrors: false },
};

export default config;
