// `npm start` in Lark mode, as a real process: with LARK_* set it connects over
// the long connection (to the local Lark in test/fake-lark.ts), starts its own
// redis-server for the schedules, answers a DM, serves GET /healthz, and on
// SIGTERM stops taking events, finishes and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
