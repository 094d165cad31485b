-- What the retention command (`retention --keep-months N`) keeps of the ledger months it drops.
CREATE TABLE "usagekit"."ledger_retained" (
	"user_id" text PRIMARY KEY NOT NULL,
	"kept_from" date NOT NULL,
	"conversations" bigint DEFAULT 0 NOT NULL,
	"seconds" bigint DEFAULT 0 NOT NULL,
	"realtime_sessions" bigint DEFAULT 0 NOT NULL,
	"anki_exports" bigint DEFAULT 0 NOT NULL,
	"custom_phrases" bigint DEFAULT 0 NOT NULL,
	"advanced_voice_seconds" bigint DEFAULT 0 NOT NULL,
	"session_extensions" bigint DEFAULT 0 NOT NULL,
	"completed_sessions" bigint DEFAULT 0 NOT NULL,
	"first_active_at" timestamp with time zone,
	"first_conversation_at" timestamp with time zone,
	"last_active_at" timestamp with time zone,
	"granted" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"milestones" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usagekit"."retained_overage" (
	"user_id" text NOT NULL,
	"month" date NOT NULL,
	"tier" text NOT NULL,
	"feature" text NOT NULL,
	"units" bigint NOT NULL,
	CONSTRAINT "retained_overage_user_id_month_tier_feature_pk" PRIMARY KEY("user_id","month","tier","feature")
);
