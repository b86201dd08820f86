ALTER TABLE `complaints` ADD `next_check_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `promises` ADD `next_check_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A promise's or complaint's next check (src/domain/sweep.ts) is marked 0, "check at once", by any change to
-- it but the sweep's own writing of the check, and by the changes elsewhere its steps depend on. No rule here.
CREATE TRIGGER `promises_recheck` AFTER UPDATE ON `promises` WHEN NEW.`next_check_at` IS OLD.`next_check_at`
BEGIN
  UPDATE `promises` SET `next_check_at` = 0 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `promise_moves_recheck` AFTER INSERT ON `promise_moves`
BEGIN
  UPDATE `promises` SET `next_check_at` = 0 WHERE `id` = NEW.`promise_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `complaints_recheck` AFTER UPDATE ON `complaints` WHEN NEW.`next_check_at` IS OLD.`next_check_at`
BEGIN
  UPDATE `complaints` SET `next_check_at` = 0 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `accounts_recheck_promises_complaints` AFTER UPDATE OF `status`, `tenant_id` ON `accounts`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`tenant_id` IS NOT NEW.`tenant_id`
BEGIN
  UPDATE `promises` SET `next_check_at` = 0 WHERE `account_id` = NEW.`id`;
  UPDATE `complaints` SET `next_check_at` = 0 WHERE `account_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `tenants_recheck_promises_complaints` AFTER UPDATE OF `settings`, `timezone` ON `tenants`
WHEN OLD.`settings` IS NOT NEW.`settings` OR OLD.`timezone` IS NOT NEW.`timezone`
BEGIN
  UPDATE `promises` SET `next_check_at` = 0 WHERE `tenant_id` = NEW.`id`;
  UPDATE `complaints` SET `next_check_at` = 0 WHERE `tenant_id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `members_recheck_promises` AFTER UPDATE OF `active`, `manager_id`, `timezone` ON `members`
WHEN OLD.`active` IS NOT NEW.`active` OR OLD.`manager_id` IS NOT NEW.`manager_id` OR OLD.`timezone` IS NOT NEW.`timezone`
BEGIN
  UPDATE `promises` SET `next_check_at` = 0 WHERE `owner_id` = NEW.`id`;
  UPDATE `promises` SET `next_check_at` = 0 WHERE `owner_id` IN (SELECT `id` FROM `members` WHERE `manager_id` = NEW.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `nudges_recheck_promises_complaints` AFTER DELETE ON `nudges` WHEN OLD.`kind` IN ('promise', 'escalation')
BEGIN
  UPDATE `promises` SET `next_check_at` = 0 WHERE OLD.`kind` = 'promise' AND `id` = OLD.`subject_id`;
  UPDATE `complaints` SET `next_check_at` = 0 WHERE OLD.`kind` = 'escalation' AND `id` = OLD.`subject_id`;
END;
