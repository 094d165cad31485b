"use server";

import { z } from "zod";
import { failure } from "~/server/action-result";
import type { ActionResult } from "~/server/action-result";
import { requireUser } from "~/server/auth";
import { now } from "~/server/clock";
import { serviceCaller } from "~/server/context";

/** A live voice session as the page keeps it: its hold, until when, and what it spent so far. */
export interface VoiceSession {
  reservationId: string;
  startedAt: string;
  expiresAt: string;
  /** How long the hold had to run when the server answered (the page counts down from it). */
  expiresInMs: number;
  heldSeconds: number;
  extensions: number;
}

/** What a voice backend holds per session start and per extension: minutes of practice. */
const START_SECONDS = 10 * 60;
const EXTEND_SECONDS = 5 * 60;
const id = z.uuid();

type Answer = ActionResult & { session?: VoiceSession };

/**
 * Starts a realtime voice session the way the voice backend would: before the first word, it
 * holds 10 minutes of practice and a realtime session (refused at a hard limit, with nothing
 * held); the request id keeps a double click to one hold.
 */
export async function startVoiceSession(input: { requestId: string }): Promise<Answer> {
  const user = await requireUser();
  try {
    const api = await serviceCaller();
    const hold = await api.usage.reserveUsage({
      userId: user.id,
      idempotencyKey: `voice-${id.parse(input.requestId)}`,
      expiresInSeconds: START_SECONDS,
      seconds: START_SECONDS,
      realtimeSessions: 1,
    });
    const session = {
      reservationId: hold.reservationId,
      startedAt: now().toISOString(),
      expiresAt: hold.expiresAt.toISOString(),
      expiresInMs: hold.expiresAt.getTime() - now().getTime(),
      heldSeconds: hold.held.seconds ?? 0,
      extensions: 0,
    };
    return { ok: true, message: "Voice session started: 10 minutes held.", session };
  } catch (error) {
    return failure(error);
  }
}

/** "Extend": spends a session extension and holds 5 more minutes, 5 minutes past the hold's end. */
export async function extendVoiceSession(input: {
  session: VoiceSession;
  requestId: string;
}): Promise<Answer> {
  await requireUser();
  try {
    const api = await serviceCaller();
    const left = Math.max(0, Date.parse(input.session.expiresAt) - now().getTime()) / 1000;
    const hold = await api.usage.extendReservation({
      reservationId: id.parse(input.session.reservationId),
      idempotencyKey: `extend-${id.parse(input.requestId)}`,
      expiresInSeconds: Math.ceil(left) + EXTEND_SECONDS,
      seconds: EXTEND_SECONDS,
      sessionExtensions: 1,
    });
    const session = {
      ...input.session,
      expiresAt: hold.expiresAt.toISOString(),
      expiresInMs: hold.expiresAt.getTime() - now().getTime(),
      heldSeconds: hold.held.seconds ?? 0,
      extensions: hold.held.sessionExtensions ?? 0,
    };
    return { ok: true, message: "Extended: 5 more minutes held.", session };
  } catch (error) {
    return failure(error);
  }
}

/** "End": settles what the session used — its seconds so far, one completed conversation. */
export async function endVoiceSession(input: { session: VoiceSession }): Promise<Answer> {
  await requireUser();
  try {
    const api = await serviceCaller();
    const seconds = Math.max(
      1,
      Math.round((now().getTime() - Date.parse(input.session.startedAt)) / 1000),
    );
    await api.usage.settleReservation({
      reservationId: id.parse(input.session.reservationId),
      conversations: 1,
      realtimeSessions: 1,
      completedSessions: 1,
      seconds,
      sessionExtensions: input.session.extensions,
    });
    return { ok: true, message: `Voice session ended: ${seconds} s recorded, the hold freed.` };
  } catch (error) {
    return failure(error);
  }
}
