import { TRPCError } from "@trpc/server";
import type { CatalogShape, FeatureOf, TierOf } from "@usagekit/db/catalog";
import type { z } from "zod";
import type { Feature } from "../limits/tiers";
import { modelOfTiers } from "../limits/tiers";
import { catalogSchemas } from "../schemas";
import type {
  canUseFeatureInput,
  recordPaymentInput,
  recordUsageInput,
  setUserPlanInput,
} from "../schemas";
import { middleware } from "./trpc";

type Named = "recordUsageInput" | "canUseFeatureInput" | "setUserPlanInput" | "recordPaymentInput";

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
interface Typed<In, Out> {
  _input: In;
  _output: Out;
  parse: (value: unknown) => Out;
}
const typed = <In, Out>() => ({ parse: (value: unknown) => value }) as Typed<In, Out>;

type Amounts<C extends CatalogShape> = { [K in FeatureOf<C>]?: number };
type Swap<T, Old extends PropertyKey, New> = Omit<T, Old> & New;

/** The inputs of a catalog's procedures, typed with its own features and tiers. */
export const catalogInputTypes = <C extends CatalogShape>() => ({
  recordUsage: typed<
    Swap<z.input<typeof recordUsageInput>, Feature, Amounts<C>>,
    Swap<z.output<typeof recordUsageInput>, Feature, Amounts<C>>
  >(),
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
});
export type CatalogInputTypes<C extends CatalogShape> = ReturnType<typeof catalogInputTypes<C>>;
