-- The triggers of db/migrations 0010 (complaint card redraw), 0011 and 0012 (next_check_at = 0 marks) in
-- PostgreSQL: each SQLite trigger is a plpgsql function and a trigger of the same name, with the same WHEN
-- (as IS DISTINCT FROM) and the same writes. Two differences of form, none of effect:
-- - a row's mark on itself (accounts_recheck, promises_recheck, complaints_recheck) is a BEFORE trigger that
--   sets NEW."next_check_at" = 0, where SQLite's AFTER trigger updates the row again: PostgreSQL triggers
--   recurse (SQLite's do not unless recursive_triggers is on), and "mark when next_check_at is unchanged"
--   updating its own row would fire itself for ever on a row already at 0. The row ends at 0 either way.
-- - a WHEN with a subquery (the card's pending notice) is asked inside the function: PostgreSQL's WHEN takes none.

CREATE FUNCTION "complaint_card_redraw"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."thread_ts" IS NOT NULL
    OR EXISTS (SELECT 1 FROM "nudges" WHERE "subject_type" = 'complaint' AND "subject_id" = NEW."id" AND "kind" = 'notice' AND "channel" IS NOT NULL AND "recipient_id" IS NULL AND "status" IN ('pending', 'sending'))
  THEN
    INSERT INTO "nudges" ("tenant_id", "dedupe_key", "kind", "subject_type", "subject_id", "channel", "period", "payload", "not_before", "created_at")
    VALUES (NEW."tenant_id", 'card:' || NEW."id" || ':' || left(replace(gen_random_uuid()::text, '-', ''), 16), 'card', 'complaint', NEW."id", NEW."thread_channel",
      to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), NULL, NULL, (floor(extract(epoch from statement_timestamp()) * 1000))::bigint);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "complaint_card_redraw" AFTER UPDATE ON "complaints" FOR EACH ROW
WHEN (
  OLD."status" IS DISTINCT FROM NEW."status" OR OLD."owner_id" IS DISTINCT FROM NEW."owner_id" OR OLD."escalation_level" IS DISTINCT FROM NEW."escalation_level"
  OR OLD."resolution" IS DISTINCT FROM NEW."resolution" OR OLD."resolved_at" IS DISTINCT FROM NEW."resolved_at" OR OLD."deadline_at" IS DISTINCT FROM NEW."deadline_at"
  OR OLD."reopen_count" IS DISTINCT FROM NEW."reopen_count" OR OLD."severity" IS DISTINCT FROM NEW."severity" OR OLD."category" IS DISTINCT FROM NEW."category"
  OR OLD."summary" IS DISTINCT FROM NEW."summary"
) EXECUTE FUNCTION "complaint_card_redraw"();
--> statement-breakpoint
-- 0011: what can bring an account's next check earlier marks it for a check at once (next_check_at = 0).
CREATE FUNCTION "accounts_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."next_check_at" := 0;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "accounts_recheck" BEFORE UPDATE OF "tier", "cadence_days", "owner_id", "status", "created_at", "tenant_id" ON "accounts" FOR EACH ROW
WHEN (OLD."tier" IS DISTINCT FROM NEW."tier" OR OLD."cadence_days" IS DISTINCT FROM NEW."cadence_days" OR OLD."owner_id" IS DISTINCT FROM NEW."owner_id"
  OR OLD."status" IS DISTINCT FROM NEW."status" OR OLD."created_at" IS DISTINCT FROM NEW."created_at" OR OLD."tenant_id" IS DISTINCT FROM NEW."tenant_id")
EXECUTE FUNCTION "accounts_recheck"();
--> statement-breakpoint
CREATE FUNCTION "touchpoints_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = NEW."account_id";
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" IN (OLD."account_id", NEW."account_id");
  ELSE
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = OLD."account_id";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "touchpoints_recheck_insert" AFTER INSERT ON "touchpoints" FOR EACH ROW EXECUTE FUNCTION "touchpoints_recheck"();
--> statement-breakpoint
CREATE TRIGGER "touchpoints_recheck_update" AFTER UPDATE OF "account_id", "kind", "occurred_at", "member_id" ON "touchpoints" FOR EACH ROW EXECUTE FUNCTION "touchpoints_recheck"();
--> statement-breakpoint
CREATE TRIGGER "touchpoints_recheck_delete" AFTER DELETE ON "touchpoints" FOR EACH ROW EXECUTE FUNCTION "touchpoints_recheck"();
--> statement-breakpoint
CREATE FUNCTION "touchpoint_participants_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = (SELECT "account_id" FROM "touchpoints" WHERE "id" = NEW."touchpoint_id");
  ELSE
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = (SELECT "account_id" FROM "touchpoints" WHERE "id" = OLD."touchpoint_id");
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "touchpoint_participants_recheck_insert" AFTER INSERT ON "touchpoint_participants" FOR EACH ROW EXECUTE FUNCTION "touchpoint_participants_recheck"();
--> statement-breakpoint
CREATE TRIGGER "touchpoint_participants_recheck_delete" AFTER DELETE ON "touchpoint_participants" FOR EACH ROW EXECUTE FUNCTION "touchpoint_participants_recheck"();
--> statement-breakpoint
CREATE FUNCTION "nudge_snoozes_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = NEW."subject_id";
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" IN (OLD."subject_id", NEW."subject_id");
  ELSE
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = OLD."subject_id";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "nudge_snoozes_recheck_insert" AFTER INSERT ON "nudge_snoozes" FOR EACH ROW WHEN (NEW."kind" = 'revisit') EXECUTE FUNCTION "nudge_snoozes_recheck"();
--> statement-breakpoint
CREATE TRIGGER "nudge_snoozes_recheck_update" AFTER UPDATE ON "nudge_snoozes" FOR EACH ROW WHEN (OLD."kind" = 'revisit' OR NEW."kind" = 'revisit') EXECUTE FUNCTION "nudge_snoozes_recheck"();
--> statement-breakpoint
CREATE TRIGGER "nudge_snoozes_recheck_delete" AFTER DELETE ON "nudge_snoozes" FOR EACH ROW WHEN (OLD."kind" = 'revisit') EXECUTE FUNCTION "nudge_snoozes_recheck"();
--> statement-breakpoint
CREATE FUNCTION "pairings_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = NEW."account_id";
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" IN (OLD."account_id", NEW."account_id");
  ELSE
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = OLD."account_id";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "pairings_recheck_insert" AFTER INSERT ON "pairings" FOR EACH ROW EXECUTE FUNCTION "pairings_recheck"();
--> statement-breakpoint
CREATE TRIGGER "pairings_recheck_update" AFTER UPDATE OF "account_id", "exec_id", "active", "cadence_days", "created_at" ON "pairings" FOR EACH ROW EXECUTE FUNCTION "pairings_recheck"();
--> statement-breakpoint
CREATE TRIGGER "pairings_recheck_delete" AFTER DELETE ON "pairings" FOR EACH ROW EXECUTE FUNCTION "pairings_recheck"();
--> statement-breakpoint
CREATE FUNCTION "review_items_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" IN (OLD."account_id", NEW."account_id");
  ELSE
    UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" = OLD."account_id";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "review_items_recheck_update" AFTER UPDATE OF "account_id", "season" ON "review_items" FOR EACH ROW EXECUTE FUNCTION "review_items_recheck"();
--> statement-breakpoint
CREATE TRIGGER "review_items_recheck_delete" AFTER DELETE ON "review_items" FOR EACH ROW EXECUTE FUNCTION "review_items_recheck"();
--> statement-breakpoint
CREATE FUNCTION "tenants_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "accounts" SET "next_check_at" = 0 WHERE "tenant_id" = NEW."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tenants_recheck" AFTER UPDATE OF "settings", "timezone" ON "tenants" FOR EACH ROW
WHEN (OLD."settings" IS DISTINCT FROM NEW."settings" OR OLD."timezone" IS DISTINCT FROM NEW."timezone")
EXECUTE FUNCTION "tenants_recheck"();
--> statement-breakpoint
CREATE FUNCTION "members_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "accounts" SET "next_check_at" = 0 WHERE "owner_id" = NEW."id";
  UPDATE "accounts" SET "next_check_at" = 0 WHERE "owner_id" IN (SELECT "id" FROM "members" WHERE "manager_id" = NEW."id");
  UPDATE "accounts" SET "next_check_at" = 0 WHERE "id" IN (SELECT "account_id" FROM "pairings" WHERE "exec_id" = NEW."id");
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "members_recheck" AFTER UPDATE OF "active", "manager_id" ON "members" FOR EACH ROW
WHEN (OLD."active" IS DISTINCT FROM NEW."active" OR OLD."manager_id" IS DISTINCT FROM NEW."manager_id")
EXECUTE FUNCTION "members_recheck"();
--> statement-breakpoint
-- A revisit or leadership nudge taken back (deleted) is to be decided again.
CREATE FUNCTION "nudges_recheck_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "accounts" SET "next_check_at" = 0
  WHERE "id" = CASE OLD."kind" WHEN 'revisit' THEN OLD."subject_id" ELSE (SELECT "account_id" FROM "pairings" WHERE "id" = OLD."subject_id") END;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "nudges_recheck_delete" AFTER DELETE ON "nudges" FOR EACH ROW WHEN (OLD."kind" IN ('revisit', 'pairing')) EXECUTE FUNCTION "nudges_recheck_delete"();
--> statement-breakpoint
-- 0012: a promise's or complaint's next check is marked 0 by any change to it but the sweep's own writing of
-- the check, and by the changes elsewhere its steps depend on.
CREATE FUNCTION "row_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."next_check_at" := 0;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "promises_recheck" BEFORE UPDATE ON "promises" FOR EACH ROW
WHEN (NEW."next_check_at" IS NOT DISTINCT FROM OLD."next_check_at") EXECUTE FUNCTION "row_recheck"();
--> statement-breakpoint
CREATE TRIGGER "complaints_recheck" BEFORE UPDATE ON "complaints" FOR EACH ROW
WHEN (NEW."next_check_at" IS NOT DISTINCT FROM OLD."next_check_at") EXECUTE FUNCTION "row_recheck"();
--> statement-breakpoint
CREATE FUNCTION "promise_moves_recheck"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "promises" SET "next_check_at" = 0 WHERE "id" = NEW."promise_id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "promise_moves_recheck" AFTER INSERT ON "promise_moves" FOR EACH ROW EXECUTE FUNCTION "promise_moves_recheck"();
--> statement-breakpoint
CREATE FUNCTION "accounts_recheck_promises_complaints"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "promises" SET "next_check_at" = 0 WHERE "account_id" = NEW."id";
  UPDATE "complaints" SET "next_check_at" = 0 WHERE "account_id" = NEW."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "accounts_recheck_promises_complaints" AFTER UPDATE OF "status", "tenant_id" ON "accounts" FOR EACH ROW
WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."tenant_id" IS DISTINCT FROM NEW."tenant_id")
EXECUTE FUNCTION "accounts_recheck_promises_complaints"();
--> statement-breakpoint
CREATE FUNCTION "tenants_recheck_promises_complaints"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "promises" SET "next_check_at" = 0 WHERE "tenant_id" = NEW."id";
  UPDATE "complaints" SET "next_check_at" = 0 WHERE "tenant_id" = NEW."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tenants_recheck_promises_complaints" AFTER UPDATE OF "settings", "timezone" ON "tenants" FOR EACH ROW
