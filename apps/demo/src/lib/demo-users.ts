import type { TierName } from "@usagekit/usage-api";

export interface DemoUser {
  id: string;
  /** Learners use the app; the admin (app owner) sees Insights with the service role. */
  role: "learner" | "admin";
  name: string;
  blurb: string;
  timezone: string;
  /** Plan changes, in days after the start of the history. */
  plan: { afterDays: number; tier: TierName }[];
  historyDays: number;
  /** Chance of practising on a day; the last `streakDays` days are all active. */
  activity: number;
  streakDays: number;
  sessionMinutes: [number, number];
}

/** The people you can sign in as. The admin's requests carry the service role (analytics). */
export const demoUsers: DemoUser[] = [
  {
    id: "0d3a1c52-0000-4000-8000-00000000a001",
    role: "learner",
    name: "Ana",
    blurb: "Free plan · Berlin · practises a few evenings a week",
    timezone: "Europe/Berlin",
    plan: [{ afterDays: 0, tier: "free" }],
    historyDays: 150,
    activity: 0.3,
    streakDays: 2,
    sessionMinutes: [3, 6],
  },
  {
    id: "0d3a1c52-0000-4000-8000-00000000b002",
    role: "learner",
    name: "Ben",
    blurb: "Plus since the spring · New York · on a 3-week streak",
    timezone: "America/New_York",
    plan: [
      { afterDays: 0, tier: "free" },
      { afterDays: 90, tier: "plus" },
    ],
    historyDays: 330,
    activity: 0.55,
    streakDays: 21,
    sessionMinutes: [20, 45],
  },
  {
    id: "0d3a1c52-0000-4000-8000-00000000c003",
    role: "learner",
    name: "Chiara",
    blurb: "Pro power user · Tokyo · practises almost every day",
    timezone: "Asia/Tokyo",
    plan: [
      { afterDays: 0, tier: "plus" },
      { afterDays: 60, tier: "pro" },
    ],
    historyDays: 360,
    activity: 0.85,
    streakDays: 45,
    sessionMinutes: [20, 60],
  },
  {
    id: "0d3a1c52-0000-4000-8000-00000000d004",
    role: "learner",
    name: "Dev",
    blurb: "Free plan · UTC · signed up today",
    timezone: "UTC",
    plan: [{ afterDays: 0, tier: "free" }],
    historyDays: 0,
    activity: 0,
    streakDays: 0,
    sessionMinutes: [5, 10],
  },
  {
    id: "0d3a1c52-0000-4000-8000-00000000e005",
    role: "admin",
    name: "Olivia",
    blurb: "App owner · sees Insights across all learners (service role)",
    timezone: "UTC",
    plan: [],
    historyDays: 0,
    activity: 0,
    streakDays: 0,
    sessionMinutes: [0, 0],
  },
];

export const learners = demoUsers.filter((u) => u.role === "learner");

export const findDemoUser = (id: string | null | undefined) => demoUsers.find((u) => u.id === id);
