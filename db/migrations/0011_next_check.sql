ALTER TABLE `accounts` ADD `next_check_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `accounts_next_check` ON `accounts` (`tenant_id`,`next_check_at`);--> statement-breakpoint
-- What can bring an account's next check earlier marks it for a check at once (next_check_at = 0).
-- No rule lives here: the sweep (src/domain/sweep.ts) decides from the source rows and writes the next moment.
-- New accounts start at 0 (the column's default). A PostgreSQL port writes the same marks as trigger functions.
CREATE TRIGGER `accounts_recheck` AFTER UPDATE OF `tier`, `cadence_days`, `owner_id`, `status`, `created_at`, `tenant_id` ON `accounts`
WHEN OLD.`tier` IS NOT NEW.`tier` OR OLD.`cadence_days` IS NOT NEW.`cadence_days` OR OLD.`owner_id` IS NOT NEW.`owner_id`
  OR OLD.`status` IS NOT NEW.`status` OR OLD.`created_at` IS NOT NEW.`created_at` OR OLD.`tenant_id` IS NOT NEW.`tenant_id`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_recheck_insert` AFTER INSERT ON `touchpoints`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = NEW.`account_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_recheck_update` AFTER UPDATE OF `account_id`, `kind`, `occurred_at`, `member_id` ON `touchpoints`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` IN (OLD.`account_id`, NEW.`account_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `touchpoints_recheck_delete` AFTER DELETE ON `touchpoints`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = OLD.`account_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `touchpoint_participants_recheck_insert` AFTER INSERT ON `touchpoint_participants`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = (SELECT `account_id` FROM `touchpoints` WHERE `id` = NEW.`touchpoint_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `touchpoint_participants_recheck_delete` AFTER DELETE ON `touchpoint_participants`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = (SELECT `account_id` FROM `touchpoints` WHERE `id` = OLD.`touchpoint_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `nudge_snoozes_recheck_insert` AFTER INSERT ON `nudge_snoozes` WHEN NEW.`kind` = 'revisit'
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = NEW.`subject_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `nudge_snoozes_recheck_update` AFTER UPDATE ON `nudge_snoozes` WHEN OLD.`kind` = 'revisit' OR NEW.`kind` = 'revisit'
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` IN (OLD.`subject_id`, NEW.`subject_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `nudge_snoozes_recheck_delete` AFTER DELETE ON `nudge_snoozes` WHEN OLD.`kind` = 'revisit'
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = OLD.`subject_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pairings_recheck_insert` AFTER INSERT ON `pairings`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = NEW.`account_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pairings_recheck_update` AFTER UPDATE OF `account_id`, `exec_id`, `active`, `cadence_days`, `created_at` ON `pairings`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` IN (OLD.`account_id`, NEW.`account_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `pairings_recheck_delete` AFTER DELETE ON `pairings`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = OLD.`account_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `review_items_recheck_update` AFTER UPDATE OF `account_id`, `season` ON `review_items`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` IN (OLD.`account_id`, NEW.`account_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `review_items_recheck_delete` AFTER DELETE ON `review_items`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = OLD.`account_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `tenants_recheck` AFTER UPDATE OF `settings`, `timezone` ON `tenants`
WHEN OLD.`settings` IS NOT NEW.`settings` OR OLD.`timezone` IS NOT NEW.`timezone`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `tenant_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `members_recheck` AFTER UPDATE OF `active`, `manager_id` ON `members`
WHEN OLD.`active` IS NOT NEW.`active` OR OLD.`manager_id` IS NOT NEW.`manager_id`
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `owner_id` = NEW.`id`;
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `owner_id` IN (SELECT `id` FROM `members` WHERE `manager_id` = NEW.`id`);
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` IN (SELECT `account_id` FROM `pairings` WHERE `exec_id` = NEW.`id`);
END;
--> statement-breakpoint
-- A revisit or leadership nudge taken back (deleted) is to be decided again.
CREATE TRIGGER `nudges_recheck_delete` AFTER DELETE ON `nudges` WHEN OLD.`kind` IN ('revisit', 'pairing')
BEGIN
  UPDATE `accounts` SET `next_check_at` = 0 WHERE `id` = CASE OLD.`kind` WHEN 'revisit' THEN OLD.`subject_id` ELSE (SELECT `account_id` FROM `pairings` WHERE `id` = OLD.`subject_id`) END;
END;