WHEN (OLD."settings" IS DISTINCT FROM NEW."settings" OR OLD."timezone" IS DISTINCT FROM NEW."timezone")
EXECUTE FUNCTION "tenants_recheck_promises_complaints"();
--> statement-breakpoint
CREATE FUNCTION "members_recheck_promises"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "promises" SET "next_check_at" = 0 WHERE "owner_id" = NEW."id";
  UPDATE "promises" SET "next_check_at" = 0 WHERE "owner_id" IN (SELECT "id" FROM "members" WHERE "manager_id" = NEW."id");
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "members_recheck_promises" AFTER UPDATE OF "active", "manager_id", "timezone" ON "members" FOR EACH ROW
WHEN (OLD."active" IS DISTINCT FROM NEW."active" OR OLD."manager_id" IS DISTINCT FROM NEW."manager_id" OR OLD."timezone" IS DISTINCT FROM NEW."timezone")
EXECUTE FUNCTION "members_recheck_promises"();
--> statement-breakpoint
CREATE FUNCTION "nudges_recheck_promises_complaints"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "promises" SET "next_check_at" = 0 WHERE OLD."kind" = 'promise' AND "id" = OLD."subject_id";
  UPDATE "complaints" SET "next_check_at" = 0 WHERE OLD."kind" = 'escalation' AND "id" = OLD."subject_id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "nudges_recheck_promises_complaints" AFTER DELETE ON "nudges" FOR EACH ROW WHEN (OLD."kind" IN ('promise', 'escalation')) EXECUTE FUNCTION "nudges_recheck_promises_complaints"();
