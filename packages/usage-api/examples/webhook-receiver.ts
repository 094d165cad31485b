import { createServer } from "node:http";
import { verifyWebhook } from "@usagekit/usage-api";

// Receives usagekit's alerts: checks the signature on the raw body, then deduplicates by `id`
// (delivery is at least once). Anything unsigned, altered or older than 5 minutes gets a 401.
const secret = process.env.USAGE_WEBHOOK_SECRET ?? "";
const seen = new Set<number>();

createServer((req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    if (!verifyWebhook(body, req.headers["usagekit-signature"] as string, secret)) {
      return void res.writeHead(401).end();
    }
    const alert = JSON.parse(body) as {
      id: number;
      userId: string;
      feature: string;
      threshold: number;
    };
    if (!seen.has(alert.id)) {
      seen.add(alert.id);
      console.log(`${alert.userId} reached ${alert.threshold} % of ${alert.feature}`);
    }
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 4000), () => console.log("receiving webhooks"));
