import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { defaultModel, perModel } from "./catalog/model";
import type { Model } from "./catalog/model";

const MAX_INT32 = 2_147_483_647;

/** C0 and C1 control characters (NUL included): never part of an id, key or name. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Half of a UTF-16 pair without its other half: not storable as UTF-8 text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A string of `min`–`max` characters without control characters. */
const plainString = (field: string, min: number, max: number) =>
  z
    .string({ message: `${field} must be a string` })
    .min(
      min,
      min === 1 ? `${field} must not be empty` : `${field} must be at least ${min} characters`,
    )
    .max(max, `${field} must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), { message: `${field} must not contain control characters` })
    .refine((s) => !LONE_SURROGATE.test(s), { message: `${field} must be valid Unicode text` });

/** The host app's own user id: any 1–128 characters without control characters. */
export const userIdSchema = plainString("userId", 1, 128);

/** Throws a message naming `userId` when the id a host passes to a context is not valid. */
export function assertUserId(userId: unknown): asserts userId is string {
  const result = userIdSchema.safeParse(userId);
  if (!result.success) {
    // BAD_REQUEST: thrown while a host builds its context, it answers 400 naming the id.
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `userId: invalid user id ${JSON.stringify(userId)}: ${result.error.issues[0]!.message}`,
    });
  }
}

/**
 * An IANA time zone name. Which names are valid is decided by the database's own zone data (the
 * service checks it there and stores the canonical name); this only bounds the string.
 */
export const timezoneSchema = plainString("timezone", 1, 64);

const idempotencyKeySchema = plainString("idempotencyKey", 1, 200);

/** Instants that are in the years 1–9999 in every time zone (UTC−12 to UTC+14). */
const MIN_INSTANT = Date.parse("0001-01-01T12:00:00Z");
const MAX_INSTANT = Date.parse("9999-12-31T10:00:00Z");

/**
 * A Date (superjson) or an ISO-8601 string with an offset, in years 1–9999 (in every time zone).
 * How far in the future it may be is checked by the service against its clock.
 */
const instantSchema = (field: string) =>
  z
    .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))], {
      message: `${field} must be a date`,
    })
    .refine((d) => !Number.isNaN(d.getTime()), { message: `${field} must be a valid date` })
    .refine((d) => d.getTime() >= MIN_INSTANT && d.getTime() <= MAX_INSTANT, {
      message: `${field} must be in the years 1 to 9999`,
    });

const paymentAmountSchema = z
  .string({ message: 'amount must be a decimal string such as "9.99"' })
  .regex(
    /^\d{1,8}(\.\d{1,2})?$/,
    'amount must be a decimal string of at most 99999999.99 with at most 2 decimals, e.g. "9.99"',
  )
  .refine((s) => /[1-9]/.test(s), { message: "amount must be > 0" });

const amountSchema = z
  .number()
  .int("must be an integer")
  .min(0, "must be >= 0")
  .max(MAX_INT32, "must fit in a 32-bit integer");

/** The inputs that name a catalog's features or tiers, for one catalog. */
function buildCatalogSchemas({ features, tierNames }: Model) {
  const amountShape = Object.fromEntries(features.map((f) => [f, amountSchema.optional()])) as {
    [K in (typeof features)[number]]: z.ZodOptional<typeof amountSchema>;
  };
  const eventShape = {
    idempotencyKey: idempotencyKeySchema.optional(),
    occurredAt: instantSchema("occurredAt").optional(),
    enforceLimits: z.boolean().optional(),
    ...amountShape,
  };
  const hasAmount = (input: Partial<Record<(typeof features)[number], number>>) =>
    features.some((f) => (input[f] ?? 0) > 0);
  const amountRequired = {
    message: `at least one of ${features.join(", ")} must be > 0`,
    path: ["amounts"],
  };
  const tierSchema = z.enum(tierNames as [string, ...string[]], {
    message: `tier must be one of ${tierNames.join(", ")}`,
  }) as unknown as z.ZodEnum<{ [K in (typeof tierNames)[number]]: K }>;
  const featureSchema = z.enum(features as [string, ...string[]], {
    message: `feature must be one of ${features.join(", ")}`,
  }) as unknown as z.ZodEnum<{ [K in (typeof features)[number]]: K }>;
  return {
    tierSchema,
    featureSchema,
    recordUsageInput: z
      .strictObject({ userId: userIdSchema.optional(), ...eventShape })
      .refine(hasAmount, amountRequired),
    /** One event of a batch: a `recordUsage` input that names its user. */
    batchEventSchema: z
      .strictObject({ userId: userIdSchema, ...eventShape })
      .refine(hasAmount, amountRequired),
    canUseFeatureInput: z.strictObject({
      userId: userIdSchema.optional(),
      feature: featureSchema,
      amount: amountSchema.min(1, "must be >= 1").default(1),
    }),
    setUserPlanInput: z.strictObject({
      userId: userIdSchema,
      tier: tierSchema,
      timezone: timezoneSchema.optional(),
    }),
    recordPaymentInput: z.strictObject({
      userId: userIdSchema,
      tier: tierSchema,
      amount: paymentAmountSchema,
      paidAt: instantSchema("paidAt"),
      idempotencyKey: idempotencyKeySchema,
      /** A subscription (default) pays a month of the tier; a top-up pays for grants. */
      kind: z
        .enum(["subscription", "topUp"], { message: 'kind must be "subscription" or "topUp"' })
        .default("subscription"),
    }),
    grantUsageInput: z.strictObject({
      userId: userIdSchema,
      idempotencyKey: idempotencyKeySchema,
      feature: featureSchema,
      amount: amountSchema.min(1, "must be >= 1"),
      expiresAt: instantSchema("expiresAt").optional(),
      reason: plainString("reason", 1, 500),
    }),
    reserveUsageInput: z
      .strictObject({
        userId: userIdSchema,
        idempotencyKey: idempotencyKeySchema,
        expiresInSeconds: holdSeconds,
        ...amountShape,
      })
      .refine(hasAmount, amountRequired),
    /** More held and/or a later expiry: an amount > 0 or `expiresInSeconds`. */
    extendReservationInput: z
      .strictObject({
        reservationId: reservationIdSchema,
        idempotencyKey: idempotencyKeySchema,
        expiresInSeconds: holdSeconds.optional(),
        ...amountShape,
      })
      .refine((i) => hasAmount(i) || i.expiresInSeconds !== undefined, {
        message: `at least one of ${features.join(", ")} must be > 0, or expiresInSeconds given`,
        path: ["amounts"],
      }),
    settleReservationInput: z
      .strictObject({ reservationId: reservationIdSchema, ...amountShape })
      .refine(hasAmount, amountRequired),
    correctUsageInput: z
      .strictObject({
        userId: userIdSchema,
        idempotencyKey: idempotencyKeySchema,
        correctsKey: plainString("correctsKey", 1, 200),
        reason: plainString("reason", 1, 500),
        ...amountShape,
      })
      .refine(hasAmount, amountRequired),
  };
}

/** A reservation's id, as `reserveUsage` answered it. */
const reservationIdSchema = z.uuid({
  message: "reservationId must be a reservation's id (a UUID)",
});
/** How long a hold lives: 1 second to a day. */
const holdSeconds = z
  .number({ message: "expiresInSeconds must be a number" })
  .int("expiresInSeconds must be an integer")
  .min(1, "expiresInSeconds must be >= 1")
  .max(86_400, "expiresInSeconds must be <= 86400 (a day)");

export const releaseReservationInput = z.strictObject({ reservationId: reservationIdSchema });

export type CatalogSchemas = ReturnType<typeof buildCatalogSchemas>;

/** The schemas of a catalog's model (built once per catalog). */
export const catalogSchemas = perModel(buildCatalogSchemas);

/** The default catalog's inputs (each host catalog has its own: `catalogSchemas`). */
export const {
  tierSchema,
  featureSchema,
  recordUsageInput,
  batchEventSchema,
  canUseFeatureInput,
  setUserPlanInput,
  recordPaymentInput,
  reserveUsageInput,
  extendReservationInput,
  settleReservationInput,
  correctUsageInput,
  grantUsageInput,
} = catalogSchemas(defaultModel);
export type RecordUsageInput = z.infer<typeof recordUsageInput>;
export type BatchEvent = z.infer<typeof batchEventSchema>;
export type CanUseFeatureInput = z.infer<typeof canUseFeatureInput>;
export type SetUserPlanInput = z.infer<typeof setUserPlanInput>;
export type RecordPaymentInput = z.infer<typeof recordPaymentInput>;
export type GrantUsageInput = z.infer<typeof grantUsageInput>;

export const MAX_BATCH_EVENTS = 1000;
/**
 * A batch: 1–1,000 events. Each is validated on its own (an invalid one is reported in its
 * result and does not stop the others), so the list itself only has to be a list.
 */
export const recordUsageBatchInput = z.strictObject({
  events: z
    .array(z.unknown())
    .min(1, "events: at least one event")
    .max(MAX_BATCH_EVENTS, `events: at most ${MAX_BATCH_EVENTS} events`),
});

export const userInput = z.strictObject({ userId: userIdSchema.optional() });
export const eraseUserInput = z.strictObject({ userId: userIdSchema });

export const usageHistoryInput = z.strictObject({
  userId: userIdSchema.optional(),
  months: z.number().int("must be an integer").min(1).max(120).default(12),
});

export const listAlertsInput = z.strictObject({
  userId: userIdSchema.optional(),
  /** Only the alerts raised at or after this instant. */
  since: instantSchema("since").optional(),
});

const monthSchema = z
  .string({ message: "month must be a YYYY-MM string" })
  .regex(/^[1-9]\d{3}-(0[1-9]|1[0-2])$/, "month must be YYYY-MM (years 1000–9999), e.g. 2026-11");
const listLimit = z.number().int().min(1).max(1000).default(100);

export const monthInput = z.strictObject({ month: monthSchema });
export const monthListInput = z.strictObject({ month: monthSchema, limit: listLimit });
export const userSegmentsInput = z
  .strictObject({
    month: monthSchema,
    /** Seconds in the month from which a user is a power user (default 10 hours). */
    powerSeconds: amountSchema.min(1, "must be >= 1").default(10 * 3600),
    /** Seconds in the month from which a user is a regular (default 1 hour). */
    regularSeconds: amountSchema.min(1, "must be >= 1").default(3600),
  })
  .refine((i) => i.regularSeconds < i.powerSeconds, {
    message: "regularSeconds must be below powerSeconds",
    path: ["regularSeconds"],
  });
/** The pricing lab: a draft (checked against the catalog by the service) and the months. */
export const simulateCatalogInput = z.strictObject({
  draft: z.unknown(),
  fromMonth: monthSchema,
  months: z.number().int("months must be an integer").min(1).max(12).default(1),
});
export const retentionInput = z.strictObject({
  fromMonth: monthSchema,
  months: z.number().int("months must be an integer").min(1).max(36),
});
