import "server-only";

export interface SeedStatus {
  /** `learners`: the named learners' year; `population`: the generated learners, day by day. */
  phase: "learners" | "population" | "ready" | "failed";
  /** Days of the population written so far, of `days`. */
  day: number;
  days: number;
  learners: number;
  events: number;
}

const globalForSeed = globalThis as unknown as { usagekitDemoSeed?: SeedStatus };

/** How far the demo data is (one per process; kept on globalThis like the database). */
export const seedStatus = (): SeedStatus =>
  (globalForSeed.usagekitDemoSeed ??= {
    phase: "learners",
    day: 0,
    days: 0,
    learners: 0,
    events: 0,
  });
