"use server";

import { catalog } from "@usagekit/db/catalog";
import { tierSchema } from "@usagekit/usage-api";
import type { TierName } from "@usagekit/usage-api";
import { z } from "zod";
import { failure } from "~/server/action-result";
import type { ActionResult } from "~/server/action-result";

export type { ActionResult } from "~/server/action-result";
import { requireUser } from "~/server/auth";
import { TOP_UP } from "~/lib/top-up";
import { now } from "~/server/clock";
import { serviceCaller } from "~/server/context";

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

/**
 * The demo's checkout: switches the signed-in user's plan (setUserPlan is service-only) and, for
 * a plan with a price, records its payment for this month (a simulated card), both under the
 * click's request id, so a retried click pays once. History, the bill and lifetime revenue follow.
 */
export async function switchPlan(input: {
  tier: TierName;
  requestId: string;
}): Promise<ActionResult> {
  const user = await requireUser();
  try {
    const { tier, requestId } = z.object({ tier: tierSchema, requestId: z.uuid() }).parse(input);
    const api = await serviceCaller();
    await api.usage.setUserPlan({ userId: user.id, tier });
    const { label, price } = catalog.tiers[tier];
    if (Number(price) === 0) return { ok: true, message: `You are now on ${label}.` };
    await api.usage.recordPayment({
      userId: user.id,
      tier,
      amount: price,
      paidAt: now(),
      idempotencyKey: `checkout-${requestId}`,
    });
    return { ok: true, message: `You are now on ${label}. Paid $${price} for this month.` };
  } catch (error) {
    return failure(error);
  }
}

/**
 * The demo's shop: the learner buys an hour of practice time. The payment is recorded as a
 * top-up (revenue, not a month subscribed) and the hour granted at once, both under the request
 * id, so a retried click pays and grants once.
 */
export async function buyTopUp(input: { requestId: string }): Promise<ActionResult> {
  const user = await requireUser();
  try {
    const { requestId } = z.object({ requestId: z.uuid() }).parse(input);
    const api = await serviceCaller();
    const { tier } = await api.usage.getCurrentUsage({ userId: user.id });
    const key = `top-up-${requestId}`;
    await api.usage.recordPayment({
      userId: user.id,
      tier,
      amount: TOP_UP.price,
      paidAt: now(),
      idempotencyKey: key,
      kind: "topUp",
    });
    await api.usage.grantUsage({
      userId: user.id,
      idempotencyKey: key,
      feature: "seconds",
      amount: TOP_UP.minutes * 60,
      reason: `top-up: +${TOP_UP.minutes} minutes`,
    });
    return { ok: true, message: `Added ${TOP_UP.minutes} minutes of practice time.` };
  } catch (error) {
    return failure(error);
  }
}
