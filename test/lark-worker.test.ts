// A `worker` instance on Lark (STEWARD_ROLE=worker): the adapter started with
// listen false opens no port and no long connection, and still posts through
// Lark's Open API, which is all a worker needs to deliver the outbox.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeDb, openDb } from '../db/index.js';
import { commands } from '../handlers/index.js';
import { createLarkApp } from '../src/chat/lark/app.js';
import { loadConfig } from '../src/config.js';
import { Engine } from '../src/engine/engine.js';
import { reply } from '../src/engine/reply.js';
import { FAKE_APP, FakeLark } from './fake-lark.js';
import { freePort } from './kit.js';
import { listening } from './processes.js';

const ALICE = 'ou_alice';
let fake: FakeLark;
let dir: string;

beforeAll(async () => {
  fake = new FakeLark().addUser({ open_id: ALICE, name: '王芳', time_zone: 'Asia/Shanghai' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-lark-worker-'));
});

afterAll(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const mode of ['ws', 'http'] as const) {
  it(`LARK_MODE=${mode}: started to deliver only, it neither listens nor connects, and posts`, async () => {
    const port = await freePort();
    const config = loadConfig({
      LARK_APP_ID: FAKE_APP.appId,
      LARK_APP_SECRET: FAKE_APP.appSecret,
      LARK_VERIFICATION_TOKEN: 'worker-token',
      LARK_MODE: mode,
      LARK_DOMAIN: fake.url,
      PORT: String(port),
      STEWARD_DB: join(dir, `${mode}.db`),
      STEWARD_ROLE: 'worker',
      REDIS_URL: 'redis://127.0.0.1:6390',
    });
    const db = openDb(config.STEWARD_DB);
    const logger = pino({ level: 'silent' });
    const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
    const lark = createLarkApp({ config, engine, logger, ready: async () => [], afterCommand: async () => {} });
    try {
      await lark.start({ listen: false });
      expect(await listening(port)).toBe(false);
      expect(fake.callsTo('endpoint')).toHaveLength(0);
      const before = fake.messages.size;
      await lark.port.post({ dm: { platformUserId: ALICE, name: '王芳' } }, reply('info', 'Delivered by a worker'));
      expect(fake.messages.size).toBe(before + 1);
    } finally {
      await lark.stop();
      closeDb(db);
    }
  });
}
