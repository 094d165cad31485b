import "server-only";
import { env } from "~/env";

/**
 * When this process started. Not `Date.now()` at this module's first import: Next instantiates a
 * module once per bundle that uses it (a route handler's, a page's), each at its first request, so
 * such clocks disagreed by as long as the pages waited for their first visit — and a page refused
 * the sessions a route handler had just signed as issued in its future.
 */
const bootedAt = performance.timeOrigin;
const offset = env.DEMO_NOW ? Date.parse(env.DEMO_NOW) - bootedAt : 0;

/** The demo's clock: the system clock, or one that started at DEMO_NOW when the demo booted. */
export const now = () => new Date(Date.now() + offset);
