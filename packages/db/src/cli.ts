#!/usr/bin/env node
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateMigrations } from "./generate";

const USAGE = `usage: usagekit generate --catalog <file> [--export <name>] [--out <folder>]

Writes the migrations of your catalog (a module exporting defineCatalog({...}), TypeScript or
JavaScript) into your migrations folder (default: ./drizzle-usagekit); apply them with
migrate(db, { migrationsFolder }) or createDb({ migrationsFolder }). Run it again after every
change to the catalog.`;

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      catalog: { type: "string" },
      export: { type: "string", default: "catalog" },
      out: { type: "string", default: "drizzle-usagekit" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (positionals[0] !== "generate" || !values.catalog) throw new Error(USAGE);
  // TypeScript catalogs are loaded with tsx (what drizzle-kit uses for its config files).
  const { tsImport } = await import("tsx/esm/api");
  const module = await tsImport(pathToFileURL(resolve(values.catalog)).href, import.meta.url);
  const catalog = module[values.export] ?? module.default?.[values.export] ?? module.default;
  if (!catalog) throw new Error(`${values.catalog} has no export named ${values.export}`);
  await generateMigrations(catalog, resolve(values.out));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
