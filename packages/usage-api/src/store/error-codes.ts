/** The driver's or the database's code of `error` or of any error in its cause chain. */
export const codesOf = (error: unknown): string[] => {
  const codes: string[] = [];
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
};

/** `work`'s answer, or undefined when it gave up waiting for a lock (`lock_timeout`, 55P03). */
export const unlessBusy = <T>(work: Promise<T>): Promise<T | undefined> =>
  work.catch((error: unknown) => {
    if (codesOf(error).includes("55P03")) return undefined;
    throw error;
  });
