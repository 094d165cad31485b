import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const repo = join(import.meta.dirname, "..", "..", "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");

/** Every code block the README marks `<!-- snippet: path -->`, with the file it comes from. */
const snippets = [...readme.matchAll(/<!-- snippet: (\S+) -->\s*```\w*\n([\s\S]*?)\n```/g)].map(
  ([, path, code]) => ({ path: path!, code: code! }),
);

describe("the README's snippets", () => {
  it("are whole files, imports included, that are compiled and run by the tests", () => {
    // The integration guide (apps/tutor) and the examples (packages/usage-api/examples).
    expect(snippets.length).toBeGreaterThanOrEqual(8);
    expect(new Set(snippets.map((s) => s.path)).size).toBeGreaterThanOrEqual(7);
    for (const { path, code } of snippets) {
      expect(readFileSync(join(repo, path), "utf8").trimEnd(), path).toBe(code);
    }
  });
});
