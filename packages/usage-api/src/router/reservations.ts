import type { CatalogShape } from "@usagekit/db/catalog";
import { extendReservation, reserveUsage } from "../reservations/reserve";
import { releaseReservation, settleReservation } from "../reservations/settle";
import { releaseReservationInput } from "../schemas";
import { catalogWrite } from "../transport/catalog-input";
import type { CatalogInputTypes } from "../transport/catalog-input";
import { createTRPCRouter } from "../transport/trpc";
import type { Procedures } from "../transport/trpc";
import type { RecordUsageResultOf } from "./outputs";

/** Live sessions: hold, extend, settle or release (trusted backends only). */
export const reservationsRouter = <C extends CatalogShape>(
  p: Procedures,
  types: CatalogInputTypes<C>,
) =>
  createTRPCRouter({
    reserveUsage: catalogWrite(p.service, "reserveUsageInput", types.reserveUsage, reserveUsage),
    extendReservation: catalogWrite(
      p.service,
      "extendReservationInput",
      types.extendReservation,
      extendReservation,
    ),
    settleReservation: catalogWrite(
      p.service,
      "settleReservationInput",
      types.settleReservation,
      async (db, params) =>
        (await settleReservation(db, params)) as unknown as RecordUsageResultOf<C>,
    ),
    releaseReservation: p.service
      .input(releaseReservationInput)
      .mutation(({ ctx, input }) =>
        releaseReservation(ctx.db, { ...input, now: ctx.now(), tiers: ctx.tiers }),
      ),
  });
