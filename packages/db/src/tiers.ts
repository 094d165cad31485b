/** The plans, lowest first. Kept free of imports so browser code can use it. */
export const tierNames = ["free", "plus", "pro"] as const;
export type TierName = (typeof tierNames)[number];
