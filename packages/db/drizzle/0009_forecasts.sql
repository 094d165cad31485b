-- The forecasts kept for analytics.upgradeCandidates (the learners whose pace reaches a limit
-- this month), refreshed outside the write path; `forecast_state` says how far: the ledger id
-- folded into them, the catalog (its digest) and UTC month they were made for, the instant of the
-- last refresh (grants expiring since are re-read) and each time zone's local day then.
CREATE TABLE "usagekit"."forecast_dirty" (
	"user_id" text PRIMARY KEY NOT NULL,
	"v" bigserial NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usagekit"."forecasts" (
	"user_id" text NOT NULL,
	"feature" text NOT NULL,
	"tier" text NOT NULL,
	"plan_tier" text NOT NULL,
	"used" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"projected" bigint NOT NULL,
	"reaches" date NOT NULL,
	CONSTRAINT "forecasts_user_id_feature_pk" PRIMARY KEY("user_id","feature")
);
--> statement-breakpoint
CREATE INDEX "forecasts_plan_tier_user_id_idx" ON "usagekit"."forecasts" USING btree ("plan_tier","user_id");

--> statement-breakpoint
CREATE TABLE "usagekit"."forecast_state" (
	"one" boolean PRIMARY KEY DEFAULT true CHECK ("one"),
	"done_id" bigint NOT NULL DEFAULT 0,
	"catalog" text,
	"month" date,
	"at" timestamp with time zone,
	"zones" jsonb NOT NULL DEFAULT '{}'::jsonb
);
--> statement-breakpoint
INSERT INTO "usagekit"."forecast_state" DEFAULT VALUES;
