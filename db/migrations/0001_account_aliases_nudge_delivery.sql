CREATE TABLE `account_aliases` (
	`tenant_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`key` text NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `account_aliases_tenant_key` ON `account_aliases` (`tenant_id`,`key`);--> statement-breakpoint
CREATE INDEX `account_aliases_account` ON `account_aliases` (`account_id`);--> statement-breakpoint
ALTER TABLE `nudges` ADD `channel` text;--> statement-breakpoint
ALTER TABLE `nudges` ADD `payload` text;--> statement-breakpoint
ALTER TABLE `nudges` ADD `not_before` integer;--> statement-breakpoint
ALTER TABLE `nudges` ADD `posted_channel` text;--> statement-breakpoint
ALTER TABLE `nudges` ADD `posted_ts` text;--> statement-breakpoint
-- Aliases recorded before this table existed become matchable (lower-cased, spaces collapsed by hand; new ones are NFKC-normalised by the app).
INSERT OR IGNORE INTO `account_aliases` (`tenant_id`, `account_id`, `key`)
  SELECT a.`tenant_id`, a.`id`, lower(trim(j.`value`)) FROM `accounts` a, json_each(a.`aliases`) j WHERE trim(j.`value`) <> '';
