-- Two SQLite functions the domain's SQL uses, as PostgreSQL functions of the same name and meaning, so the
-- domain's sqlite-core queries run unchanged through db/pg.ts (db/POSTGRES.md):
-- - unixepoch(text): db/schema.ts's created_at default is `unixepoch('subsec') * 1000`, which drizzle's SQLite
--   dialect writes into every insert that gives no created_at. The statement's time in seconds with its
--   fraction, as SQLite's 'now' is the statement's (and as db/schema.pg.ts's own default, NOW_MS, reads it).
-- - json_each(text) over a JSON array of ids: the domain scopes a query to a list of ids as
--   `x in (select value from json_each(?))` with the list as one JSON parameter (cadence, health,
--   complaint-life, digest). An untyped parameter picks this `text` overload over PostgreSQL's own
--   json_each(json), and `value` is the id as a bigint, comparable with the id columns.
CREATE FUNCTION "unixepoch"(text) RETURNS double precision LANGUAGE sql STABLE AS $$ SELECT extract(epoch from statement_timestamp())::double precision $$;
--> statement-breakpoint
CREATE FUNCTION "json_each"(text) RETURNS TABLE("value" bigint) LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_array_elements_text($1::jsonb)::bigint $$;
