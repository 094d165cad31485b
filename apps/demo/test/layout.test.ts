import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { launchChromium } from "./chromium";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { signIn } from "./session";

const baseUrl = inject("baseUrl");
const shots = join(import.meta.dirname, "..", "..", "..", "artifacts", "screenshots");
const learner = demoUsers.find((u) => u.role !== "admin")!;
const owner = demoUsers.find((u) => u.role === "admin")!;
const widths = [360, 390, 1024, 1280, 1440];
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

interface AxeResult {
  violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[];
}

/** Every page, as the one who sees it; `ready` is what shows the page has fully drawn. */
const pages = [
  { path: "/sign-in", as: null, ready: "h1" },
  { path: "/dashboard", as: learner, ready: '[data-testid="usage-conversations"]' },
  { path: "/history", as: learner, ready: '[data-testid="history"]' },
  { path: "/insights", as: owner, ready: '[data-testid="chart-adoption"] svg' },
  { path: "/insights/pricing-lab", as: owner, ready: '[data-testid^="lab-chart-revenue"] svg' },
  { path: "/no-such-page", as: null, ready: "h1" },
];

describe("the demo's layout from phone to desktop", () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it.each(pages)(
    "$path never scrolls sideways, has one h1 and passes axe",
    async ({ path, as, ready }) => {
      const cookie = as ? await signIn(baseUrl, as.id) : null;
      const context = await browser.newContext();
      if (cookie) {
        const [name, value] = cookie.split("=") as [string, string];
        await context.addCookies([{ name, value, url: baseUrl }]);
      }
      const page = await context.newPage();
      const overflows: string[] = [];
      const serious: string[] = [];
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`${baseUrl}${path}`);
        await page.locator(ready).first().waitFor();
        const { scroll, client, h1 } = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
          h1: document.querySelectorAll("h1").length,
        }));
        if (scroll > client) overflows.push(`${width}px: ${scroll} > ${client}`);
        expect(h1).toBe(1);
        if (width === 390 || width === 1280) {
          // axe-core in the page: no serious or critical accessibility violation.
          await page.addScriptTag({ path: axePath });
          const result = (await page.evaluate(() =>
            (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
          )) as AxeResult;
          for (const v of result.violations) {
            if (v.impact === "serious" || v.impact === "critical") {
              serious.push(
                `${width}px ${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(" ")}`,
              );
            }
          }
          const name = `layout-${path.slice(1).replaceAll("/", "-")}-${width}.png`;
          await page.screenshot({ path: join(shots, name), fullPage: true });
        }
      }
      await context.close();
      expect(overflows).toEqual([]);
      expect(serious).toEqual([]);
    },
  );
});
