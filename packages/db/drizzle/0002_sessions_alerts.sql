CREATE TABLE "usagekit"."alerts" (
	"user_id" text NOT NULL,
	"id" bigserial NOT NULL,
	"month" date NOT NULL,
	"feature" text NOT NULL,
	"threshold" integer NOT NULL,
	"used" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	CONSTRAINT "alerts_user_id_id_pk" PRIMARY KEY("user_id","id")
);
--> statement-breakpoint
CREATE TABLE "usagekit"."reservations" (
	"user_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"conversations" integer DEFAULT 0 NOT NULL,
	"seconds" integer DEFAULT 0 NOT NULL,
	"realtime_sessions" integer DEFAULT 0 NOT NULL,
	"anki_exports" integer DEFAULT 0 NOT NULL,
	"custom_phrases" integer DEFAULT 0 NOT NULL,
	"advanced_voice_seconds" integer DEFAULT 0 NOT NULL,
	"session_extensions" integer DEFAULT 0 NOT NULL,
	"completed_sessions" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"extensions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"settled_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_user_id_id_pk" PRIMARY KEY("user_id","id")
);
--> statement-breakpoint
ALTER TABLE "usagekit"."usage_events" ADD COLUMN "corrects_key" text;--> statement-breakpoint
ALTER TABLE "usagekit"."usage_events" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "usagekit"."users" ADD COLUMN "holds" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_once" ON "usagekit"."alerts" USING btree ("user_id","month","feature","threshold");--> statement-breakpoint
CREATE INDEX "alerts_undelivered_idx" ON "usagekit"."alerts" USING btree ("next_attempt_at") WHERE "usagekit"."alerts"."delivered_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "reservations_id_unique" ON "usagekit"."reservations" USING btree ("id");--> statement-breakpoint
CREATE UNIQUE INDEX "reservations_user_id_idempotency_key_unique" ON "usagekit"."reservations" USING btree ("user_id","idempotency_key");