"use server";

import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { LimitExceededError, tierSchema } from "@usagekit/usage-api";
import type { LimitExceeded, TierName } from "@usagekit/usage-api";
import { z } from "zod";
import { requireUser } from "~/server/auth";
import { serviceCaller } from "~/server/context";

export type ActionResult =
  | { ok: true; message: string }
  | { ok: false; message: string; limitExceeded: LimitExceeded | null };

/**
 * What the browser may see of a failure: a limit (with its data), or a plain sentence. Internal
 * details never leave the server; they are logged with an id the message names.
 */
const failure = (error: unknown): ActionResult => {
  if (error instanceof z.ZodError) {
    return { ok: false, message: "That request was not valid.", limitExceeded: null };
  }
  if (error instanceof TRPCError && error.cause instanceof LimitExceededError) {
    return { ok: false, message: error.message, limitExceeded: error.cause.limitExceeded };
  }
  if (error instanceof TRPCError && error.code === "BAD_REQUEST") {
    return { ok: false, message: "That request was not valid.", limitExceeded: null };
  }
  const errorId = randomUUID();
  console.error(
    JSON.stringify({ level: "error", msg: "demo action failed", errorId, error: String(error) }),
  );
  return { ok: false, message: `Something went wrong (error ${errorId}).`, limitExceeded: null };
};

const practiceInput = z.object({ minutes: z.number().int().min(1).max(120), requestId: z.uuid() });

/**
 * Records a finished practice conversation the way a voice backend would: a server-side caller
 * with service auth, limits enforced, the request id as idempotency key (a retry counts once).
 */
export async function practiseConversation(input: {
  minutes: number;
  requestId: string;
}): Promise<ActionResult> {
  const user = await requireUser();
  try {
    const { minutes, requestId } = practiceInput.parse(input);
    const api = await serviceCaller();
    await api.usage.recordUsage({
      userId: user.id,
      idempotencyKey: `practice-${requestId}`,
      enforceLimits: true,
      conversations: 1,
      realtimeSessions: 1,
      completedSessions: 1,
      seconds: minutes * 60,
    });
    return { ok: true, message: `Recorded a ${minutes}-minute conversation.` };
  } catch (error) {
    return failure(error);
  }
}

/** The demo's billing backend: switches the signed-in user's plan (setUserPlan is service-only). */
export async function switchPlan(tier: TierName): Promise<ActionResult> {
  const user = await requireUser();
  try {
    const api = await serviceCaller();
    const plan = await api.usage.setUserPlan({ userId: user.id, tier: tierSchema.parse(tier) });
    return { ok: true, message: `You are now on ${plan.tier}.` };
  } catch (error) {
    return failure(error);
  }
}
