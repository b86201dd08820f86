// Configuration: defaults, one clear line per bad value, the mode chosen from
// the credentials present, and the real process refusing to start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

/** The error message loadConfig throws for `env`, after checking it is a one-line ConfigError. */
function failure(env: Record<string, string>): string {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${JSON.stringify(env)} to be refused`).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('loadConfig defaults', () => {
  it('gives working defaults for an empty environment, in shell mode', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      mode: 'shell',
      STEWARD_DB: './data/steward.db',
      STEWARD_DEMO_DB: './data/demo.db',
      STEWARD_LOCALE: 'en',
      STEWARD_TIMEZONE: 'UTC',
      LOG_LEVEL: 'info',
      logLevelGiven: false,
      PORT: 3000,
      LARK_MODE: 'ws',
      LARK_DOMAIN: 'feishu',
    });
    expect(loadConfig({ LOG_LEVEL: 'info' }).logLevelGiven).toBe(true);
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.SLACK_BOT_TOKEN).toBeUndefined();
  });

  it('treats empty and blank values as unset, as a copied .env.example has them', () => {
    const c = loadConfig({ STEWARD_TIMEZONE: '', PORT: '  ', REDIS_URL: '', SLACK_BOT_TOKEN: '', LARK_APP_ID: '' });
    expect(c.STEWARD_TIMEZONE).toBe('UTC');
    expect(c.PORT).toBe(3000);
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.mode).toBe('shell');
  });

  it('accepts good values and trims surrounding spaces', () => {
    const c = loadConfig({
      STEWARD_TIMEZONE: ' Asia/Shanghai ',
      STEWARD_LOCALE: 'zh-CN',
      PORT: '8080',
      REDIS_URL: 'redis://localhost:6379',
      LARK_DOMAIN: 'https://open.example.com',
      STEWARD_DB: '/tmp/x.db',
    });
    expect(c).toMatchObject({
      STEWARD_TIMEZONE: 'Asia/Shanghai',
      STEWARD_LOCALE: 'zh-CN',
      PORT: 8080,
      REDIS_URL: 'redis://localhost:6379',
      LARK_DOMAIN: 'https://open.example.com',
      STEWARD_DB: '/tmp/x.db',
    });
    expect(loadConfig({ LARK_DOMAIN: 'lark' }).LARK_DOMAIN).toBe('lark');
    expect(loadConfig({ REDIS_URL: 'rediss://user:pw@cache:6380/2' }).REDIS_URL).toBe('rediss://user:pw@cache:6380/2');
  });
});

describe('loadConfig: one line naming the variable and what it expects', () => {
  it('STEWARD_TIMEZONE must be an IANA zone', () => {
    expect(failure({ STEWARD_TIMEZONE: 'Mars/Base' })).toBe('STEWARD_TIMEZONE: expected an IANA time zone such as Asia/Shanghai or Europe/Berlin, got "Mars/Base"');
  });

  it('STEWARD_LOCALE must be en or zh-CN', () => {
    expect(failure({ STEWARD_LOCALE: 'fr' })).toBe('STEWARD_LOCALE: expected en or zh-CN, got "fr"');
  });

  it('PORT must be a TCP port number', () => {
    for (const port of ['abc', '0', '70000', '80.5', '-1']) {
      expect(failure({ PORT: port })).toBe(`PORT: expected a TCP port number, got "${port}"`);
    }
  });

  it('REDIS_URL must be a redis:// or rediss:// URL', () => {
    expect(failure({ REDIS_URL: 'http://cache:6379' })).toBe('REDIS_URL: expected a redis:// or rediss:// URL, got "http://cache:6379"');
    expect(failure({ REDIS_URL: 'localhost' })).toMatch(/^REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('DATABASE_URL: unset is the SQLite file; a postgres:// or postgresql:// URL selects PostgreSQL; anything else is refused', () => {
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: ' ' }).DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://steward:pw@db:5432/steward' }).DATABASE_URL).toBe('postgres://steward:pw@db:5432/steward');
    expect(loadConfig({ DATABASE_URL: 'postgresql://steward@%2Fvar%2Frun%2Fpostgresql/steward' }).DATABASE_URL).toBe('postgresql://steward@%2Fvar%2Frun%2Fpostgresql/steward');
    expect(failure({ DATABASE_URL: 'mysql://db/steward' })).toBe('DATABASE_URL: expected a postgres:// or postgresql:// URL, got "mysql://db/steward"');
  });

  it('SLACK_BOT_TOKEN must start with xoxb-', () => {
    expect(failure({ SLACK_BOT_TOKEN: 'xoxp-123', SLACK_SIGNING_SECRET: 's' })).toBe('SLACK_BOT_TOKEN: expected a bot token starting with xoxb-, got "xoxp-123"');
  });

  it('SLACK_APP_TOKEN must start with xapp-', () => {
    expect(failure({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' })).toMatch(/^SLACK_APP_TOKEN: expected an app-level token starting with xapp-/);
  });

  it('LARK_DOMAIN must be feishu, lark or a base URL', () => {
    expect(failure({ LARK_DOMAIN: 'bogus' })).toBe('LARK_DOMAIN: expected feishu, lark or a base URL, got "bogus"');
  });

  it('Lark over HTTP needs a verification token or an encrypt key, so nobody else can post events', () => {
    const lark = { LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_MODE: 'http' };
    expect(failure(lark)).toMatch(/^LARK_VERIFICATION_TOKEN: expected/);
    expect(loadConfig({ ...lark, LARK_VERIFICATION_TOKEN: 't' }).mode).toBe('lark');
    expect(loadConfig({ ...lark, LARK_ENCRYPT_KEY: 'k' }).mode).toBe('lark');
    expect(loadConfig({ ...lark, LARK_MODE: 'ws' }).mode).toBe('lark');
  });

  it('a Lark store app (LARK_APP_TYPE=isv) is served over HTTP, as Lark has no long connection for one; self-built is the default', () => {
    const lark = { LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 't' };
    expect(loadConfig(lark).LARK_APP_TYPE).toBe('self-built');
    expect(failure({ ...lark, LARK_APP_TYPE: 'isv' })).toMatch(/^LARK_MODE: expected http, since LARK_APP_TYPE=isv/);
    expect(loadConfig({ ...lark, LARK_APP_TYPE: 'isv', LARK_MODE: 'http' }).LARK_APP_TYPE).toBe('isv');
    expect(failure({ LARK_APP_TYPE: 'store' })).toBe('LARK_APP_TYPE: expected self-built or isv, got "store"');
  });

  it('LARK_MODE and LOG_LEVEL name their allowed values', () => {
    expect(failure({ LARK_MODE: 'poll' })).toBe('LARK_MODE: expected ws or http, got "poll"');
    expect(failure({ LOG_LEVEL: 'loud' })).toMatch(/^LOG_LEVEL: expected a pino level/);
  });

  it('SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set without Socket Mode', () => {
    expect(failure({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatch(/^SLACK_SIGNING_SECRET: expected the signing secret/);
  });

  it('LARK_APP_SECRET is required when LARK_APP_ID is set', () => {
    expect(failure({ LARK_APP_ID: 'cli_1' })).toMatch(/^LARK_APP_SECRET: expected the app secret/);
  });

  // Lark's SDK refuses any other app id on its long connection, logging one line and never connecting.
  it('LARK_APP_ID must be cli_ and 16 hex digits, as the developer console shows it', () => {
    expect(failure({ LARK_APP_ID: 'cli_1', LARK_APP_SECRET: 's' })).toBe('LARK_APP_ID: expected the App ID from the Lark developer console (cli_ and 16 hex digits), got "cli_1"');
    expect(failure({ LARK_APP_ID: 'a1b2c3d4e5f60718', LARK_APP_SECRET: 's' })).toMatch(/^LARK_APP_ID: expected/);
    expect(loadConfig({ LARK_APP_ID: 'cli_A1B2C3D4E5F60718', LARK_APP_SECRET: 's' }).mode).toBe('lark');
  });

  it('reports one variable even when several are wrong', () => {
    const message = failure({ STEWARD_TIMEZONE: 'Mars/Base', PORT: 'x', STEWARD_LOCALE: 'fr' });
    expect(message.match(/[A-Z_]{4,}:/g)).toHaveLength(1);
  });

  // BUG (config.ts): z.url() accepts any scheme, so an ftp:// or file:// URL passes although the message says http(s).
  it('STEWARD_ROLE is all, web or worker; all by default', () => {
    expect(loadConfig({}).STEWARD_ROLE).toBe('all');
    const slack = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', REDIS_URL: 'redis://redis.internal:6379' };
    for (const role of ['all', 'web', 'worker']) expect(loadConfig({ ...slack, STEWARD_ROLE: role }).STEWARD_ROLE).toBe(role);
    expect(failure({ ...slack, STEWARD_ROLE: 'scheduler' })).toBe('STEWARD_ROLE: expected all, web, worker, got "scheduler"');
    expect(failure({ ...slack, STEWARD_ROLE: 'Web' })).toMatch(/^STEWARD_ROLE: expected all, web, worker, got "Web"$/);
  });

  it('STEWARD_ROLE web or worker splits a chat deployment: not the shell, and only on a shared REDIS_URL', () => {
    expect(failure({ STEWARD_ROLE: 'worker', REDIS_URL: 'redis://r:6379' })).toMatch(/^STEWARD_ROLE: expected all in the shell .*got "worker"$/);
    const lark = { LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 'x' };
    expect(failure({ ...lark, STEWARD_ROLE: 'web' })).toMatch(/^REDIS_URL: expected the Redis every Steward instance shares, since STEWARD_ROLE=web/);
    expect(failure({ ...lark, STEWARD_ROLE: 'worker' })).toMatch(/^REDIS_URL: .*STEWARD_ROLE=worker/);
    expect(loadConfig({ ...lark, STEWARD_ROLE: 'all' }).REDIS_URL).toBeUndefined();
  });

  it('SLACK_API_URL must be an http(s) URL', () => {
    expect(failure({ SLACK_API_URL: 'ftp://slack.example.com/api/' })).toMatch(/^SLACK_API_URL: expected an http\(s\) URL/);
  });
});

describe('loadConfig mode', () => {
  it('is shell with no chat credentials', () => {
    expect(loadConfig({ STEWARD_TIMEZONE: 'UTC' }).mode).toBe('shell');
  });

  it('is slack with a bot token and a signing secret, or an app token for Socket Mode', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret' }).mode).toBe('slack');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).mode).toBe('slack');
  });

  it('is lark with an app id and secret', () => {
    expect(loadConfig({ LARK_APP_ID: 'cli_a1b2c3d4e5f60718', LARK_APP_SECRET: 'secret' }).mode).toBe('lark');
  });
});

describe('Slack OAuth settings', () => {
  const oauth = { SLACK_CLIENT_ID: '111.222', SLACK_CLIENT_SECRET: 'cs', SLACK_STATE_SECRET: 'ss', SLACK_SIGNING_SECRET: 'secret' };

  it('turn on Slack mode without a bot token, with the install and redirect paths of Bolt and the manifest scopes unless given', () => {
    const c = loadConfig(oauth);
    expect(c).toMatchObject({ mode: 'slack', slackOAuth: true, SLACK_INSTALL_PATH: '/slack/install' });
    expect([c.SLACK_REDIRECT_URI, c.SLACK_SCOPES]).toEqual([undefined, undefined]);
    expect(loadConfig({ ...oauth, SLACK_BOT_TOKEN: 'xoxb-1' }).slackOAuth).toBe(true);
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slackOAuth).toBe(false);
    expect(loadConfig({ ...oauth, SLACK_SCOPES: 'chat:write, commands' }).SLACK_SCOPES).toEqual(['chat:write', 'commands']);
  });

  it('go together: one missing is named', () => {
    expect(failure({ SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'cs', SLACK_SIGNING_SECRET: 's' })).toMatch(/^SLACK_STATE_SECRET: expected it too/);
    expect(failure({ SLACK_STATE_SECRET: 'ss', SLACK_SIGNING_SECRET: 's' })).toMatch(/^SLACK_CLIENT_ID: expected it too/);
  });

  it('need the signing secret, over HTTP', () => {
    expect(failure({ ...oauth, SLACK_SIGNING_SECRET: '' })).toMatch(/^SLACK_SIGNING_SECRET: expected the signing secret/);
    expect(failure({ ...oauth, SLACK_APP_TOKEN: 'xapp-1' })).toMatch(/^SLACK_APP_TOKEN: expected unset with SLACK_CLIENT_ID/);
  });

  it('refuse a malformed scope list or redirect URL', () => {
    expect(failure({ ...oauth, SLACK_SCOPES: 'chat:write;commands' })).toMatch(/^SLACK_SCOPES: expected comma-separated Slack scopes/);
    expect(failure({ ...oauth, SLACK_REDIRECT_URI: 'steward.example.com/slack/oauth_redirect' })).toMatch(/^SLACK_REDIRECT_URI: expected an http\(s\) URL/);
  });
});

describe('the real process', () => {
  it('exits 1 with one stderr line naming STEWARD_TIMEZONE, and creates no database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-config-'));
    try {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (v === undefined || /^(SLACK_|LARK_|STEWARD_|REDIS_URL$|PORT$|LOG_LEVEL$)/.test(k)) continue;
        env[k] = v;
      }
      env.STEWARD_TIMEZONE = 'Mars/Base';
      env.STEWARD_DB = join(dir, 'steward.db');
      // npm's own warnings about the machine's npmrc are not Steward's output.
      env.npm_config_loglevel = 'error';
      const r = spawnSync('npx', ['tsx', 'src/main.ts'], { cwd: fileURLToPath(new URL('..', import.meta.url)), env, input: '', encoding: 'utf8', timeout: 60_000 });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(1);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^steward: STEWARD_TIMEZONE:/);
      expect(lines[0]).toContain('"Mars/Base"');
      expect(r.stdout).toBe('');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
