import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@usagekit/db", "@usagekit/usage-api", "@usagekit/react"],
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
};

export default config;
