/**
 * The one limit rule: whether `amount` more of a feature fits on top of what is `used` under a
 * hard limit (`null`: unlimited, or soft — past a soft limit is billable overage, never refused).
 * The one-event statement, batches, `canUseFeature` and the React hooks all decide by it (the SQL
 * form is `fitsSql`, beside it in `limits/fits-sql.ts`). Kept free of imports, so browser code
 * takes the same rule.
 */
export const fits = (used: number, amount: number, hardLimit: number | null): boolean =>
  amount <= 0 || hardLimit === null || used + amount <= hardLimit;

/** What is left under a limit (`null`: unlimited). */
export const remainingOf = (limit: number | null, used: number): number | null =>
  limit === null ? null : Math.max(0, limit - used);
