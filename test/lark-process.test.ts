// `npm start` in Lark mode, as a real process: with LARK_* set it connects over
// the long connection (to the local Lark in test/fake-lark.ts), starts its own
// redis-server for the schedules, answers a DM, serves GET /healthz, and on
// SIGTERM stops taking events, finishes and exits 0. A command in flight when
// Steward is killed, or stopped, is recorded once when Lark delivers it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FAKE_APP, FakeLark, messageEvent, p2pChatId } from './fake-lark.js';
import { freePort } from './kit.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

let fake: FakeLark;
let dir: string;
let child: ChildProcess | undefined;
let stderr = '';

beforeAll(async () => {
  fake = new FakeLark().addUser({ open_id: 'ou_li', name: '李伟', time_zone: 'Asia/Shanghai' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-lark-process-'));
});

afterAll(async () => {
  child?.kill('SIGKILL');
  // A killed Steward leaves its redis-server behind (the next start reuses it): shut it down.
  const leftover = new Redis({ path: join(dir, 'crash', 'redis', 'redis.sock'), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  leftover.on('error', () => {});
  await leftover
    .connect()
    .then(() => leftover.shutdown('NOSAVE'))
    .catch(() => {});
  leftover.disconnect();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('serves Lark over the long connection and shuts down cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  const port = await freePort();
  child = spawn(TSX, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LARK_APP_ID: FAKE_APP.appId,
      LARK_APP_SECRET: FAKE_APP.appSecret,
      LARK_DOMAIN: fake.url,
      PORT: String(port),
      STEWARD_DB: join(dir, 'steward.db'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  await fake.connected(30_000).catch(() => {
    throw new Error(`Steward never connected; stderr:\n${stderr}`);
  });

  const ack = await fake.pushEvent(messageEvent({ text: '客户 添加 华东物流 级别:战略', from: 'ou_li', chatType: 'p2p' }));
  expect(ack.code).toBe(200);
  const answer = await fake.waitFor(() => [...fake.messages.values()].find((m) => m.chat_id === p2pChatId('ou_li')));
  expect(JSON.stringify(answer.content)).toContain('华东物流');
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  expect(code, stderr).toBe(0);
  await fake.disconnected();
  expect(stderr).not.toMatch(/"level":(50|60)/);
});

/** `npm start`'s process in Lark mode (long connection), on the database file `db`; resolves once it is connected. */
async function startSteward(db: string): Promise<ChildProcess> {
  const port = await freePort();
  // Node itself with tsx's loader, not the tsx wrapper: a signal must reach Steward's own process.
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LARK_APP_ID: FAKE_APP.appId,
      LARK_APP_SECRET: FAKE_APP.appSecret,
      LARK_DOMAIN: fake.url,
      PORT: String(port),
      STEWARD_DB: db,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  await fake.connected(30_000).catch(() => {
    throw new Error(`Steward never connected; stderr:\n${stderr}`);
  });
  return proc;
}

it('a command in flight when Steward is killed, or stopped, is recorded once when Lark delivers it again', { timeout: 120_000 }, async () => {
  const file = join(dir, 'crash', 'steward.db');
  mkdirSync(join(dir, 'crash'), { recursive: true });
  const accountsNamed = (name: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('select count(*) as n from accounts where name = ?').get(name) as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const answersTo = (name: string) => [...fake.messages.values()].filter((m) => JSON.stringify(m.content).includes(name)).length;

  // Killed while the command waits on Lark's contact lookup: nothing was committed, so the redelivery runs it.
  child = await startSteward(file);
  let release = fake.hold('user');
  const crashed = messageEvent({ text: '客户 添加 西南冷链 级别:战略', from: 'ou_li', chatType: 'p2p', eventId: 'ev-crash-1' });
  void fake.pushEvent(crashed, { timeoutMs: 60_000 }).catch(() => undefined);
  await fake.waitFor(() => fake.waiting('user') === 1, 30_000);
  const killed = once(child, 'exit');
  child.kill('SIGKILL');
  await killed;
  release();
  await fake.disconnected();
  child = await startSteward(file);
  expect((await fake.pushEvent(crashed, { timeoutMs: 30_000 })).code).toBe(200);
  await fake.waitFor(() => answersTo('西南冷链') > 0, 30_000);
  expect(accountsNamed('西南冷链')).toBe(1);

  // Stopped (SIGTERM) while the command waits on the lookup: it is finished before Steward exits, and its redelivery is not run again.
  release = fake.hold('user');
  // A member the cache has not seen, so the command asks the contact API.
  fake.addUser({ open_id: 'ou_zhao', name: '赵敏', time_zone: 'Asia/Shanghai' });
  const stopped = messageEvent({ text: '客户 添加 华北快运 级别:重点', from: 'ou_zhao', chatType: 'p2p', eventId: 'ev-stop-1' });
  void fake.pushEvent(stopped, { timeoutMs: 60_000 }).catch(() => undefined);
  await fake.waitFor(() => fake.waiting('user') === 1, 30_000);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await fake.disconnected();
  release();
  const [code] = (await exited) as [number | null];
  expect(code, stderr).toBe(0);
  expect(accountsNamed('华北快运')).toBe(1);
  const answered = answersTo('华北快运');
  child = await startSteward(file);
  expect((await fake.pushEvent(stopped, { timeoutMs: 30_000 })).code).toBe(200);
  expect(accountsNamed('华北快运')).toBe(1);
  expect(answersTo('华北快运')).toBe(answered);
  const last = once(child, 'exit');
  child.kill('SIGTERM');
  await last;
  child = undefined;
});
