import { usageRouter } from "@usagekit/usage-api";
import { lessonsRouter } from "./routers/lessons";
import { router } from "./trpc";

/** The host's router: its own `lessons`, and usagekit's procedures mounted under `usage`. */
export const appRouter = router({ lessons: lessonsRouter, usage: usageRouter });
export type AppRouter = typeof appRouter;
