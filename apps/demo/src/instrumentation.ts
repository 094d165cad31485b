/**
 * Next calls this once at boot. Next replaces NEXT_RUNTIME at build time, so the edge build
 * drops the Node-only import (the documented pattern; the app's settings are in env.ts).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./server/warm-up");
}
