CREATE TABLE "usagekit"."grants" (
	"user_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"feature" text NOT NULL,
	"amount" bigint NOT NULL,
	"remaining" bigint NOT NULL,
	"expires_at" timestamp with time zone,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "grants_user_id_id_pk" PRIMARY KEY("user_id","id"),
	CONSTRAINT "grants_remaining_check" CHECK ("usagekit"."grants"."remaining" >= 0 AND "usagekit"."grants"."remaining" <= "usagekit"."grants"."amount")
);
--> statement-breakpoint
DROP INDEX "usagekit"."reservations_id_unique";--> statement-breakpoint
ALTER TABLE "usagekit"."monthly_usage" ADD COLUMN "granted" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "usagekit"."payments" ADD COLUMN "kind" text DEFAULT 'subscription' NOT NULL;--> statement-breakpoint
ALTER TABLE "usagekit"."usage_events" ADD COLUMN "granted" jsonb;--> statement-breakpoint
ALTER TABLE "usagekit"."usage_events" ADD COLUMN "covered" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "grants_user_id_idempotency_key_unique" ON "usagekit"."grants" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "grants_live_idx" ON "usagekit"."grants" USING btree ("user_id") WHERE "usagekit"."grants"."remaining" > 0;--> statement-breakpoint
CREATE INDEX "reservations_id_idx" ON "usagekit"."reservations" USING btree ("id");--> statement-breakpoint
ALTER TABLE "usagekit"."payments" ADD CONSTRAINT "payments_kind_check" CHECK ("usagekit"."payments"."kind" in ('subscription', 'topUp'));--> statement-breakpoint
-- Per-feature amounts kept as JSON objects (`{ "seconds": 60 }`), added key by key: the ledger's and
-- the month rows' `granted`. Zeros are dropped, so nothing taken reads as `{}`.
CREATE FUNCTION "usagekit"."jsonb_add"(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(jsonb_object_agg(k, s), '{}'::jsonb)
  FROM (SELECT k, sum(v::bigint) AS s
    FROM (SELECT * FROM jsonb_each_text(coalesce(a, '{}'::jsonb))
      UNION ALL SELECT * FROM jsonb_each_text(coalesce(b, '{}'::jsonb))) x(k, v)
    GROUP BY k HAVING sum(v::bigint) <> 0) y
$$;--> statement-breakpoint
CREATE AGGREGATE "usagekit"."jsonb_sum"(jsonb) (SFUNC = "usagekit"."jsonb_add", STYPE = jsonb, INITCOND = '{}');
