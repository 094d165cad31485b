import { createDb } from "@usagekit/db";
import { createCaller, createTRPCContext, isRefusal } from "@usagekit/usage-api";

// A voice backend: a session's length is unknown when it starts, so it holds usage first.
const { db, close } = await createDb({ url: process.env.DATABASE_URL });
const api = createCaller(createTRPCContext({ db, auth: { type: "service" } }));
const userId = "user_2abc";

// 1. Before the first word: hold 10 minutes and a realtime session. Refused (FORBIDDEN with
//    limitExceeded) when they do not fit on top of this month's usage and the user's other holds.
const hold = await api.usage.reserveUsage({
  userId,
  idempotencyKey: "call-7d1e", // a retried start holds once
  expiresInSeconds: 15 * 60, // if the backend dies, the hold stops counting by itself
  seconds: 10 * 60,
  realtimeSessions: 1,
});

// 2. The learner wants more: hold 5 more minutes and spend a session extension.
try {
  await api.usage.extendReservation({
    reservationId: hold.reservationId,
    idempotencyKey: "call-7d1e-ext-1",
    expiresInSeconds: 15 * 60,
    seconds: 5 * 60,
    sessionExtensions: 1,
  });
} catch (error) {
  if (!isRefusal(error)) throw error; // at the limit: end the session when the hold runs out
}

// 3. The call ends: record what it used — one event, once — and free the rest of the hold.
const settled = await api.usage.settleReservation({
  reservationId: hold.reservationId,
  conversations: 1,
  realtimeSessions: 1,
  completedSessions: 1,
  seconds: 742,
  sessionExtensions: 1,
});

// Or, if the call failed on our side: take it back, with the reason (a negative ledger entry).
const month = await api.usage.correctUsage({
  userId,
  idempotencyKey: "refund-call-7d1e",
  correctsKey: `usagekit:reservation:${hold.reservationId}`, // the settled event's key
  reason: "the voice line dropped",
  conversations: 1,
  completedSessions: 1,
  seconds: 742,
});
console.log(settled.usage.seconds, month.seconds);
await close();
