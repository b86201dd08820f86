// `npm start` in Slack mode with a backlog of pending nudges and a Redis that
// does not answer yet (stopped with SIGSTOP, as a Redis still loading a large
// append-only file or stalled would be): the HTTP server answers first, and once
// Redis answers every pending nudge is posted, once. A real process against the
// local Slack in test/fake-slack.ts and a redis-server of this file's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeDb, openDb, transact } from '../db/index.js';
import { members, nudges, tenants } from '../db/schema.js';
import { reply } from '../src/engine/reply.js';
import { recordNudge } from '../src/domain/nudges.js';
import { FAKE_TEAM, FakeSlack } from './fake-slack.js';
import { freePort } from './kit.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** Bounds on waits, only so a hang fails instead of blocking. */
const WAIT_MS = 90_000;
const BACKLOG = 120;

let fake: FakeSlack;
let dir: string;
let redis: ChildProcess;
let redisPort: number;
const children: ChildProcess[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, f: () => T | Promise<T>, stderr: () => string): Promise<NonNullable<T>> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}; stderr:\n${stderr()}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  fake = new FakeSlack().addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-startup-'));
  redisPort = await freePort();
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: 'ignore',
  });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (redis.exitCode === null) {
    redis.kill('SIGCONT');
    redis.kill('SIGKILL');
  }
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('answers /healthz before the backlog is queued, and posts every pending nudge once Redis answers', { timeout: 3 * WAIT_MS }, async () => {
  const file = join(dir, 'steward.db');
  const db = openDb(file);
  const tenant = await db.insert(tenants).values({ platform: 'slack', workspaceId: FAKE_TEAM.id, locale: 'en', timezone: 'Asia/Shanghai' }).returning().get();
  const alice = await db.insert(members).values({ tenantId: tenant.id, platformUserId: 'U1', name: 'Alice Wong', role: 'admin' }).returning().get();
  await transact(db, async (tx) => {
    for (let i = 1; i <= BACKLOG; i++) {
      await recordNudge(tx, {
        tenantId: tenant.id,
        dedupeKey: `backlog:${i}`,
        kind: 'notice',
        subjectType: 'none',
        subjectId: 0,
        recipientId: alice.id,
        period: 'p',
        payload: reply('info', `Backlog ${i}`),
        notBefore: new Date(Date.now() - 60_000),
      });
    }
  });
  closeDb(db);

  redis.kill('SIGSTOP');
  const port = await freePort();
  const proc = spawn(TSX, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'startup-test-secret',
      SLACK_API_URL: fake.apiUrl,
      PORT: String(port),
      STEWARD_DB: file,
      STEWARD_TIMEZONE: 'Asia/Shanghai',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const err = () => stderr;

  // Redis does not answer: nothing can be queued, yet the server is up.
  await until(
    '/healthz to answer while Redis does not',
    () =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      ),
    err,
  );
  expect(fake.callsTo('chat.postMessage')).toHaveLength(0);

  redis.kill('SIGCONT');
  await until('every pending nudge to be posted', () => fake.callsTo('chat.postMessage').length >= BACKLOG, err);
  await sleep(500); // a late duplicate would show
  const texts = fake.callsTo('chat.postMessage').map((c) => String(c.body.text));
  expect(new Set(texts).size).toBe(BACKLOG);
  expect(texts).toHaveLength(BACKLOG);
  const after = openDb(file);
  try {
    expect((await after.select({ status: nudges.status }).from(nudges).all()).every((n) => n.status === 'sent')).toBe(true);
  } finally {
    closeDb(after);
  }
  proc.kill('SIGTERM');
});
