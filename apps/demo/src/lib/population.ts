import type { TierName } from "@usagekit/usage-api";
import { seededRandom } from "@usagekit/usage-api/random";

/**
 * The generated learners of the demo: some thousands of people over a year, across time zones
 * and plans, with habits an app owner would recognise — most practise a little and leave, some
 * keep a rhythm, a few practise every day; some upgrade, a few go pro, some cancel. Everything is
 * a pure function of the learner's number and the day, so a seed cut short resumes exactly and
 * a run on another day builds the same population.
 */

/** Days of history the population covers before the day the demo first started. */
export const POPULATION_DAYS = 365;
const DAY = 86_400_000;

const timezones = [
  "UTC",
  "Europe/Berlin",
  "Europe/London",
  "Europe/Madrid",
  "America/New_York",
  "America/Los_Angeles",
  "America/Sao_Paulo",
  "Asia/Tokyo",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Australia/Sydney",
  "Africa/Lagos",
] as const;

type Habit = "casual" | "regular" | "power";

export interface GeneratedLearner {
  id: string;
  timezone: string;
  habit: Habit;
  /** The day (from the population's first day) the learner signs up. */
  signupDay: number;
  /** From this day on the learner no longer practises (null: stays). */
  churnDay: number | null;
  /** Plan changes in day order; the first is on the signup day. */
  plan: { day: number; tier: TierName }[];
  /** Chance of practising on an ordinary day. */
  activity: number;
  /** Session length in minutes, least and most. */
  minutes: [number, number];
  /** Phase of the learner's motivation cycle: streaks come and go. */
  phase: number;
}

const pick = <T>(random: () => number, items: readonly T[]) =>
  items[Math.floor(random() * items.length)]!;
const between = (random: () => number, least: number, most: number) =>
  least + Math.floor(random() * (most - least + 1));

export const generatedId = (index: number) => `learner-${String(index + 1).padStart(5, "0")}`;
/** "Learner 42" for a generated id, or null when the id is not one. */
export const generatedName = (id: string) => {
  const match = /^learner-(\d{5})$/.exec(id);
  return match ? `Learner ${Number(match[1])}` : null;
};

/** The learner number `index` of the population: the same every run. */
export function generatedLearner(index: number): GeneratedLearner {
  const random = seededRandom(0x5eed + index * 7919);
  const r = random();
  const habit: Habit = r < 0.55 ? "casual" : r < 0.85 ? "regular" : "power";
  // More learners join lately than a year ago: the app is growing.
  const signupDay = Math.floor(POPULATION_DAYS * Math.sqrt(random()));
  const churn = { casual: [0.6, 3, 60], regular: [0.3, 20, 150], power: [0.1, 60, 300] } as const;
  const [churnChance, soonest, latest] = churn[habit];
  const churnDay = random() < churnChance ? signupDay + between(random, soonest, latest) : null;
  const upgradeChance = { casual: 0.05, regular: 0.3, power: 0.6 }[habit];
  const plan: GeneratedLearner["plan"] = [
    { day: signupDay, tier: habit !== "casual" && random() < 0.1 ? "plus" : "free" },
  ];
  if (plan[0]!.tier === "free" && random() < upgradeChance)
    plan.push({ day: signupDay + between(random, 5, 60), tier: "plus" });
  if (plan.at(-1)!.tier === "plus" && habit === "power" && random() < 0.5)
    plan.push({ day: plan.at(-1)!.day + between(random, 30, 120), tier: "pro" });
  // A paying learner who stops practising cancels a little later.
  if (churnDay !== null && plan.at(-1)!.tier !== "free")
    plan.push({ day: Math.max(churnDay, plan.at(-1)!.day) + between(random, 3, 20), tier: "free" });
  const [least, most] = ({ casual: [0.08, 0.25], regular: [0.3, 0.5], power: [0.6, 0.9] } as const)[
    habit
  ];
  const minutes = { casual: [3, 12], regular: [8, 25], power: [15, 50] }[habit] as [number, number];
  return {
    id: generatedId(index),
    timezone: pick(random, timezones),
    habit,
    signupDay,
    churnDay,
    plan,
    activity: least + random() * (most - least),
    minutes,
    phase: random() * 30,
  };
}

/** The learner's plan on `day`. */
export const tierOn = (learner: GeneratedLearner, day: number): TierName =>
  learner.plan.findLast((p) => p.day <= day)?.tier ?? "free";

export interface GeneratedEvent {
  idempotencyKey: string;
  occurredAt: Date;
  amounts: {
    conversations?: number;
    seconds?: number;
    realtimeSessions?: number;
    completedSessions?: number;
    ankiExports?: number;
    customPhrases?: number;
    advancedVoiceSeconds?: number;
    sessionExtensions?: number;
  };
}

/**
 * What the learner does on `day` (which starts at `dayStart`): nothing, or one conversation and
 * perhaps an export, phrases, advanced voice or an extension — each its own event. Paying
 * learners practise a little more; motivation rises and falls over a few weeks (streaks).
 */
export function eventsOn(
  learner: GeneratedLearner,
  day: number,
  dayStart: number,
): GeneratedEvent[] {
  if (day < learner.signupDay || (learner.churnDay !== null && day >= learner.churnDay)) return [];
  const random = seededRandom(learner.signupDay * 104_729 + day * 31 + Number(learner.id.slice(8)));
  const tier = tierOn(learner, day);
  const motivation = 1 + 0.6 * Math.sin((2 * Math.PI * (day + learner.phase)) / 21);
  const chance = day === learner.signupDay ? 1 : learner.activity * motivation;
  if (random() >= Math.min(0.97, tier === "free" ? chance : chance * 1.2)) return [];
  const at = dayStart + Math.floor(random() * (DAY - 3_600_000));
  const [least, most] = learner.minutes;
  const events: GeneratedEvent[] = [];
  const add = (amounts: GeneratedEvent["amounts"]) =>
    events.push({
      idempotencyKey: `population-${day}-${events.length}`,
      occurredAt: new Date(at + events.length * 60_000),
      amounts,
    });
  const completed = random() < 0.85;
  add({
    conversations: 1,
    realtimeSessions: 1,
    completedSessions: completed ? 1 : 0,
    seconds: between(random, least, most) * 60,
  });
  if (random() < 0.12) add({ ankiExports: 1 });
  if (random() < 0.25) add({ customPhrases: between(random, 1, 3) });
  if (random() < (tier === "free" ? 0.04 : 0.3))
    add({ advancedVoiceSeconds: between(random, 60, 600) });
  if (random() < 0.08) add({ sessionExtensions: 1 });
  return events;
}

/** The plan the learner pays for on `day` (every 30 days on a paid plan), or null. */
export function paymentOn(learner: GeneratedLearner, day: number): TierName | null {
  const current = learner.plan.findLast((p) => p.day <= day);
  if (!current || current.tier === "free") return null;
  return (day - current.day) % 30 === 0 ? current.tier : null;
}
