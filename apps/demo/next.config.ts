import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

/**
 * The hardening every page and answer carries: no other site may frame the demo (its plan
 * buttons could be clicked through an invisible frame), scripts, styles and requests only from
 * itself (Next's inline bootstrap scripts and React's style attributes need 'unsafe-inline';
 * the dev server's refresh needs 'unsafe-eval'), no MIME sniffing, no full URL in the Referer
 * sent elsewhere. Cross-site posts are refused by `server.mjs`.
 */
const securityHeaders = (dev: boolean) => [
  {
    key: "Content-Security-Policy",
    value: [
      "default-src 'self'",
      `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
  },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
];

export default (phase: string): NextConfig => ({
  // Internal packages ship TypeScript sources; Next compiles them.
  transpilePackages: ["@usagekit/db", "@usagekit/usage-api", "@usagekit/react"],
  // Loaded by Node at run time, not bundled (PGlite finds its wasm and data files next to itself).
  serverExternalPackages: ["@electric-sql/pglite", "postgres"],
  typescript: { ignoreBuildErrors: false },
  poweredByHeader: false,
  headers: async () => [
    { source: "/:path*", headers: securityHeaders(phase === PHASE_DEVELOPMENT_SERVER) },
  ],
});
