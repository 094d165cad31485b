/** The driver's or the database's code of `error` or of any error in its cause chain. */
export const codesOf = (error: unknown): string[] => {
  const codes: string[] = [];
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
};
