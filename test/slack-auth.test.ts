// Bolt authorizes every request with the bot's identity. That identity is the one
// Steward's own start-up auth.test learnt, so one failed auth.test (Slack briefly
// down while Steward starts) cannot leave Bolt unable to authorize anything later.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../db/index.js';
import { commands } from '../handlers/index.js';
import { createSlackApp, type SlackApp } from '../src/chat/slack/app.js';
import { loadConfig } from '../src/config.js';
import { Engine } from '../src/engine/engine.js';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
let fake: FakeSlack | undefined;
let slack: SlackApp | undefined;
let db: Db | undefined;
let dir: string | undefined;

afterAll(async () => {
  await slack?.stop();
  await fake?.close();
  if (db) closeDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('the first auth.test failing for a moment: start-up tries again, and a slash command afterwards is authorized and answered', async () => {
  fake = new FakeSlack();
  fake.addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  fake.fail('auth.test', { error: 'internal_error' });
  dir = mkdtempSync(join(tmpdir(), 'steward-slack-auth-'));
  const port = await freePort();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(port),
    STEWARD_DB: join(dir, 'steward.db'),
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const logger = pino({ level: 'silent' });
  db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  slack = createSlackApp({ config, engine, logger, ready: async () => [], afterCommand: async () => {} });
  await slack.start();
  const calls = fake.callsTo('auth.test');
  expect(calls.length).toBeGreaterThanOrEqual(2);

  const responseUrl = fake.responseUrl();
  const res = await sendToApp(`http://127.0.0.1:${port}/slack/events`, slashCommand({ user: 'U1', command: '/account', text: 'add Acme tier:strategic', responseUrl }), {
    secret: SECRET,
  });
  expect(res.status).toBe(200);
  const answer = await fake.slashAnswer(res, responseUrl);
  expect(answer.text).toContain('Acme');
  expect(db.$client.prepare('select name from accounts').all()).toEqual([{ name: 'Acme' }]);
});
