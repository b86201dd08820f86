CREATE TABLE `complaint_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`complaint_id` integer NOT NULL,
	`kind` text NOT NULL,
	`actor_id` integer,
	`from_id` integer,
	`to_id` integer,
	`text` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`complaint_id`) REFERENCES `complaints`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`from_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`to_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `complaint_events_complaint` ON `complaint_events` (`complaint_id`,`at`);--> statement-breakpoint
ALTER TABLE `complaints` ADD `first_answer_at` integer;--> statement-breakpoint
ALTER TABLE `complaints` ADD `reopen_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `complaints` ADD `reopened_at` integer;--> statement-breakpoint
-- The passes and resolutions recorded before this table, from the audit log; the first answer, from them (someone taking it, its resolution).
INSERT INTO `complaint_events` (`tenant_id`, `complaint_id`, `kind`, `actor_id`, `from_id`, `to_id`, `at`)
SELECT l.`tenant_id`, l.`entity_id`, 'pass', l.`actor_id`, json_extract(l.`detail`, '$.from'), json_extract(l.`detail`, '$.to'), l.`at`
FROM `audit_log` l JOIN `complaints` c ON c.`id` = l.`entity_id`
WHERE l.`action` = 'complaint.assign' AND l.`entity` = 'complaint'
  AND (json_extract(l.`detail`, '$.from') IS NULL OR json_extract(l.`detail`, '$.from') IN (SELECT `id` FROM `members`))
  AND json_extract(l.`detail`, '$.to') IN (SELECT `id` FROM `members`);--> statement-breakpoint
INSERT INTO `complaint_events` (`tenant_id`, `complaint_id`, `kind`, `actor_id`, `text`, `at`)
SELECT `tenant_id`, `id`, 'resolve', `resolved_by_id`, `resolution`, `resolved_at` FROM `complaints` WHERE `status` = 'resolved' AND `resolved_at` IS NOT NULL;--> statement-breakpoint
UPDATE `complaints` SET `first_answer_at` = (SELECT min(e.`at`) FROM `complaint_events` e WHERE e.`complaint_id` = `complaints`.`id` AND (e.`kind` = 'resolve' OR (e.`kind` = 'pass' AND e.`to_id` = e.`actor_id`)));
