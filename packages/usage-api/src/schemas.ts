import { z } from "zod";
import { features, tierNames } from "./tiers";

const MAX_INT32 = 2_147_483_647;

export const userIdSchema = z.uuid({ message: "userId must be a uuid" });
export const tierSchema = z.enum(tierNames, {
  message: `tier must be one of ${tierNames.join(", ")}`,
});
export const featureSchema = z.enum(features, {
  message: `feature must be one of ${features.join(", ")}`,
});

/** An IANA time zone name, checked against the ICU time-zone database. */
export const timezoneSchema = z.string().refine(
  (name) => {
    if (name.length === 0 || name.length > 64) return false;
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: name });
      return true;
    } catch {
      return false;
    }
  },
  { message: "timezone must be an IANA time zone name such as Europe/Berlin" },
);

const idempotencyKeySchema = z
  .string()
  .min(1, "idempotencyKey must not be empty")
  .max(200, "idempotencyKey must be at most 200 characters");

/**
 * A Date (superjson) or an ISO-8601 string with an offset. How far in the future it may be is
 * checked by the service against its clock (see `assertNotFuture`).
 */
const instantSchema = (field: string) =>
  z
    .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))], {
      message: `${field} must be a date`,
    })
    .refine((d) => !Number.isNaN(d.getTime()), { message: `${field} must be a valid date` });

const amountSchema = z
  .number()
  .int("must be an integer")
  .min(0, "must be >= 0")
  .max(MAX_INT32, "must fit in a 32-bit integer");

const amountShape = Object.fromEntries(features.map((f) => [f, amountSchema.optional()])) as {
  [K in (typeof features)[number]]: z.ZodOptional<typeof amountSchema>;
};

export const recordUsageInput = z
  .strictObject({
    userId: userIdSchema.optional(),
    idempotencyKey: idempotencyKeySchema.optional(),
    occurredAt: instantSchema("occurredAt").optional(),
    enforceLimits: z.boolean().optional(),
    ...amountShape,
  })
  .refine((input) => features.some((f) => (input[f] ?? 0) > 0), {
    message: `at least one of ${features.join(", ")} must be > 0`,
    path: ["amounts"],
  });
export type RecordUsageInput = z.infer<typeof recordUsageInput>;

export const canUseFeatureInput = z.strictObject({
  userId: userIdSchema.optional(),
  feature: featureSchema,
  amount: amountSchema.min(1, "must be >= 1").default(1),
});
export type CanUseFeatureInput = z.infer<typeof canUseFeatureInput>;

export const userInput = z.strictObject({ userId: userIdSchema.optional() });

export const usageHistoryInput = z.strictObject({
  userId: userIdSchema.optional(),
  months: z.number().int("must be an integer").min(1).max(120).default(12),
});

export const setUserPlanInput = z.strictObject({
  userId: userIdSchema,
  tier: tierSchema,
  timezone: timezoneSchema.optional(),
});
export type SetUserPlanInput = z.infer<typeof setUserPlanInput>;

export const recordPaymentInput = z.strictObject({
  userId: userIdSchema,
  tier: tierSchema,
  amount: z
    .string({ message: 'amount must be a decimal string such as "9.99"' })
    .regex(
      /^\d{1,10}(\.\d{1,2})?$/,
      'amount must be a decimal string with at most 2 decimals, e.g. "9.99"',
    )
    .refine((s) => /[1-9]/.test(s), { message: "amount must be > 0" }),
  paidAt: instantSchema("paidAt"),
  idempotencyKey: idempotencyKeySchema,
});
export type RecordPaymentInput = z.infer<typeof recordPaymentInput>;

const monthSchema = z
  .string({ message: "month must be a YYYY-MM string" })
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "month must be YYYY-MM, e.g. 2026-11");
const listLimit = z.number().int().min(1).max(1000).default(100);

export const monthInput = z.strictObject({ month: monthSchema });
export const monthListInput = z.strictObject({ month: monthSchema, limit: listLimit });
export const userSegmentsInput = z
  .strictObject({
    month: monthSchema,
    /** Seconds in the month from which a user is a power user (default 10 hours). */
    powerSeconds: z
      .number()
      .int()
      .positive()
      .default(10 * 3600),
    /** Seconds in the month from which a user is a regular (default 1 hour). */
    regularSeconds: z.number().int().positive().default(3600),
  })
  .refine((i) => i.regularSeconds < i.powerSeconds, {
    message: "regularSeconds must be below powerSeconds",
    path: ["regularSeconds"],
  });
export const retentionInput = z.strictObject({
  fromMonth: monthSchema,
  months: z.number().int("months must be an integer").min(1).max(36),
});
