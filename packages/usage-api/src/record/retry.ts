/**
 * A deadlock or serialization failure: PostgreSQL rolled the statement back and it may simply be
 * run again (nothing of it was written).
 */
export function isRetryableConflict(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: string }).code;
    if (code === "40P01" || code === "40001") return true;
  }
  return false;
}

/**
 * Whether `error` proves that a statement sent on its own (autocommit) wrote nothing: the server
 * answered it with an error of the statement itself. A connection that died, a session that was
 * terminated (57P01–57P03), a timeout on the client's side or any error without an SQLSTATE leave
 * it unknown whether the statement committed before the answer was lost — never run it again.
 */
export function statementFailedCleanly(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    const severity = (e as { severity?: unknown }).severity;
    if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) continue;
    // Connection exceptions, operator intervention (a terminated session), system errors.
    if (/^(08|57|58|XX|53)/.test(code)) return false;
    return severity === "ERROR" || severity === undefined;
  }
  return false;
}

/**
 * Runs the statement, again after a deadlock or serialization failure (it wrote nothing then):
 * writers that lock the same users' rows in another order may deadlock with it (a batch writing
 * a new user's rows, a plan change). Up to 8 attempts, after a short random pause that grows, so
 * that the two sides of a deadlock do not meet again at once.
 */
export async function withRetries<T>(
  statement: () => Promise<T>,
  isRetryable = isRetryableConflict,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (attempt >= 8 || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
