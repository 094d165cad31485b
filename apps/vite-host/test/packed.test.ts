import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Browser } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../demo/test/chromium";
import { freshDatabase } from "../../../packages/db/test/fresh-database";
import { freePort, spawnServer } from "../../../packages/usage-api/test/process";
import { installPackedApp, PACKAGES, plainEnv, readTarball } from "./packed-app";

// A host outside this workspace: the packages packed, installed by plain npm into a new folder
// with this example app, typechecked, built, run by plain Node, and used in Chromium.
const repo = join(import.meta.dirname, "..", "..", "..");
const migrations = readdirSync(join(repo, "packages/db/drizzle")).filter((f) => f.endsWith(".sql"));
let host: ReturnType<typeof installPackedApp>;
let browser: Browser;

beforeAll(async () => {
  host = installPackedApp();
  browser = await launchChromium();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  if (host) rmSync(host.root, { recursive: true, force: true });
});

describe("the packages as a host installs them", () => {
  it("are JavaScript with type declarations, clean for publint and arethetypeswrong", () => {
    for (const dir of PACKAGES) {
      const cwd = join(repo, dir);
      const bin = (name: string) => join(cwd, "node_modules", ".bin", name);
      const { tarball, manifest } = host.packages.find((p) => p.dir === dir)!;
      const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" });
      expect(files, dir).toMatch(/package\/dist\/index\.js\n/);
      expect(files, dir).toMatch(/package\/dist\/index\.d\.ts\n/);
      if (dir === "packages/db") {
        // The migrations, and the old ones that upgrade an installation from before the schema.
        expect(files).toContain("package/drizzle/0000_usagekit.sql\n");
        expect(files).toContain("package/drizzle-legacy/0000_init.sql\n");
      }
      expect(files, dir).not.toMatch(/package\/src\//);
      // Every export's declarations beside its JavaScript, both in the tarball.
      for (const [path, target] of Object.entries<{ types: string; import: string }>(
        manifest.exports,
      )) {
        expect(target.types, `${dir} ${path}`).toBe(target.import.replace(/\.js$/, ".d.ts"));
        expect(files).toContain(`package/${target.import.slice(2)}\n`);
        expect(files).toContain(`package/${target.types.slice(2)}\n`);
      }
      // Each package imports the others, never bundles them.
      const js = readTarball(tarball, "package/dist/*.js");
      if (dir !== "packages/db") expect(js).not.toContain('pgSchema("usagekit")');
      if (dir === "packages/usage-api") expect(js).toContain('from "@usagekit/db"');
      if (dir === "packages/react") expect(js).toContain('from "@usagekit/usage-api/limits"');
      // Each exits non-zero on any problem (publint --strict: on warnings too), on the tarball.
      execFileSync(bin("publint"), [tarball, "--strict"], { cwd, env: plainEnv() });
      execFileSync(bin("attw"), [tarball, "--profile", "esm-only"], { cwd, env: plainEnv() });
    }
  });

  it("typecheck and build in the host app with plain npm and tsc", () => {
    expect(() => host.npm("run", "typecheck")).not.toThrow();
    host.npm("run", "build");
    expect(existsSync(join(host.app, "dist/server/main.js"))).toBe(true);
    expect(existsSync(join(host.app, "dist/client/index.html"))).toBe(true);
  });

  it("write the app catalog's migrations with the package's usagekit command", () => {
    // The app's own catalog (src/catalog.ts, typechecked above): one feature more than usagekit's.
    const run = () => host.npx("usagekit", "generate", "--catalog", "src/catalog.ts");
    expect(run()).toMatch(/wrote .*drizzle-usagekit\/0012_catalog\.sql \(6 statements\)/);
    expect(run()).toContain("is up to date with the catalog");
    const migration = readFileSync(join(host.app, "drizzle-usagekit/0012_catalog.sql"), "utf8");
    for (const [table, column] of [
      ["usage_events", "flashcard_exports"],
      ["monthly_usage", "flashcard_exports"],
      ["lifetime_stats", "total_flashcard_exports"],
      ["reservations", "flashcard_exports"],
      ["ledger_retained", "flashcard_exports"],
      ["rollup_months", "flashcard_exports"],
    ])
      expect(migration).toContain(`ALTER TABLE "usagekit"."${table}" ADD COLUMN "${column}"`);
  });
});

const databases = ["pglite", ...(process.env.DATABASE_URL ? ["postgres"] : [])];

describe.each(databases)("the host app, installed from the tarballs, on %s", (kind) => {
  let server: ReturnType<typeof spawnServer>;
  let url: string;
  let drop = async () => {};
  let dbEnv: Record<string, string>;
  /** What the database itself holds, read after the server has stopped. */
  let query: (text: string) => Promise<Record<string, unknown>[]>;

  beforeAll(async () => {
    if (kind === "postgres") {
      const fresh = await freshDatabase(process.env.DATABASE_URL!, "vite_host");
      drop = fresh.drop;
      dbEnv = { DATABASE_URL: fresh.url };
      query = async (text) => {
        const sql = postgres(fresh.url, { max: 1 });
        const rows = await sql.unsafe(text);
        await sql.end();
        return rows;
      };
    } else {
      const dataDir = join(host.root, `pglite-${Date.now()}`);
      dbEnv = { DATABASE_URL: "", DATA_DIR: dataDir };
      query = async (text) => {
        const pg = await PGlite.create(dataDir);
        const { rows } = await pg.query<Record<string, unknown>>(text);
        await pg.close();
        return rows;
      };
    }
    const port = await freePort();
    server = spawnServer(
      { ...plainEnv(), ...dbEnv, PORT: String(port), SESSION_SECRET: "s".repeat(40) },
      { args: ["dist/server/main.js"], cwd: host.app },
    );
    await server.printed("flashcards: http", 90_000);
    url = `http://127.0.0.1:${port}`;
  }, 120_000);
  afterAll(async () => {
    server?.kill();
    await drop();
  });

  it("migrates, records, and is refused at the plan's limit, in Chromium", async () => {
    // The four exports must fall in one month (the learner's zone is UTC): not in the last
    // minute of a month, on any day of the year.
    const now = Date.now();
    const nextMonth = new Date(now);
    nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1, 1);
    nextMonth.setUTCHours(0, 0, 0, 0);
    if (nextMonth.getTime() - now < 60_000)
      await new Promise((resolve) => setTimeout(resolve, nextMonth.getTime() - now + 1_000));
    const page = await browser.newPage();
    await page.goto(url);
    await page.fill("#name", "ana");
    await page.click("button:text('Sign in')");
    await page.getByRole("heading", { name: "Flashcards for ana" }).waitFor();
    // The app's own feature, metered by the server and labelled from the app's catalog.
    const meter = page.getByTestId("usage-flashcardExports");
    await expect(meter.textContent()).resolves.toContain("Flashcard exports");
    await expect(meter.getAttribute("data-used")).resolves.toBe("0");
    for (const used of [1, 2, 3]) {
      await page.click("button:text('Export flashcards')");
      await page.waitForSelector(`[data-testid=usage-flashcardExports][data-used="${used}"]`);
      await expect(meter.textContent()).resolves.toContain(
        used < 3
          ? `${3 - used} of 3 flashcard exports left`
          : "Limit reached: all 3 flashcard exports used",
      );
    }
    await expect(
      page.getByRole("meter", { name: "Flashcard exports" }).getAttribute("aria-valuenow"),
    ).resolves.toBe("3");
    await page.click("button:text('Export flashcards')");
    const refusal = page.getByTestId("limit-exceeded");
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(/Limit reached\..*includes 3 .*used 3/);
    await expect(meter.getAttribute("data-used")).resolves.toBe("3");
    await page.close();
  });

  /** The example's sign-in form, posted: its answer and the session cookie it set. */
  const signIn = async (name: string) => {
    const answer = await fetch(`${url}/sign-in`, {
      method: "POST",
      body: new URLSearchParams({ name }),
      redirect: "manual",
    });
    return { answer, cookie: answer.headers.get("set-cookie")!.split(";")[0]! };
  };

  it("answers an invalid user id from the host's session with a 400 that names it", async () => {
    const { cookie } = await signIn("x".repeat(129));
    const me = await fetch(`${url}/api/trpc/me`, { headers: { cookie } });
    expect(me.status).toBe(400);
    expect(JSON.stringify(await me.json())).toContain("userId");
  });

  it("keeps the host's own session: HttpOnly, a forged cookie is nobody, deep links get the app", async () => {
    const eve = await signIn("eve");
    expect(eve.answer.status).toBe(303);
    expect(eve.answer.headers.get("set-cookie")).toMatch(/; HttpOnly;/);
    const me = async (cookie: string) =>
      (await (await fetch(`${url}/api/trpc/me`, { headers: { cookie } })).json()).result.data.json;
    expect(await me(eve.cookie)).toBe("eve");
    expect(await me(`flashcards_user=${encodeURIComponent(`eve|${"0".repeat(64)}`)}`)).toBe(null);
    const deep = await fetch(`${url}/some/deep/link`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root"></div>');
    expect((await fetch(`${url}/assets/nothing-here.js`)).status).toBe(404);
  });

  it("left in the database what happened: 3 exports, 1 refusal, each migration once", async () => {
    server.kill("SIGTERM");
    await server.exited();
    const [month] = await query(
      `SELECT m.flashcard_exports::int AS used, l.total_flashcard_exports::int AS total
      FROM usagekit.monthly_usage m JOIN usagekit.lifetime_stats l USING (user_id)
      WHERE user_id = 'ana'`,
    );
    expect(month).toEqual({ used: 3, total: 3 });
    const [refusals] = await query(
      `SELECT count(*)::int AS n, min(feature) AS feature FROM usagekit.limit_refusals
      WHERE user_id = 'ana'`,
    );
    expect(refusals).toEqual({ n: 1, feature: "flashcardExports" });
    // usagekit's own migrations, and the one the catalog's feature added.
    const [applied] = await query("SELECT count(*)::int AS n FROM usagekit.__migrations");
    expect(applied).toEqual({ n: migrations.length + 1 });
  });
});
