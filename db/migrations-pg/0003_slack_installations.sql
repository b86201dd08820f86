CREATE TABLE "slack_installations" (
	"key" text PRIMARY KEY NOT NULL,
	"team_id" text,
	"enterprise_id" text,
	"org_wide" integer NOT NULL,
	"installation" text NOT NULL,
	"created_at" bigint DEFAULT (floor(extract(epoch from statement_timestamp()) * 1000))::bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
