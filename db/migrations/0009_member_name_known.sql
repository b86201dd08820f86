ALTER TABLE `members` ADD `name_known` integer DEFAULT true NOT NULL;--> statement-breakpoint
-- Members created before this column under the only name there was, their id, are people their platform has not named.
UPDATE `members` SET `name_known` = false WHERE `name` = `platform_user_id`;