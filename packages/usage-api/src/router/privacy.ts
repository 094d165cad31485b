import { eraseUser } from "../privacy/erase";
import { eraseUserInput } from "../schemas";
import { createTRPCRouter } from "../transport/trpc";
import type { Procedures } from "../transport/trpc";

/** A user's right to erasure (trusted backends only). */
export const privacyRouter = (p: Procedures) =>
  createTRPCRouter({
    eraseUser: p.service
      .input(eraseUserInput)
      .mutation(({ ctx, input }) => eraseUser(ctx.db, input)),
  });
