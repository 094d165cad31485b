import { createDb } from "@usagekit/db";
import { env } from "./env";
import { createUsageServer } from "./server";

const handle = await createDb({ dataDir: env.USAGE_DATA_DIR });
const server = createUsageServer({ db: handle.db });
server.listen(env.PORT, env.HOST, () => {
  console.log(`usagekit API on http://${env.HOST}:${env.PORT}/api/trpc (${handle.kind})`);
});

const stop = () => server.close(() => void handle.close().then(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
