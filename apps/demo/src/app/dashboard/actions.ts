"use server";

import { TRPCError } from "@trpc/server";
import { LimitExceededError, tierSchema } from "@usagekit/usage-api";
import type { LimitExceeded, TierName } from "@usagekit/usage-api";
import { z } from "zod";
import { requireUser } from "~/server/auth";
import { serviceCaller } from "~/server/context";

export type ActionResult =
  | { ok: true; message: string }
  | { ok: false; message: string; limitExceeded: LimitExceeded | null };

const failure = (error: unknown): ActionResult => {
  if (error instanceof TRPCError) {
    const limitExceeded =
      error.cause instanceof LimitExceededError ? error.cause.limitExceeded : null;
    return { ok: false, message: error.message, limitExceeded };
  }
  throw error;
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
  const { minutes, requestId } = practiceInput.parse(input);
  const api = await serviceCaller();
  try {
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
  const api = await serviceCaller();
  try {
    const plan = await api.usage.setUserPlan({ userId: user.id, tier: tierSchema.parse(tier) });
    return { ok: true, message: `You are now on ${plan.tier}.` };
  } catch (error) {
    return failure(error);
  }
}
