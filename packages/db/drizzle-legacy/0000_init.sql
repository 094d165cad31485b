CREATE TABLE "daily_activity" (
	"user_id" uuid NOT NULL,
	"day" date NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "daily_activity_user_id_day_pk" PRIMARY KEY("user_id","day")
);
--> statement-breakpoint
CREATE TABLE "lifetime_stats" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"total_conversations" bigint DEFAULT 0 NOT NULL,
	"total_seconds" bigint DEFAULT 0 NOT NULL,
	"total_realtime_sessions" bigint DEFAULT 0 NOT NULL,
	"total_anki_exports" bigint DEFAULT 0 NOT NULL,
	"total_custom_phrases" bigint DEFAULT 0 NOT NULL,
	"total_advanced_voice_seconds" bigint DEFAULT 0 NOT NULL,
	"total_session_extensions" bigint DEFAULT 0 NOT NULL,
	"total_completed_sessions" bigint DEFAULT 0 NOT NULL,
	"days_active" integer DEFAULT 0 NOT NULL,
	"first_active_at" timestamp with time zone,
	"first_conversation_at" timestamp with time zone,
	"last_active_at" timestamp with time zone,
	"months_subscribed" integer DEFAULT 0 NOT NULL,
	"total_revenue" numeric(14, 2) DEFAULT '0.00' NOT NULL,
	"highest_tier_reached" text DEFAULT 'free' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "monthly_usage" (
	"user_id" uuid NOT NULL,
	"month" date NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"conversations" bigint DEFAULT 0 NOT NULL,
	"seconds" bigint DEFAULT 0 NOT NULL,
	"realtime_sessions" bigint DEFAULT 0 NOT NULL,
	"anki_exports_used" bigint DEFAULT 0 NOT NULL,
	"custom_phrases_created" bigint DEFAULT 0 NOT NULL,
	"advanced_voice_seconds" bigint DEFAULT 0 NOT NULL,
	"session_extensions_used" bigint DEFAULT 0 NOT NULL,
	"completed_sessions" bigint DEFAULT 0 NOT NULL,
	"completed_session_seconds" bigint DEFAULT 0 NOT NULL,
	"longest_session" bigint DEFAULT 0 NOT NULL,
	"overage_seconds" bigint DEFAULT 0 NOT NULL,
	"tier_when_used" text NOT NULL,
	"last_event_at" timestamp with time zone NOT NULL,
	"last_conversation_at" timestamp with time zone,
	"last_realtime_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "monthly_usage_user_id_month_pk" PRIMARY KEY("user_id","month")
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"user_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"tier" text NOT NULL,
	"amount" numeric(12, 2) NOT NULL,
	"paid_at" timestamp with time zone NOT NULL,
	"month" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_user_id_idempotency_key_pk" PRIMARY KEY("user_id","idempotency_key"),
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."amount" > 0),
	CONSTRAINT "payments_tier_check" CHECK (tier in ('free', 'plus', 'pro'))
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"user_id" uuid NOT NULL,
	"id" bigserial NOT NULL,
	"idempotency_key" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"month" date NOT NULL,
	"day" date NOT NULL,
	"tier" text NOT NULL,
	"conversations" integer DEFAULT 0 NOT NULL,
	"seconds" integer DEFAULT 0 NOT NULL,
	"realtime_sessions" integer DEFAULT 0 NOT NULL,
	"anki_exports" integer DEFAULT 0 NOT NULL,
	"custom_phrases" integer DEFAULT 0 NOT NULL,
	"advanced_voice_seconds" integer DEFAULT 0 NOT NULL,
	"session_extensions" integer DEFAULT 0 NOT NULL,
	"completed_sessions" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_events_user_id_id_pk" PRIMARY KEY("user_id","id")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tier" text DEFAULT 'free' NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_tier_check" CHECK (tier in ('free', 'plus', 'pro'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "usage_events_user_id_idempotency_key_unique" ON "usage_events" USING btree ("user_id","idempotency_key");