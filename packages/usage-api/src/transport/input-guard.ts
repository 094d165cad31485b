/** How deep an input may nest; usagekit's inputs are at most three levels deep. */
export const MAX_INPUT_DEPTH = 8;

/**
 * A message naming the first key of `input` that no schema may see — an own `__proto__`,
 * `constructor` or `prototype` key (JSON.parse makes `__proto__` an own key, which schema
 * checks skip), or an object whose prototype was replaced through one — or a nesting deeper
 * than MAX_INPUT_DEPTH; null when there is none.
 */
export function findUnsafeKey(input: unknown, path = "", depth = 0): string | null {
  if (typeof input !== "object" || input === null || input instanceof Date) return null;
  if (depth >= MAX_INPUT_DEPTH) return `${path || "input"}: nested too deep`;
  // A deserializer may have turned a `__proto__` key into the object's prototype instead.
  const proto: unknown = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    return `${path ? `${path}.` : ""}__proto__: unknown key`;
  }
  for (const key of Object.keys(input)) {
    const at = path ? `${path}.${key}` : key;
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      return `${at}: unknown key`;
    }
    const found = findUnsafeKey((input as Record<string, unknown>)[key], at, depth + 1);
    if (found) return found;
  }
  return null;
}
