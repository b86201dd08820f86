CREATE TABLE `seen_requests` (
	`key` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `seen_requests_expiry` ON `seen_requests` (`expires_at`);