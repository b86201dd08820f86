ALTER TABLE `members` ADD `own_timezone` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `members` ADD `own_locale` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- What members chose with /steward me before this migration stays theirs (audit_log keeps each choice).
UPDATE `members` SET `own_timezone` = true WHERE `id` IN (SELECT `actor_id` FROM `audit_log` WHERE `action` = 'member.me' AND json_extract(`detail`, '$.timezone') IS NOT NULL);--> statement-breakpoint
UPDATE `members` SET `own_locale` = true WHERE `id` IN (SELECT `actor_id` FROM `audit_log` WHERE `action` = 'member.me' AND json_extract(`detail`, '$.locale') IS NOT NULL);
