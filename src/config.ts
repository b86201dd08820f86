// The only module that reads the environment. Everything else receives a Config.
import { existsSync } from 'node:fs';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { LOCALES, ROLES } from '../db/schema.js';
import { AUDIT_MIN_DAYS, EVENT_MIN_DAYS, EVENT_RETENTION_DEFAULT_DAYS, RETENTION_DEFAULT_DAYS, type Retention } from './domain/retention.js';

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const zone = z
  .string()
  .trim()
  .refine((v) => IANAZone.isValidZone(v), 'an IANA time zone such as Asia/Shanghai or Europe/Berlin');

/**
 * What one Steward process does when several share a database and Redis: `all` everything;
 * `web` the chat listener and commands (it queues what they decide for delivery, and delivers
 * nothing itself); `worker` the queues' workers (sweep, digests, escalations, delivery through
 * the platform's API) and no listener. Every `all` and `worker` process may set the job
 * schedulers, one at a time (src/scheduler/lock.ts).
 */
/** Days to keep rows, at least `min`; `off` or 0 keeps them for ever (null). See src/domain/retention.ts. */
const days = (min: number, why: string) =>
  z
    .string()
    .trim()
    .regex(/^(off|\d{1,6})$/i, `a number of days, or off`)
    .transform((v) => (/^off$/i.test(v) || Number(v) === 0 ? null : Number(v)))
    .refine((n) => n === null || n >= min, `at least ${min} days (${why}), or off`);

export const STEWARD_ROLES = ['all', 'web', 'worker'] as const;
export type StewardRole = (typeof STEWARD_ROLES)[number];

const schema = z.object({
  STEWARD_DB: z.string().trim().min(1, 'a file path').default('./data/steward.db'),
  STEWARD_DEMO_DB: z.string().trim().min(1, 'a file path').default('./data/demo.db'),
  STEWARD_LOCALE: z.enum(LOCALES, 'en or zh-CN').default('en'),
  STEWARD_TIMEZONE: zone.default('UTC'),
  STEWARD_SHELL_USER: optional,
  STEWARD_SHELL_ROLE: z.enum(ROLES, `one of ${ROLES.join(', ')}`).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'a pino level (error, warn, info, debug)').default('info'),
  STEWARD_ROLE: z.enum(STEWARD_ROLES, STEWARD_ROLES.join(', ')).default('all'),
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'a TCP port number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 65535, 'a TCP port number')
    .default(3000),
  // GET /metrics (src/metrics.ts): served only when METRICS_PORT or METRICS_TOKEN is set.
  METRICS_PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'a TCP port number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 65535, 'a TCP port number')
    .optional(),
  METRICS_HOST: z.string().trim().min(1, 'an address to listen on, such as 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
  METRICS_TOKEN: optional,
  /** PostgreSQL instead of the SQLite file STEWARD_DB (db/POSTGRES.md). */
  DATABASE_URL: optional.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S*$/, 'a postgres:// or postgresql:// URL')
      .optional(),
  ),
  REDIS_URL: optional.pipe(z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }).optional()),
  SLACK_BOT_TOKEN: optional.pipe(z.string().startsWith('xoxb-', 'a bot token starting with xoxb-').optional()),
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional.pipe(z.string().startsWith('xapp-', 'an app-level token starting with xapp-').optional()),
  SLACK_API_URL: optional.pipe(z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional()),
  // OAuth, for an app installed in many workspaces (Bolt's installer): the app's Basic Information page.
  SLACK_CLIENT_ID: optional,
  SLACK_CLIENT_SECRET: optional,
  /** Signs the OAuth `state` parameter (any long random string, the same on every instance). */
  SLACK_STATE_SECRET: optional,
  /** The bot scopes asked for at install, comma-separated (default: slack-manifest.yaml's). */
  SLACK_SCOPES: optional.pipe(
    z
      .string()
      .regex(/^[a-z:._]+(,\s*[a-z:._]+)*$/, 'comma-separated Slack scopes such as chat:write,commands')
      .transform((v) => v.split(',').map((s) => s.trim()))
      .optional(),
  ),
  /** Where the "Add to Slack" page is served. */
  SLACK_INSTALL_PATH: z
    .string()
    .trim()
    .regex(/^\/\S*$/, 'a path such as /slack/install')
    .default('/slack/install'),
  /** The Redirect URL set on the app's OAuth & Permissions page; its path is where Steward takes the callback (default /slack/oauth_redirect). */
  SLACK_REDIRECT_URI: optional.pipe(z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional()),
  LARK_APP_ID: optional,
  LARK_APP_SECRET: optional,
  LARK_ENCRYPT_KEY: optional,
  LARK_VERIFICATION_TOKEN: optional,
  LARK_MODE: z.enum(['ws', 'http'], 'ws or http').default('ws'),
  /** `self-built` (an app of one organisation) or `isv` (a store app, installed by many tenants). */
  LARK_APP_TYPE: z.enum(['self-built', 'isv'], 'self-built or isv').default('self-built'),
  // Finished nudges and audit rows; inbound event ids (the dedupe of platform retries). Purged by the sweep.
  RETENTION_DAYS: days(AUDIT_MIN_DAYS, 'the health score reads audit rows that far back').default(RETENTION_DEFAULT_DAYS),
  EVENT_RETENTION_DAYS: days(EVENT_MIN_DAYS, 'Lark redelivers an event for hours').default(EVENT_RETENTION_DEFAULT_DAYS),
  LARK_DOMAIN: z
    .string()
    .trim()
    .refine((v) => v === 'feishu' || v === 'lark' || /^https?:\/\/\S+$/.test(v), 'feishu, lark or a base URL')
    .default('feishu'),
});

