-- The ledger, partitioned by local month (PARTITION BY RANGE (month)): one partition per month,
-- named usage_events_YYYY_MM, and usage_events_default for any month without one, so a write
-- never fails for want of a partition. An existing installation's rows move into the new table
-- month by month (a NOTICE per month), keeping their ids and the id sequence. A key's uniqueness
-- for its user across months moves to usage_event_keys (a partition's unique index holds only
-- within the partition).
CREATE TABLE "usagekit"."usage_event_keys" (
	"user_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"month" date NOT NULL,
	CONSTRAINT "usage_event_keys_user_id_idempotency_key_pk" PRIMARY KEY("user_id","idempotency_key")
);
--> statement-breakpoint
ALTER TABLE "usagekit"."usage_events" RENAME TO "usage_events_unpartitioned";--> statement-breakpoint
DROP INDEX "usagekit"."usage_events_user_id_idempotency_key_unique";--> statement-breakpoint
DROP INDEX "usagekit"."usage_events_occurred_at_idx";--> statement-breakpoint
CREATE TABLE "usagekit"."usage_events" (LIKE "usagekit"."usage_events_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("month");--> statement-breakpoint
ALTER SEQUENCE "usagekit"."usage_events_id_seq" OWNED BY "usagekit"."usage_events"."id";--> statement-breakpoint
ALTER TABLE "usagekit"."usage_events" ADD CONSTRAINT "usage_events_user_id_month_id_pk" PRIMARY KEY("user_id","month","id");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_events_user_id_idempotency_key_month_unique" ON "usagekit"."usage_events" USING btree ("user_id","idempotency_key","month");--> statement-breakpoint
CREATE INDEX "usage_events_occurred_at_idx" ON "usagekit"."usage_events" USING btree ("occurred_at");--> statement-breakpoint
CREATE TABLE "usagekit"."usage_events_default" PARTITION OF "usagekit"."usage_events" DEFAULT;--> statement-breakpoint
-- Makes the ledger's partitions for the months from `first_month` to `last_month` that have none.
-- Rows of such a month already in the default partition move into the new one, in the same
-- transaction. Serialized by a transaction lock, so servers starting together make each once.
-- Answers how many partitions it made.
CREATE FUNCTION "usagekit"."ensure_ledger_partitions"(first_month date, last_month date) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  m date := date_trunc('month', first_month)::date;
  part text;
  made int := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('usagekit.ensure_ledger_partitions'));
  WHILE m <= last_month LOOP
    part := 'usage_events_' || to_char(m, 'YYYY_MM');
    IF to_regclass(format('usagekit.%I', part)) IS NULL THEN
      EXECUTE format('CREATE TABLE usagekit.%I (LIKE usagekit.usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
      EXECUTE format('WITH moved AS (DELETE FROM usagekit.usage_events_default WHERE month >= %L AND month < %L RETURNING *) INSERT INTO usagekit.%I SELECT * FROM moved',
        m, (m + interval '1 month')::date, part);
      EXECUTE format('ALTER TABLE usagekit.usage_events ATTACH PARTITION usagekit.%I FOR VALUES FROM (%L) TO (%L)',
        part, m, (m + interval '1 month')::date);
      made := made + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN made;
END
$$;--> statement-breakpoint
-- Last month and the year ahead, then each month the installation holds, with its rows.
DO $$
DECLARE
  r record;
  total bigint := 0;
BEGIN
  PERFORM usagekit.ensure_ledger_partitions((current_date - interval '1 month')::date,
    (current_date + interval '12 months')::date);
  FOR r IN SELECT DISTINCT month FROM usagekit.usage_events_unpartitioned ORDER BY month LOOP
    PERFORM usagekit.ensure_ledger_partitions(r.month, r.month);
    INSERT INTO usagekit.usage_events SELECT * FROM usagekit.usage_events_unpartitioned WHERE month = r.month;
    GET DIAGNOSTICS total = ROW_COUNT;
    RAISE NOTICE 'usagekit: ledger month % moved into its partition (% rows)', to_char(r.month, 'YYYY-MM'), total;
  END LOOP;
END
$$;--> statement-breakpoint
INSERT INTO "usagekit"."usage_event_keys" (user_id, idempotency_key, month)
SELECT user_id, idempotency_key, month FROM "usagekit"."usage_events_unpartitioned" WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
DROP TABLE "usagekit"."usage_events_unpartitioned";
