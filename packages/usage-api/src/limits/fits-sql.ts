import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

/** `fits` of `limits/rule.ts` as SQL: `amount` more fits on top of `used` under `hardLimit`. */
export const fitsSql = (used: SQL, amount: SQL, hardLimit: SQL) =>
  sql`(${amount} <= 0 OR ${hardLimit} IS NULL OR ${used} + ${amount} <= ${hardLimit})`;
