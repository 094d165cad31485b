import "server-only";
import { createCaller, isRefusal } from "@usagekit/usage-api";
import { desc, eq } from "drizzle-orm";
import { z } from "zod";
import { lessons } from "../schema";
import { router, signedInProcedure } from "../trpc";

export const lessonsRouter = router({
  list: signedInProcedure.query(({ ctx }) =>
    ctx.tutorDb
      .select()
      .from(lessons)
      .where(eq(lessons.userId, ctx.userId))
      .orderBy(desc(lessons.id))
      .limit(50),
  ),

  /**
   * Starts a lesson and counts it as a conversation, in one transaction of the host's. At the
   * plan's limit usagekit refuses (FORBIDDEN with limitExceeded); the transaction goes on: the
   * lesson is kept as `refused`, and the refusal is then passed on to the client.
   */
  start: signedInProcedure
    .input(z.strictObject({ topic: z.string().trim().min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const { lesson, refusal } = await ctx.tutorDb.transaction(async (tx) => {
        const [lesson] = await tx
          .insert(lessons)
          .values({ userId: ctx.userId, topic: input.topic, status: "started" })
          .returning();
        try {
          await createCaller({ ...ctx, db: tx }).usage.recordUsage({ conversations: 1 });
          return { lesson: lesson!, refusal: null };
        } catch (error) {
          if (!isRefusal(error)) throw error;
          const [refused] = await tx
            .update(lessons)
            .set({ status: "refused" })
            .where(eq(lessons.id, lesson!.id))
            .returning();
          return { lesson: refused!, refusal: error };
        }
      });
      if (refusal) throw refusal;
      return lesson;
    }),
});
