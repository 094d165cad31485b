-- Each refusal keeps the local month it was refused in (the user's time zone then), so a later
-- zone change does not move it to another month. Refusals kept before this migration get the
-- month in the user's zone as it is now: the only zone known for them.
ALTER TABLE "usagekit"."limit_refusals" ADD COLUMN "month" date;--> statement-breakpoint
UPDATE "usagekit"."limit_refusals" r SET "month" = date_trunc('month', r.occurred_at AT TIME ZONE coalesce(
  (SELECT u.timezone FROM "usagekit"."users" u WHERE u.id = r.user_id), 'UTC'))::date;--> statement-breakpoint
ALTER TABLE "usagekit"."limit_refusals" ALTER COLUMN "month" SET NOT NULL;
