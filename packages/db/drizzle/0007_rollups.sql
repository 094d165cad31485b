-- The analytics' rollups (usage-api `rollups/`): per user and UTC month (`rollup_months`, a
-- catalog table) and, folded with it, the cross-user aggregates the reports read, which hold no
-- user id: per month, tier and feature signs (`rollup_groups`), per month and practice seconds
-- (`rollup_seconds`), per cohort, first-month features and month (`rollup_cohorts`), and how far
-- the ledger is folded (`rollup_state`). Feature arrays and bits follow `rollup_state.features`.
CREATE TABLE "usagekit"."rollup_months" (
	"user_id" text NOT NULL,
	"month" date NOT NULL,
	"tier" text NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"last_id" bigint NOT NULL,
	"positive" bigint DEFAULT 0 NOT NULL,
	"negative" bigint DEFAULT 0 NOT NULL,
	"used" bigint DEFAULT 0 NOT NULL,
	"conversations" bigint DEFAULT 0 NOT NULL,
	"seconds" bigint DEFAULT 0 NOT NULL,
	"realtime_sessions" bigint DEFAULT 0 NOT NULL,
	"anki_exports" bigint DEFAULT 0 NOT NULL,
	"custom_phrases" bigint DEFAULT 0 NOT NULL,
	"advanced_voice_seconds" bigint DEFAULT 0 NOT NULL,
	"session_extensions" bigint DEFAULT 0 NOT NULL,
	"completed_sessions" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "rollup_months_user_id_month_pk" PRIMARY KEY("user_id","month")
);
--> statement-breakpoint
CREATE INDEX "rollup_months_month_last_at_idx" ON "usagekit"."rollup_months" USING btree ("month","last_at");--> statement-breakpoint
CREATE INDEX "rollup_months_month_top_idx" ON "usagekit"."rollup_months" USING btree ("month","seconds" DESC NULLS LAST,"user_id");--> statement-breakpoint
CREATE INDEX "monthly_usage_overage_seconds_idx" ON "usagekit"."monthly_usage" USING btree ("month") WHERE "usagekit"."monthly_usage"."overage_seconds" > 0;--> statement-breakpoint
CREATE INDEX "monthly_usage_granted_idx" ON "usagekit"."monthly_usage" USING btree ("month") WHERE "usagekit"."monthly_usage"."granted" <> '{}'::jsonb AND "usagekit"."monthly_usage"."month" >= '2000-01-01'::date;--> statement-breakpoint
CREATE INDEX "usage_events_id_brin_idx" ON "usagekit"."usage_events" USING brin ("id") WITH (autosummarize=true);--> statement-breakpoint
CREATE TABLE "usagekit"."rollup_groups" (
	"month" date NOT NULL,
	"tier" text NOT NULL,
	"positive" bigint NOT NULL,
	"negative" bigint NOT NULL,
	"users" bigint NOT NULL,
	"back" bigint NOT NULL,
	"totals" bigint[] NOT NULL,
	PRIMARY KEY ("month", "tier", "positive", "negative")
);
--> statement-breakpoint
CREATE TABLE "usagekit"."rollup_seconds" (
	"month" date NOT NULL,
	"seconds" bigint NOT NULL,
	"users" bigint NOT NULL,
	PRIMARY KEY ("month", "seconds")
);
--> statement-breakpoint
CREATE TABLE "usagekit"."rollup_cohorts" (
	"cohort" date NOT NULL,
	"used" bigint NOT NULL,
	"month" date NOT NULL,
	"users" bigint NOT NULL,
	PRIMARY KEY ("cohort", "used", "month")
);
--> statement-breakpoint
CREATE TABLE "usagekit"."rollup_state" (
	"one" boolean PRIMARY KEY DEFAULT true CHECK ("one"),
	"done_id" bigint NOT NULL DEFAULT 0,
	"features" text[],
	"refreshed_at" timestamp with time zone
);
--> statement-breakpoint
INSERT INTO "usagekit"."rollup_state" DEFAULT VALUES;
--> statement-breakpoint
-- Element-wise sum of two arrays of totals (a missing element counts 0).
CREATE FUNCTION "usagekit"."totals_add"(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i), '{}')
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;
