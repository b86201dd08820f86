// STEWARD_ROLE as an operator runs it: `npm start` twice on one SQLite file and
// one Redis (a redis-server of this test's own on a TCP port, as REDIS_URL
// needs), a `web` instance serving Slack over HTTP and a `worker` instance with
// no listener. What a command decides to post (a critical complaint's alert) is
// queued by the web instance and posted by the worker, through the fake Slack
// Web API; the worker opens no port. Waits are bounded only to stop a hang.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { listening, running, slackProcessEnv, until } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'roles-test-signing-secret';
const WAIT_MS = 60_000;

let fake: FakeSlack;
let dir: string;
let redisPort: number;
let redisServer: ChildProcess;
const children: ChildProcess[] = [];

beforeAll(async () => {
  fake = new FakeSlack()
    .addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' })
    .addUser({ id: 'U2', name: 'bob', real_name: 'Bob Chen', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-roles-'));
  redisPort = await freePort();
  redisServer = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    {
      stdio: 'ignore',
    },
  );
  await until(
    'the test redis-server',
    () => listening(redisPort),
    () => '',
    WAIT_MS,
  );
});

afterAll(async () => {
  for (const c of children) if (c.pid && running(c.pid)) c.kill('SIGKILL');
  redisServer?.kill('SIGKILL');
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `node --import tsx src/main.ts` in Slack HTTP mode with this role; resolves once it says it runs. */
async function startSteward(role: 'web' | 'worker', db: string, port: number) {
  const env = { ...slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db, logLevel: 'info' }), REDIS_URL: `redis://127.0.0.1:${redisPort}`, STEWARD_ROLE: role };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const said = role === 'web' ? 'serving chat; a worker instance delivers' : 'running the schedules and delivery; no chat listener';
  await until(
    `the ${role} instance to start`,
    () => stderr.includes(said) || proc.exitCode !== null,
    () => stderr,
    WAIT_MS,
  );
  expect(proc.exitCode, stderr).toBeNull();
  return { proc, stderr: () => stderr };
}

it('a web instance queues what its commands decide; a worker instance, with no listener, posts it', { timeout: 4 * WAIT_MS }, async () => {
  const db = join(dir, 'steward.db');
  const webPort = await freePort();
  const workerPort = await freePort();
  const web = await startSteward('web', db, webPort);
  const base = `http://127.0.0.1:${webPort}`;
  const type = async (text: string, user: string) => {
    const [command, ...rest] = text.split(' ');
    const responseUrl = fake.responseUrl();
    const res = await sendToApp(`${base}/slack/events`, slashCommand({ user, command: command!, text: rest.join(' '), responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    return ((await fake.slashAnswer(res, responseUrl, 30_000)) as { text: string }).text;
  };
  expect(await type('/account add Acme tier:strategic', 'U1')).toMatch(/^✔/);
  // Bob opens a critical complaint on Alice's account: Alice is alerted at once.
  expect(await type('/complaint Acme severity:critical category:damage Pallets crushed on arrival', 'U2')).toMatch(/^✔/);

  // With no worker yet, the alert waits in the outbox and in the delivery queue; nothing is posted.
  const delivery = new Queue('delivery', { connection: { host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: null }, prefix: 'steward' });
  try {
    await until('the web instance to queue the alert', async () => ((await delivery.getJobCounts('wait')).wait ?? 0) > 0, web.stderr, WAIT_MS);
    const pending = () => {
      const file = new Database(db, { readonly: true });
      try {
        return file.prepare('select status, count(*) as n from nudges group by status order by status').all() as { status: string; n: number }[];
      } finally {
        file.close();
      }
    };
    expect(pending()).toEqual([{ status: 'pending', n: 1 }]);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await delivery.getWorkersCount()).toBe(0);

    const worker = await startSteward('worker', db, workerPort);
    await until('the worker to post the alert', () => pending().every((r) => r.status === 'sent'), worker.stderr, WAIT_MS);
    expect(fake.callsTo('chat.postMessage').length).toBeGreaterThan(0);
    expect(await listening(workerPort), 'the worker opens no port').toBe(false);
    expect(await delivery.getWorkersCount()).toBe(1);
  } finally {
    await delivery.close();
  }
});
