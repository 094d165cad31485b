import "server-only";
import { env } from "~/env";

const bootedAt = Date.now();
const offset = env.DEMO_NOW ? Date.parse(env.DEMO_NOW) - bootedAt : 0;

/** The demo's clock: the system clock, or one that started at DEMO_NOW when the demo booted. */
export const now = () => new Date(Date.now() + offset);
