import { describe, expect, it } from "vitest";
import { catalog, defineCatalog } from "../src/catalog";
import type { CatalogShape } from "../src/catalog";

/** A catalog as plain data, to break on purpose. */
interface Draft {
  features: Record<string, Record<string, unknown>>;
  tiers: Record<string, { price: unknown; limits: Record<string, unknown> }>;
  roles: Record<string, unknown>;
}
/** The default catalog with one change, as a host might write it by mistake. */
const changed = (edit: (c: Draft) => void) => {
  const copy = structuredClone(catalog) as unknown as Draft;
  edit(copy);
  return copy as unknown as CatalogShape;
};
const withLimit = (c: Draft, f: string) => {
  for (const tier of Object.values(c.tiers)) tier.limits[f] = 1;
};

describe("defineCatalog", () => {
  it("takes the default catalog as it is", () => {
    expect(defineCatalog(catalog)).toBe(catalog);
  });

  it.each([
    [
      "a name that cannot be a column",
      (c: Draft) => {
        c.features["Bad-Name"] = { label: "B", unit: "count" };
        withLimit(c, "Bad-Name");
      },
      "features.Bad-Name must be a camelCase name",
    ],
    [
      "a feature named like one of usagekit's own fields",
      (c: Draft) => {
        c.features.month = { label: "M", unit: "count" };
        withLimit(c, "month");
      },
      "use the field month twice or as one of usagekit's own",
    ],
    [
      "a feature whose lifetime field is usagekit's own",
      (c: Draft) => {
        c.features.revenue = { label: "R", unit: "count" };
        withLimit(c, "revenue");
      },
      "use the field totalRevenue",
    ],
    [
      "two features counted in one monthly field",
      (c: Draft) => {
        c.features.quizzes = { label: "Q", unit: "count", monthlyField: "ankiExportsUsed" };
        withLimit(c, "quizzes");
      },
      "use the field ankiExportsUsed twice",
    ],
    [
      "a limit for a feature the catalog lacks",
      (c: Draft) => void (c.tiers.plus!.limits.bogus = 1),
      "tiers.plus.limits.bogus is not a feature of the catalog",
    ],
    [
      "a missing limit",
      (c: Draft) => void delete c.tiers.pro!.limits.seconds,
      "tiers.pro.limits.seconds is missing",
    ],
    [
      "a role naming no feature",
      (c: Draft) => void (c.roles.export = "nope"),
      "roles.export must name a feature",
    ],
    [
      "a price with three decimals",
      (c: Draft) => void (c.tiers.plus!.price = "9.999"),
      "tiers.plus.price must be a decimal string",
    ],
    [
      "billable that is not a boolean",
      (c: Draft) => void (c.features.seconds!.billable = "yes"),
      "features.seconds.billable must be true or false",
    ],
    [
      "more features than the reports follow (60)",
      (c: Draft) => {
        for (let i = Object.keys(c.features).length; i <= 60; i++) {
          c.features[`extra${i}`] = { label: `E${i}`, unit: "count" };
          withLimit(c, `extra${i}`);
        }
      },
      "features must name at most 60 features",
    ],
    [
      "a unit it does not know",
      (c: Draft) => void (c.features.seconds!.unit = "minutes"),
      'features.seconds.unit must be "count" or "seconds"',
    ],
  ])("refuses %s, naming the field", (_, edit, message) => {
    expect(() => defineCatalog(changed(edit))).toThrow(message);
  });
});
