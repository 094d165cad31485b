import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { hardLimitOf, modelOfTiers, softLimitOf } from "./tiers";
import type { BillableFeature, Feature, TierConfig, Tiers } from "./tiers";

/**
 * A per-tier constant as SQL: `CASE tier WHEN 'free' THEN … END`. The tier table is part of the
 * statement's text (its numbers were validated by defineTiers), so it is planned once.
 */
const perTier = (tiers: Tiers, tier: SQL, value: (config: TierConfig) => number | null) =>
  sql`(CASE ${tier} ${sql.raw(
    modelOfTiers(tiers)
      .tierNames.map((t) => `WHEN '${t}' THEN ${value(tiers[t]) ?? "NULL"}::bigint`)
      .join(" "),
  )} END)`;

/** The tier's hard monthly limit of `feature`; NULL when it is unlimited or soft. */
export const hardLimitSql = (tiers: Tiers, tier: SQL, feature: Feature) =>
  perTier(tiers, tier, (c) => hardLimitOf(c, feature));

/** The tier's limit of `feature` past which usage is billable overage; NULL when it is not soft. */
export const softLimitSql = (tiers: Tiers, tier: SQL, feature: BillableFeature) =>
  perTier(tiers, tier, (c) => softLimitOf(c, feature));

/** Units past the soft limit `soft` that `added` units on top of `before` bring (`overageOf`). */
export const overageSql = (soft: SQL, before: SQL, added: SQL) => sql`CASE WHEN ${soft} IS NOT NULL
  THEN greatest(0, ${before} + ${added} - ${soft}) - greatest(0, ${before} - ${soft}) ELSE 0 END`;

/** The tier's limit of `feature` (hard or soft); NULL when unlimited. */
export const limitSql = (tiers: Tiers, tier: SQL, feature: Feature) =>
  perTier(tiers, tier, (c) => c[feature].limit);

/**
 * What of the soft-limit formula's overage of ledger event `e` (alias) rollover or grants
 * covered (`usage_events.covered`): every replay of overage subtracts it.
 */
export const coveredSql = (e: string, feature: BillableFeature) =>
  sql`coalesce((${sql.raw(e)}.covered ->> ${sql.raw(`'${feature}'`)})::bigint, 0)`;
