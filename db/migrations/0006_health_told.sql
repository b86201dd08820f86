CREATE TABLE `health_told` (
	`account_id` integer PRIMARY KEY NOT NULL,
	`tenant_id` integer NOT NULL,
	`band` text NOT NULL,
	`score` integer NOT NULL,
	`checked_on` text NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `health_told_checked` ON `health_told` (`tenant_id`,`checked_on`);