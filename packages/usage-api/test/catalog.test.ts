import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..", "..");

/** A package copied without its node_modules, whose dependencies link to the real ones. */
function copyPackage(name: string, scratch: string, local: Record<string, string> = {}) {
  const from = join(repo, "packages", name);
  const to = join(scratch, "packages", name);
  cpSync(from, to, {
    recursive: true,
    filter: (src) =>
      !/node_modules|\.data|test-results|\/test$|\/bench$/.test(src.slice(from.length)),
  });
  const modules = join(to, "node_modules");
  mkdirSync(modules);
  for (const entry of readdirSync(join(from, "node_modules"))) {
    const scoped = entry.startsWith("@");
    const names = scoped
      ? readdirSync(join(from, "node_modules", entry)).map((n) => `${entry}/${n}`)
      : [entry];
    if (scoped) mkdirSync(join(modules, entry));
    for (const dep of names) {
      symlinkSync(local[dep] ?? realpathSync(join(from, "node_modules", dep)), join(modules, dep));
    }
  }
  return to;
}

/** The host's whole change: one feature (billable, with a soft limit on the new tier) and a tier. */
function editCatalog(file: string) {
  let text = readFileSync(file, "utf8");
  text = text.replace(
    `completedSessions: { label: "Completed sessions", unit: "count" },`,
    `completedSessions: { label: "Completed sessions", unit: "count" },
    aiTranslations: { label: "AI translations", unit: "count", billable: true },`,
  );
  let tier = 0;
  const limits = ["5", "50", "200"];
  text = text.replace(
    /completedSessions: null,/g,
    (m) => `${m} aiTranslations: ${limits[tier++]},`,
  );
  text = text.replace(
    /\n {2}},\n {2}\/\*\*\n {3}\* Which feature/,
    `
    team: {
      label: "Team",
      price: "49.00",
      limits: {
        conversations: null, seconds: { limit: 200 * 3600, overage: { price: "0.01", perUnits: 60 } },
        realtimeSessions: null, ankiExports: null, customPhrases: null, advancedVoiceSeconds: 40 * 3600,
        sessionExtensions: null, completedSessions: null,
        aiTranslations: { limit: 1000, overage: { price: "0.05", perUnits: 10 } },
      },
    },
  },
  /**
   * Which feature`,
  );
  if (tier !== 3 || !text.includes("team:")) throw new Error("the catalog edit did not apply");
  writeFileSync(file, text);
}

const CHECK = `
import { createDb } from "@usagekit/db";
import { createCaller, createTRPCContext } from "./src";
const now = new Date("2026-11-15T12:00:00Z");
const handle = await createDb({ url: "", dataDir: "memory://" });
const api = createCaller(createTRPCContext({ db: handle.db, auth: { type: "service" }, now: () => now }));
const out: Record<string, unknown> = {};
await api.usage.recordUsage({ userId: "free_1", aiTranslations: 4, enforceLimits: true });
out.refused = await api.usage.recordUsage({ userId: "free_1", aiTranslations: 2, enforceLimits: true })
  .then(() => null, (e) => e.cause?.limitExceeded ?? String(e));
await api.usage.setUserPlan({ userId: "team_1", tier: "team" });
await api.usage.recordUsage({ userId: "team_1", aiTranslations: 990, enforceLimits: true });
await api.usage.recordUsage({ userId: "team_1", aiTranslations: 30, enforceLimits: true });
out.check = await api.usage.canUseFeature({ userId: "team_1", feature: "aiTranslations", amount: 5 });
const current = await api.usage.getCurrentUsage({ userId: "team_1" });
out.current = { aiTranslations: current.aiTranslations, overage: current.overageAiTranslations,
  features: current.features.aiTranslations, tier: current.tier };
out.lifetime = (await api.usage.getLifetimeStats({ userId: "team_1" })).totalAiTranslations;
out.history = (await api.usage.getUsageHistory({ userId: "team_1" }))[0]?.aiTranslations;
const adoption = await api.analytics.featureAdoption({ month: "2026-11" });
out.adoption = Object.fromEntries(adoption.tiers.map((t) => [t.tier, t.features.aiTranslations?.users]));
const value = await api.analytics.featureValue({ month: "2026-11" });
out.value = Object.fromEntries(value.tiers.map((t) => [t.tier, t.features.aiTranslations?.perUser]));
const [bill] = await api.usage.getBillingHistory({ userId: "team_1", months: 1 });
out.bill = { overage: bill?.overage, units: bill?.overageUnits };
// The demo's meters: one per catalog feature, labelled from the catalog (@usagekit/react).
const { features } = await import("./src/limits/tiers");
const { featureLabel } = await import("../react/src/format");
out.meters = features.map((f) => featureLabel(f)).filter((l) => l === "AI translations");
const overage = await api.analytics.overage({ month: "2026-11" });
out.overage = { total: overage.total, users: overage.users };
out.drift = (await import("./src/record/reconcile")).findDrift;
out.drift = await (out.drift as any)(handle.db, { tiers: (await import("./src")).defaultTiers });
await handle.close();
console.log("RESULT " + JSON.stringify(out));
`;

