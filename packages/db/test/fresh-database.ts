import { randomUUID } from "node:crypto";
import postgres from "postgres";

/**
 * A new, empty database on the server of `adminUrl` (a test's own), and how to drop it (with
 * whatever connections are still open). Shared by the test suites of every package.
 */
export async function freshDatabase(adminUrl: string, prefix: string) {
  const name = `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
