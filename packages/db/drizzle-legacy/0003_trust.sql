ALTER TABLE "lifetime_stats" ALTER COLUMN "total_revenue" SET DATA TYPE numeric(20, 2);--> statement-breakpoint
ALTER TABLE "lifetime_stats" ALTER COLUMN "total_revenue" SET DEFAULT '0.00';--> statement-breakpoint
ALTER TABLE "limit_refusals" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "limit_refusals_user_id_idempotency_key_unique" ON "limit_refusals" USING btree ("user_id","idempotency_key");--> statement-breakpoint
-- A refusal names what refused it: the enforcing statement calls this with the feature, the usage
-- on the row's latest version, the limit and the amount requested, and the caller reads them from
-- the error's DETAIL (SQLSTATE UK001). Nothing of the refused event stays.
CREATE OR REPLACE FUNCTION usagekit_limit_exceeded(detail jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'usagekit: limit exceeded' USING ERRCODE = 'UK001', DETAIL = detail::text;
END
$$;
