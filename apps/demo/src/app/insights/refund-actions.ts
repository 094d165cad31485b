"use server";

import { z } from "zod";
import { failure } from "~/server/action-result";
import type { ActionResult } from "~/server/action-result";
import { requireUser } from "~/server/auth";
import { serviceCaller } from "~/server/context";
import { sessionLeft } from "~/server/sessions";

const refundInput = z.object({
  userId: z.string().min(1).max(128),
  key: z.string().min(1).max(200),
  reason: z.string().trim().min(1, "Say why the session is refunded.").max(500),
});

/**
 * The app owner refunds a learner's session (it failed on our side): what is left of it is taken
 * back by `correctUsage`, with the reason, in the month it was used. A second click refunds once.
 */
export async function refundSession(input: {
  userId: string;
  key: string;
  reason: string;
}): Promise<ActionResult> {
  await requireUser("admin");
  try {
    const { userId, key, reason } = refundInput.parse(input);
    const left = await sessionLeft(userId, key);
    const api = await serviceCaller();
    await api.usage.correctUsage({
      userId,
      idempotencyKey: `refund-${key}`,
      correctsKey: key,
      reason,
      ...Object.fromEntries(Object.entries(left ?? {}).filter(([, n]) => (n ?? 0) > 0)),
    });
    return { ok: true, message: "Refunded: the session no longer counts." };
  } catch (error) {
    return failure(error);
  }
}
