/** The plans, lowest first — from the catalog. Kept free of runtime imports beyond it. */
export { tierNames } from "./catalog";
export type { TierName } from "./catalog";
