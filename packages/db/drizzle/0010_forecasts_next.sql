-- The forecasts of the zones whose local day turns next, made ahead for their new day;
-- `forecast_next_state` says for what: the instant (the zones' next local midnight), each zone's
-- new local day then, the catalog (its digest) and UTC month, and the ledger id folded into them.
CREATE TABLE "usagekit"."forecasts_next" (
	"user_id" text NOT NULL,
	"feature" text NOT NULL,
	"tier" text NOT NULL,
	"plan_tier" text NOT NULL,
	"used" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"projected" bigint NOT NULL,
	"reaches" date NOT NULL,
	CONSTRAINT "forecasts_next_user_id_feature_pk" PRIMARY KEY("user_id","feature")
);
--> statement-breakpoint
CREATE TABLE "usagekit"."forecast_next_state" (
	"one" boolean PRIMARY KEY DEFAULT true CHECK ("one"),
	"done_id" bigint NOT NULL DEFAULT 0,
	"catalog" text,
	"month" date,
	"at" timestamp with time zone,
	"zones" jsonb NOT NULL DEFAULT '{}'::jsonb
);
--> statement-breakpoint
INSERT INTO "usagekit"."forecast_next_state" DEFAULT VALUES;
