import { TRPCError } from "@trpc/server";
import type { CatalogShape, FeatureOf, TierOf } from "@usagekit/db/catalog";
import type { z } from "zod";
import type { Feature } from "../limits/tiers";
import { modelOfTiers } from "../limits/tiers";
import { catalogSchemas } from "../schemas";
import type {
  canUseFeatureInput,
  correctUsageInput,
  extendReservationInput,
  grantUsageInput,
  recordPaymentInput,
  recordUsageInput,
  reserveUsageInput,
  setUserPlanInput,
  settleReservationInput,
} from "../schemas";
import type { Db } from "@usagekit/db";
import type { Tiers } from "../limits/tiers";
import type { CatalogSchemas } from "../schemas";
import { middleware } from "./trpc";
import type { Procedures } from "./trpc";

type Named =
  | "recordUsageInput"
  | "canUseFeatureInput"
  | "setUserPlanInput"
  | "recordPaymentInput"
  | "reserveUsageInput"
  | "extendReservationInput"
  | "settleReservationInput"
  | "correctUsageInput"
  | "grantUsageInput";

/**
 * Parses an input that names features or tiers with the schemas of the call's catalog (the
 * context's, else the router's), as tRPC parses any input: a failure is a BAD_REQUEST whose
 * cause is the ZodError. The procedure's `.input()` after it only gives the types.
 */
export const catalogInput = (name: Named) =>
  middleware(async ({ ctx, getRawInput, next }) => {
    const schema = catalogSchemas(modelOfTiers(ctx.tiers!))[name];
    const parsed = schema.safeParse(await getRawInput());
    if (!parsed.success) throw new TRPCError({ code: "BAD_REQUEST", cause: parsed.error });
    return next({ getRawInput: async () => parsed.data });
  });

/** A parser for tRPC's types only (zod-style `_input`/`_output`): the value is parsed already. */
export interface Typed<In, Out> {
  _input: In;
  _output: Out;
  parse: (value: unknown) => Out;
}
const typed = <In, Out>() => ({ parse: (value: unknown) => value }) as Typed<In, Out>;

type Amounts<C extends CatalogShape> = { [K in FeatureOf<C>]?: number };
type Swap<T, Old extends PropertyKey, New> = Omit<T, Old> & New;
/** A parser of an input with amounts, typed with the catalog's features. */
type WithAmounts<S extends z.ZodType, C extends CatalogShape> = Typed<
  Swap<z.input<S>, Feature, Amounts<C>>,
  Swap<z.output<S>, Feature, Amounts<C>>
>;
const withAmounts = <S extends z.ZodType, C extends CatalogShape>() =>
  typed<
    Swap<z.input<S>, Feature, Amounts<C>>,
    Swap<z.output<S>, Feature, Amounts<C>>
  >() as WithAmounts<S, C>;

/** The inputs of a catalog's procedures, typed with its own features and tiers. */
export const catalogInputTypes = <C extends CatalogShape>() => ({
  recordUsage: withAmounts<typeof recordUsageInput, C>(),
  reserveUsage: withAmounts<typeof reserveUsageInput, C>(),
  extendReservation: withAmounts<typeof extendReservationInput, C>(),
  settleReservation: withAmounts<typeof settleReservationInput, C>(),
  correctUsage: withAmounts<typeof correctUsageInput, C>(),
  canUseFeature: typed<
    Swap<z.input<typeof canUseFeatureInput>, "feature", { feature: FeatureOf<C> }>,
    Swap<z.output<typeof canUseFeatureInput>, "feature", { feature: FeatureOf<C> }>
  >(),
  setUserPlan: typed<
    Swap<z.input<typeof setUserPlanInput>, "tier", { tier: TierOf<C> }>,
    Swap<z.output<typeof setUserPlanInput>, "tier", { tier: TierOf<C> }>
  >(),
  recordPayment: typed<
    Swap<z.input<typeof recordPaymentInput>, "tier", { tier: TierOf<C> }>,
    Swap<z.output<typeof recordPaymentInput>, "tier", { tier: TierOf<C> }>
  >(),
  grantUsage: typed<
    Swap<z.input<typeof grantUsageInput>, "feature", { feature: FeatureOf<C> }>,
    Swap<z.output<typeof grantUsageInput>, "feature", { feature: FeatureOf<C> }>
  >(),
});
export type CatalogInputTypes<C extends CatalogShape> = ReturnType<typeof catalogInputTypes<C>>;

/**
 * A service-only write whose input names the catalog's features or tiers: parsed with the call's
 * catalog, typed with the router's, and run as `run(db, input & { now, tiers })`.
 */
export function catalogWrite<N extends Named, T extends Typed<unknown, unknown>, R>(
  procedure: Procedures["service"],
  name: N,
  type: T,
  run: (db: Db, params: z.output<CatalogSchemas[N]> & { now: Date; tiers: Tiers }) => Promise<R>,
) {
  return procedure
    .use(catalogInput(name))
    .input(type)
    .mutation(({ ctx, input }) =>
      run(ctx.db, {
        ...(input as z.output<CatalogSchemas[N]>),
        now: ctx.now(),
        tiers: ctx.tiers,
      }),
    );
}