describe("the catalog", () => {
  const scratch = mkdtempSync(join(tmpdir(), "usagekit-catalog-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("takes a new feature and tier from one file and a generated migration", async () => {
    const db = copyPackage("db", scratch);
    const api = copyPackage("usage-api", scratch, { "@usagekit/db": db });
    copyPackage("react", scratch, { "@usagekit/db": db, "@usagekit/usage-api": api });
    editCatalog(join(db, "src", "catalog.ts"));
    // `pnpm db:generate`: drizzle-kit writes the migration for the new columns and tier.
    const generated = await run(
      process.execPath,
      [join(db, "node_modules/drizzle-kit/bin.cjs"), "generate"],
      {
        cwd: db,
      },
    );
    expect(generated.stdout).toMatch(/0002_\w+\.sql/);
    const migration = readdirSync(join(db, "drizzle")).find((f) => f.startsWith("0002_"))!;
    const sqlText = readFileSync(join(db, "drizzle", migration), "utf8");
    for (const column of ["ai_translations", "total_ai_translations", "overage_ai_translations"])
      expect(sqlText).toContain(`"${column}"`);
    expect(sqlText).toContain("'team'");

    writeFileSync(join(api, "check.ts"), CHECK);
    const { stdout } = await run(process.execPath, ["--import", "tsx", "check.ts"], { cwd: api });
    const result = JSON.parse(stdout.split("RESULT ")[1]!) as Record<string, unknown>;
    expect(result.refused).toEqual({ feature: "aiTranslations", used: 4, limit: 5, requested: 2 });
    expect(result.check).toMatchObject({
      allowed: true,
      feature: "aiTranslations",
      tier: "team",
      used: 1020,
      limit: 1000,
      overage: true,
    });
    expect(result.current).toMatchObject({
      aiTranslations: 1020,
      overage: 20,
      features: { used: 1020, limit: 1000 },
      tier: "team",
    });
    expect(result.lifetime).toBe(1020);
    expect(result.history).toBe(1020);
    expect(result.adoption).toEqual({ free: 1, plus: 0, pro: 0, team: 1 });
    expect(result.value).toEqual({ free: 4, plus: 0, pro: 0, team: 1020 });
    expect(result.bill).toEqual({ overage: "0.10", units: { aiTranslations: 20 } });
    expect(result.meters).toEqual(["AI translations"]);
    // 20 translations past the soft limit at $0.05 per 10: $0.10.
    expect(result.overage).toEqual({
      total: "0.10",
      users: [
        {
          userId: "team_1",
          tier: "team",
          overageSeconds: 0,
          amount: "0.10",
          units: { aiTranslations: 20 },
        },
      ],
    });
    expect(result.drift).toEqual([]);
  });
});
