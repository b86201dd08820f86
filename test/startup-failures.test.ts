// Steward that cannot start: a Slack token refused or revoked, a Web API it
// cannot reach, a REDIS_URL nobody answers at, a Lark app secret or app id that
// Lark (or its SDK) refuses. Each ends the way an operator can act on: exit code
// 1, the last line on stderr is one line naming the variable to fix, no stack
// trace, and nothing left running (no redis-server of its own, no port open).
// Real processes (`node --import tsx src/main.ts`, as `npm start` runs it)
// against the local Slack and Lark in test/fake-slack.ts and test/fake-lark.ts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_APP, FakeLark } from './fake-lark.js';
import { FakeSlack } from './fake-slack.js';
import { freePort } from './kit.js';
import { listening, processesWith, running } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
/** Bounds on waits, only so that a hang fails instead of blocking. */
const WAIT_MS = 60_000;

let slack: FakeSlack;
let lark: FakeLark;
let dir: string;
const leftovers: number[] = [];

beforeAll(async () => {
  slack = new FakeSlack();
  await slack.start();
  lark = new FakeLark();
  await lark.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-start-fail-'));
});

afterAll(async () => {
  for (const pid of leftovers) if (running(pid)) process.kill(pid, 'SIGKILL');
  await slack?.close();
  await lark?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts Steward with `env` on a data folder of its own; resolves once it exits, or fails if it does not within WAIT_MS. */
async function start(name: string, env: Record<string, string>) {
  const data = join(dir, name);
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), STEWARD_DB: join(data, 'steward.db'), STEWARD_TIMEZONE: 'Asia/Shanghai', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), WAIT_MS)));
  const outcome = await Promise.race([exited, hung]);
  clearTimeout(timer);
  const socket = join(data, 'redis', 'redis.sock');
  leftovers.push(...processesWith(socket));
  if (outcome === 'hung') {
    proc.kill('SIGKILL');
    throw new Error(`Steward did not exit; stderr:\n${stderr}`);
  }
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return { code: outcome[0], stderr, last: lines.at(-1) ?? '', port, socket, owner: join(data, 'redis', 'steward.pid') };
}

type Ended = Awaited<ReturnType<typeof start>>;

/** What every failed start must look like. */
async function expectFailedStart(run: Ended, variable: string) {
  expect(run.code, run.stderr).toBe(1);
  expect(run.last, run.stderr).toMatch(new RegExp(`^steward: ${variable}: \\S`));
  // One line: no stack trace anywhere, no error printed raw.
  expect(run.stderr, run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/^\w*Error[:\s]/m);
  expect(processesWith(run.socket), run.stderr).toEqual([]);
  expect(existsSync(run.owner), 'the redis folder is left free').toBe(false);
  expect(await listening(run.port)).toBe(false);
}

const slackEnv = (over: Record<string, string> = {}) => ({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'start-fail-secret', SLACK_API_URL: slack.apiUrl, ...over });
const larkEnv = (over: Record<string, string> = {}) => ({
  LARK_APP_ID: FAKE_APP.appId,
  LARK_APP_SECRET: FAKE_APP.appSecret,
  LARK_DOMAIN: lark.url,
  LARK_MODE: 'http',
  LARK_VERIFICATION_TOKEN: 'start-fail-token',
  ...over,
});

describe('a start that cannot succeed ends in one line naming the variable, exit 1, nothing left running', () => {
  it('a Slack bot token Slack does not know (invalid_auth): SLACK_BOT_TOKEN', { timeout: 2 * WAIT_MS }, async () => {
    const run = await start('slack-invalid-auth', slackEnv({ SLACK_BOT_TOKEN: 'xoxb-not-this-one' }));
    await expectFailedStart(run, 'SLACK_BOT_TOKEN');
    expect(run.last).toMatch(/invalid_auth/);
  });

  it('a revoked Slack token (token_revoked): SLACK_BOT_TOKEN', { timeout: 2 * WAIT_MS }, async () => {
    slack.fail('auth.test', { error: 'token_revoked' }, 3);
    const run = await start('slack-revoked', slackEnv());
    await expectFailedStart(run, 'SLACK_BOT_TOKEN');
    expect(run.last).toMatch(/token_revoked/);
  });

  it('a Slack Web API that cannot be reached: SLACK_API_URL', { timeout: 2 * WAIT_MS }, async () => {
    const closed = await freePort();
    const run = await start('slack-unreachable', slackEnv({ SLACK_API_URL: `http://127.0.0.1:${closed}/api/` }));
    await expectFailedStart(run, 'SLACK_API_URL');
    expect(run.last).toContain(`127.0.0.1:${closed}`);
  });

  it('a REDIS_URL where nothing listens: REDIS_URL, within the bound, not a hang', { timeout: 2 * WAIT_MS }, async () => {
    const closed = await freePort();
    const run = await start('redis-closed', slackEnv({ REDIS_URL: `redis://127.0.0.1:${closed}` }));
    await expectFailedStart(run, 'REDIS_URL');
    expect(run.last).toContain(`127.0.0.1:${closed}`);
  });

  it('an unknown STEWARD_ROLE: STEWARD_ROLE, before anything starts', { timeout: 2 * WAIT_MS }, async () => {
    const run = await start('role-unknown', slackEnv({ STEWARD_ROLE: 'scheduler' }));
    await expectFailedStart(run, 'STEWARD_ROLE');
    expect(run.last).toBe('steward: STEWARD_ROLE: expected all, web, worker, got "scheduler"');
  });

  it('a Lark app secret Lark refuses (HTTP mode): LARK_APP_SECRET', { timeout: 2 * WAIT_MS }, async () => {
    const run = await start('lark-secret', larkEnv({ LARK_APP_SECRET: 'not-the-secret' }));
    await expectFailedStart(run, 'LARK_APP_SECRET');
    expect(run.last).toMatch(/10014/);
  });

  it('a Lark app secret Lark refuses (long connection): LARK_APP_SECRET', { timeout: 2 * WAIT_MS }, async () => {
    const run = await start('lark-secret-ws', larkEnv({ LARK_APP_SECRET: 'not-the-secret', LARK_MODE: 'ws' }));
    await expectFailedStart(run, 'LARK_APP_SECRET');
  });

  it('a Lark store app (LARK_APP_TYPE=isv) whose secret Lark refuses when asked to push its app_ticket: LARK_APP_SECRET', { timeout: 2 * WAIT_MS }, async () => {
    const resends = lark.callsTo('ticket').length;
    const run = await start('lark-isv-secret', larkEnv({ LARK_APP_SECRET: 'not-the-secret', LARK_APP_TYPE: 'isv' }));
    await expectFailedStart(run, 'LARK_APP_SECRET');
    expect(run.last).toMatch(/10014/);
    expect(lark.callsTo('ticket').length).toBe(resends + 1);
  });

  it('a Lark app id Lark does not know: LARK_APP_ID', { timeout: 2 * WAIT_MS }, async () => {
    const run = await start('lark-app-id', larkEnv({ LARK_APP_ID: 'cli_0000000000000000' }));
    await expectFailedStart(run, 'LARK_APP_ID');
    expect(run.last).toMatch(/10003/);
  });

  it('a Lark app id the SDK rejects (not cli_ and 16 hex digits): LARK_APP_ID', { timeout: 2 * WAIT_MS }, async () => {
    const run = await start('lark-app-id-shape', larkEnv({ LARK_APP_ID: 'cli_1234', LARK_MODE: 'ws' }));
    await expectFailedStart(run, 'LARK_APP_ID');
  });
});
