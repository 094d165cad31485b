CREATE TABLE "limit_refusals" (
	"user_id" uuid NOT NULL,
	"id" bigserial NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"tier" text NOT NULL,
	"feature" text NOT NULL,
	"used" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"requested" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "limit_refusals_user_id_id_pk" PRIMARY KEY("user_id","id")
);
--> statement-breakpoint
CREATE INDEX "limit_refusals_occurred_at_idx" ON "limit_refusals" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "usage_events_occurred_at_idx" ON "usage_events" USING btree ("occurred_at");