export type Env = z.infer<typeof schema>;

export interface Config extends Env {
  /** Which chat platform `npm start` serves, from the credentials present. */
  mode: 'shell' | 'slack' | 'lark';
  /** Slack OAuth is on (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET): installs in many workspaces. */
  slackOAuth: boolean;
  /** LOG_LEVEL was set, rather than defaulted (the interactive shell logs less by default). */
  logLevelGiven: boolean;
}

/** Loads `.env` from the working directory into the environment, when there is one. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment; throws a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // `NAME=` in a .env file means "not set", as it does for the defaults.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const got = env[variable];
    throw new ConfigError(`${variable}: expected ${issue.message}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
  }
  const e = parsed.data;
  const oauth = [e.SLACK_CLIENT_ID, e.SLACK_CLIENT_SECRET, e.SLACK_STATE_SECRET];
  if (oauth.some(Boolean)) {
    const missing = (['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const).find((_, i) => !oauth[i]);
    if (missing)
      throw new ConfigError(`${missing}: expected it too, since the other Slack OAuth settings are set (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET go together)`);
    if (e.SLACK_APP_TOKEN)
      throw new ConfigError('SLACK_APP_TOKEN: expected unset with SLACK_CLIENT_ID (Steward serves Slack OAuth installs over HTTP, at /slack/events with SLACK_SIGNING_SECRET)');
    if (!e.SLACK_SIGNING_SECRET) throw new ConfigError('SLACK_SIGNING_SECRET: expected the signing secret from the Slack app page, since SLACK_CLIENT_ID is set');
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError('SLACK_SIGNING_SECRET: expected the signing secret from the Slack app page (needed in HTTP mode, or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (e.LARK_APP_ID && !e.LARK_APP_SECRET) {
    throw new ConfigError('LARK_APP_SECRET: expected the app secret from the Lark developer console, since LARK_APP_ID is set');
  }
  // The SDK's long connection refuses any other shape without a word (it logs and never connects).
  if (e.LARK_APP_ID && !/^cli_[0-9a-fA-F]{16}$/.test(e.LARK_APP_ID)) {
    throw new ConfigError(`LARK_APP_ID: expected the App ID from the Lark developer console (cli_ and 16 hex digits), got ${JSON.stringify(e.LARK_APP_ID)}`);
  }
  if (e.LARK_APP_ID && e.LARK_MODE === 'http' && !e.LARK_VERIFICATION_TOKEN && !e.LARK_ENCRYPT_KEY) {
    throw new ConfigError(
      'LARK_VERIFICATION_TOKEN: expected the verification token (or set LARK_ENCRYPT_KEY) from the Lark developer console, since LARK_MODE=http; without either, anyone could post events',
    );
  }
  // Lark's long connection serves self-built apps only: a store app's events (its app_ticket too) come over HTTP.
  if (e.LARK_APP_ID && e.LARK_APP_TYPE === 'isv' && e.LARK_MODE !== 'http') {
    throw new ConfigError(
      "LARK_MODE: expected http, since LARK_APP_TYPE=isv (Lark's long connection serves only self-built apps; a store app's events are posted to /lark/events)",
    );
  }
  const mode = e.SLACK_BOT_TOKEN || e.SLACK_CLIENT_ID ? 'slack' : e.LARK_APP_ID ? 'lark' : 'shell';
  if (e.STEWARD_ROLE !== 'all' && mode === 'shell') {
    throw new ConfigError(
      `STEWARD_ROLE: expected all in the shell (web and worker split a Slack or Lark deployment between processes; set SLACK_BOT_TOKEN or LARK_APP_ID), got ${JSON.stringify(e.STEWARD_ROLE)}`,
    );
  }
  // Its own redis-server is one process's: a web instance and a worker instance must meet on one Redis.
  if (e.STEWARD_ROLE !== 'all' && !e.REDIS_URL) {
    throw new ConfigError(`REDIS_URL: expected the Redis every Steward instance shares, since STEWARD_ROLE=${e.STEWARD_ROLE} (web queues deliveries that a worker makes)`);
  }
  return { ...e, mode, slackOAuth: Boolean(e.SLACK_CLIENT_ID), logLevelGiven: given.LOG_LEVEL !== undefined };
}

/** What the sweep forgets (RETENTION_DAYS, EVENT_RETENTION_DAYS): undefined keeps for ever. */
export function retentionOf(config: Pick<Config, 'RETENTION_DAYS' | 'EVENT_RETENTION_DAYS'>): Retention {
  return { days: config.RETENTION_DAYS ?? undefined, eventDays: config.EVENT_RETENTION_DAYS ?? undefined };
}
