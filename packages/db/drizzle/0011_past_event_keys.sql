-- The keys of past months, moved out of usage_event_keys by usagekit's maintenance (the
-- rollups' timer, or moveKeys) so that the table every new key is written to stays small; a
-- claim looks here only where its user's Bloom filter of past keys (the second table) has all
-- of the key's bits. A key is kept in both tables until no snapshot older than its move is
-- left, then deleted from usage_event_keys.
CREATE TABLE "usagekit"."usage_event_keys_past" (
	"user_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"month" date NOT NULL,
	"moved_by" bigint DEFAULT (pg_current_xact_id()::text::bigint) NOT NULL,
	CONSTRAINT "usage_event_keys_past_user_id_idempotency_key_pk" PRIMARY KEY("user_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "usagekit"."usage_event_keys_past_filter" (
	"user_id" text PRIMARY KEY NOT NULL,
	"bits" bit(1024) NOT NULL
);
