CREATE TABLE `account_losses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`reason` text NOT NULL,
	`competitor` text,
	`lesson` text DEFAULT '' NOT NULL,
	`revenue` real,
	`lost_at` integer NOT NULL,
	`won_back_at` integer,
	`recorded_by_id` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`recorded_by_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `account_losses_tenant_time` ON `account_losses` (`tenant_id`,`lost_at`);--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`aliases` text DEFAULT '[]' NOT NULL,
	`tier` text DEFAULT 'standard' NOT NULL,
	`owner_id` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`region` text,
	`industry` text,
	`annual_revenue` real,
	`category_spend` real,
	`cadence_days` integer,
	`owner_gone_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_tenant_name` ON `accounts` (`tenant_id`,`name_key`);--> statement-breakpoint
CREATE INDEX `accounts_owner` ON `accounts` (`owner_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`actor_id` integer,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_id` integer,
	`detail` text,
	`at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `audit_log_tenant_time` ON `audit_log` (`tenant_id`,`at`);--> statement-breakpoint
CREATE TABLE `churn_signals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`kind` text NOT NULL,
	`detail` text DEFAULT '' NOT NULL,
	`reporter_id` integer,
	`contact_id` integer,
	`source` text DEFAULT 'manual' NOT NULL,
	`occurred_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`reporter_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `churn_signals_account_time` ON `churn_signals` (`account_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `complaints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`number` integer NOT NULL,
	`account_id` integer NOT NULL,
	`severity` text NOT NULL,
	`category` text NOT NULL,
	`summary` text NOT NULL,
	`owner_id` integer,
	`reporter_id` integer,
	`status` text DEFAULT 'open' NOT NULL,
	`opened_at` integer NOT NULL,
	`deadline_at` integer NOT NULL,
	`escalation_level` integer DEFAULT 0 NOT NULL,
	`escalated_at` integer,
	`thread_platform` text,
	`thread_channel` text,
	`thread_ts` text,
	`resolution` text,
	`resolved_at` integer,
	`resolved_by_id` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`reporter_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`resolved_by_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `complaints_tenant_number` ON `complaints` (`tenant_id`,`number`);--> statement-breakpoint
CREATE INDEX `complaints_account_status` ON `complaints` (`account_id`,`status`);--> statement-breakpoint
CREATE INDEX `complaints_status_deadline` ON `complaints` (`status`,`deadline_at`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`title` text,
	`level` text DEFAULT 'manager' NOT NULL,
	`function` text,
	`active` integer DEFAULT true NOT NULL,
	`replaced_by_id` integer,
	`left_at` integer,
	`notes` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`replaced_by_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `contacts_account` ON `contacts` (`account_id`,`name_key`);--> statement-breakpoint
CREATE TABLE `health_snapshots` (
	`account_id` integer NOT NULL,
	`tenant_id` integer NOT NULL,
	`day` text NOT NULL,
	`score` integer NOT NULL,
	`band` text NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `health_snapshots_pk` ON `health_snapshots` (`account_id`,`day`);--> statement-breakpoint
CREATE TABLE `inbound_events` (
	`platform` text NOT NULL,
	`event_id` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_events_pk` ON `inbound_events` (`platform`,`event_id`);--> statement-breakpoint
CREATE INDEX `inbound_events_time` ON `inbound_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `members` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`platform_user_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text DEFAULT 'rep' NOT NULL,
	`function` text DEFAULT 'sales' NOT NULL,
	`manager_id` integer,
	`timezone` text,
	`locale` text,
	`active` integer DEFAULT true NOT NULL,
	`left_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`manager_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_tenant_user` ON `members` (`tenant_id`,`platform_user_id`);--> statement-breakpoint
CREATE INDEX `members_manager` ON `members` (`manager_id`);--> statement-breakpoint
CREATE TABLE `nudge_snoozes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`kind` text NOT NULL,
	`subject_id` integer NOT NULL,
	`member_id` integer,
	`until` integer NOT NULL,
	`reason` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `nudge_snoozes_subject` ON `nudge_snoozes` (`kind`,`subject_id`);--> statement-breakpoint
CREATE TABLE `nudges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`dedupe_key` text NOT NULL,
	`kind` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer NOT NULL,
	`recipient_id` integer,
	`period` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`recipient_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `nudges_tenant_dedupe` ON `nudges` (`tenant_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `nudges_status` ON `nudges` (`status`);--> statement-breakpoint
CREATE TABLE `pairings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`exec_id` integer NOT NULL,
	`cadence_days` integer DEFAULT 90 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`exec_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `pairings_account` ON `pairings` (`account_id`);--> statement-breakpoint
CREATE INDEX `pairings_exec` ON `pairings` (`exec_id`);--> statement-breakpoint
CREATE TABLE `promises` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`number` integer NOT NULL,
	`account_id` integer NOT NULL,
	`owner_id` integer,
	`text` text NOT NULL,
	`due_on` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`complaint_id` integer,
	`closed_at` integer,
	`closed_by_id` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`complaint_id`) REFERENCES `complaints`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`closed_by_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `promises_tenant_number` ON `promises` (`tenant_id`,`number`);--> statement-breakpoint
CREATE INDEX `promises_account_status` ON `promises` (`account_id`,`status`);--> statement-breakpoint
CREATE INDEX `promises_status_due` ON `promises` (`status`,`due_on`);--> statement-breakpoint
CREATE TABLE `review_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`number` integer NOT NULL,
	`account_id` integer NOT NULL,
	`owner_id` integer,
	`season` integer NOT NULL,
	`due_on` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`checklist` text DEFAULT '[]' NOT NULL,
	`note` text,
	`prepared_at` integer,
	`held_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `review_items_tenant_number` ON `review_items` (`tenant_id`,`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `review_items_account_season` ON `review_items` (`account_id`,`season`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`kind` text NOT NULL,
	`account_id` integer,
	`contact_id` integer,
	`owner_id` integer,
	`item_key` text NOT NULL,
	`detail` text,
	`due_on` text,
	`done_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`owner_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `tasks_owner_open` ON `tasks` (`owner_id`,`done_at`);--> statement-breakpoint
CREATE INDEX `tasks_account` ON `tasks` (`account_id`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text,
	`locale` text NOT NULL,
	`timezone` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tenants_platform_workspace` ON `tenants` (`platform`,`workspace_id`);--> statement-breakpoint
CREATE TABLE `touchpoint_participants` (
	`touchpoint_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`our_level` text NOT NULL,
	FOREIGN KEY (`touchpoint_id`) REFERENCES `touchpoints`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `touchpoint_participants_pk` ON `touchpoint_participants` (`touchpoint_id`,`member_id`);--> statement-breakpoint
CREATE INDEX `touchpoint_participants_member` ON `touchpoint_participants` (`member_id`);--> statement-breakpoint
CREATE TABLE `touchpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`our_level` text NOT NULL,
	`contact_id` integer,
	`kind` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`source_platform` text NOT NULL,
	`source_ref` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `touchpoints_account_time` ON `touchpoints` (`account_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `touchpoints_member_time` ON `touchpoints` (`member_id`,`occurred_at`);