import { createHmac, timingSafeEqual } from "node:crypto";

/** How old a signed timestamp may be before `verifyWebhook` rejects it (replays). */
const TOLERANCE_SECONDS = 5 * 60;

const hmac = (secret: string, t: number, body: string) =>
  createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");

/** The `usagekit-signature` header of `body` at unix second `t`: `t=<t>,v1=<hex HMAC-SHA256>`. */
export const signWebhook = (body: string, secret: string, t: number) =>
  `t=${t},v1=${hmac(secret, t, body)}`;

/**
 * For a webhook receiver: whether `header` (`usagekit-signature`) signs exactly `body` (the raw
 * request body, as text) with `secret`, at most 5 minutes ago. Compared in constant time.
 */
export function verifyWebhook(
  body: string,
  header: string | null | undefined,
  secret: string,
  now = new Date(),
): boolean {
  const parts = new Map(
    (header ?? "").split(",").map((p) => p.trim().split("=", 2) as [string, string | undefined]),
  );
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(v1) || !secret) return false;
  if (Math.abs(now.getTime() / 1000 - t) > TOLERANCE_SECONDS) return false;
  return timingSafeEqual(Buffer.from(v1, "hex"), Buffer.from(hmac(secret, t, body), "hex"));
}
