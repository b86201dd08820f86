// The only module that reads the environment. Everything else receives a Config.
import { existsSync } from 'node:fs';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { LOCALES, ROLES } from '../db/schema.js';

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
  LARK_APP_ID: optional,
  LARK_APP_SECRET: optional,
  LARK_ENCRYPT_KEY: optional,
  LARK_VERIFICATION_TOKEN: optional,
  LARK_MODE: z.enum(['ws', 'http'], 'ws or http').default('ws'),
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
  const mode = e.SLACK_BOT_TOKEN ? 'slack' : e.LARK_APP_ID ? 'lark' : 'shell';
  if (e.STEWARD_ROLE !== 'all' && mode === 'shell') {
    throw new ConfigError(
      `STEWARD_ROLE: expected all in the shell (web and worker split a Slack or Lark deployment between processes; set SLACK_BOT_TOKEN or LARK_APP_ID), got ${JSON.stringify(e.STEWARD_ROLE)}`,
    );
  }
  // Its own redis-server is one process's: a web instance and a worker instance must meet on one Redis.
  if (e.STEWARD_ROLE !== 'all' && !e.REDIS_URL) {
    throw new ConfigError(`REDIS_URL: expected the Redis every Steward instance shares, since STEWARD_ROLE=${e.STEWARD_ROLE} (web queues deliveries that a worker makes)`);
  }
  return { ...e, mode, logLevelGiven: given.LOG_LEVEL !== undefined };
}
