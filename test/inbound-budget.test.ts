// The inbound service's ack budget, driven through both adapters from one table:
// a command held past the budget (its engine call waits on a gate the test
// opens) still has its platform answered while it is held: Slack's ack goes
// empty and the answer comes at the response_url; Lark's HTTP request is
// answered 200 and the answer comes as a message. A redelivery of the same
// event while the first is still held runs nothing; stop() while it is held
// waits for it; each adapter records the command once and answers once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../db/index.js';
import { accounts } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { createLarkApp } from '../src/chat/lark/app.js';
import { createSlackApp } from '../src/chat/slack/app.js';
import { loadConfig } from '../src/config.js';
import { Engine } from '../src/engine/engine.js';
import { cardActionEvent, FAKE_APP, FakeLark, messageEvent, p2pChatId, postToApp, type FakeMessage } from './fake-lark.js';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';

const SECRET = 'inbound-budget-secret';
const ENCRYPT_KEY = 'inbound-budget-key';
const TOKEN = 'v-token';
/** Short, so a held command is past it at once; nothing below waits on it: the gate opens only after the platform has its answer. */
const ACK_BUDGET_MS = 150;

/** Engine.handle held on a gate while `held`; counts its calls. */
function gated(engine: Engine) {
  const g = { calls: 0, held: undefined as Promise<void> | undefined, open: (() => {}) as () => void };
  const handle = engine.handle.bind(engine);
  engine.handle = async (...args: Parameters<Engine['handle']>) => {
    g.calls++;
    if (g.held) await g.held;
    return handle(...args);
  };
  return {
    get calls() {
      return g.calls;
    },
    hold() {
      g.held = new Promise<void>((resolve) => (g.open = resolve));
    },
    release() {
      g.open();
      g.held = undefined;
    },
  };
}

interface Side {
  db: Db;
  /** Sends the command as the platform would; resolves with the platform's answer to that request. */
  send(text: string, eventId: string): Promise<{ status: number; answered: boolean }>;
  /** Delivers the same event again (Lark's retry); undefined where the platform never retries (a slash command). */
  redeliver?(eventId: string): Promise<{ status: number }>;
  /** Resolves with what the user saw as the command's answer, once it has come. */
  answer(): Promise<string>;
  /** How many answers the user was sent after the ack. */
  answers(): number;
  stop(): Promise<void>;
  close(): Promise<void>;
}

type Gate = ReturnType<typeof gated>;

async function slackSide(dir: string): Promise<Side & { gate: Gate }> {
  const fake = new FakeSlack();
  fake.addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  const port = await freePort();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(port),
    STEWARD_DB: join(dir, 'slack.db'),
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE } });
  const gate = gated(engine);
  const slack = createSlackApp({ config, engine, logger: pino({ level: 'silent' }), ackBudgetMs: ACK_BUDGET_MS, afterCommand: async () => undefined });
  await slack.start();
  let responseUrl = '';
  return {
    db,
    gate,
    async send(text) {
      const [cmd, ...rest] = text.split(' ');
      responseUrl = fake.responseUrl();
      const res = await sendToApp(`http://127.0.0.1:${port}/slack/events`, slashCommand({ user: 'U1', command: cmd!, text: rest.join(' '), responseUrl }), { secret: SECRET });
      return { status: res.status, answered: res.json?.text !== undefined };
    },
    async answer() {
      const r = await fake.until(() => fake.responsesTo(responseUrl)[0], 'the answer at the response_url');
      return String((r.body as { text?: string }).text ?? '');
    },
    answers: () => fake.responsesTo(responseUrl).length,
    stop: () => slack.stop(),
    async close() {
      await fake.close();
      closeDb(db);
    },
  };
}

async function larkSide(dir: string, via: 'message' | 'card'): Promise<Side & { gate: Gate }> {
  const fake = new FakeLark();
  fake.addUser({ open_id: 'ou_alice', name: '王芳', en_name: 'Alice Wang', time_zone: 'Asia/Shanghai' });
  await fake.start();
  const port = await freePort();
  const config = loadConfig({
    LARK_APP_ID: FAKE_APP.appId,
    LARK_APP_SECRET: FAKE_APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_MODE: 'http',
    LARK_DOMAIN: fake.url,
    PORT: String(port),
    STEWARD_DB: join(dir, `lark-${via}.db`),
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE } });
  const gate = gated(engine);
  const lark = createLarkApp({ config, engine, logger: pino({ level: 'silent' }), ackBudgetMs: ACK_BUDGET_MS, afterCommand: async () => undefined });
  await lark.start();
  const events = new Map<string, { path: string; body: object }>();
  const toMe = () => [...fake.messages.values()].filter((m) => m.chat_id === p2pChatId('ou_alice'));
  const post = async (path: string, body: object) => postToApp(`http://127.0.0.1:${port}${path}`, body, { encryptKey: ENCRYPT_KEY });
  // A button is clicked on a card the bot sent (its help, asked for before the test holds anything).
  let card: FakeMessage | undefined;
  if (via === 'card') {
    await post('/lark/events', messageEvent({ text: '/steward help', from: 'ou_alice', chatType: 'p2p' }));
    card = await fake.waitFor(() => toMe()[0]);
  }
  const sentBefore = toMe().length;
  /** What the click or the message came to: the clicked card redrawn, or a message to Alice. */
  const answers = () => [...(card?.updates ?? []), ...toMe().slice(sentBefore)];
  return {
    db,
    gate,
    async send(text, eventId) {
      const event =
        via === 'message'
          ? { path: '/lark/events', body: messageEvent({ text, from: 'ou_alice', chatType: 'p2p', eventId }) }
          : { path: '/lark/cards', body: cardActionEvent({ from: 'ou_alice', value: { cmd: text }, messageId: card!.message_id, chatId: p2pChatId('ou_alice'), eventId }) };
      events.set(eventId, event);
      const res = await post(event.path, event.body);
      // A message event's answer is a message of its own; a click's answer is its toast and card, when it is ready in time.
      return { status: res.status, answered: answers().length > 0 || Boolean(res.json?.toast || res.json?.card) };
    },
    async redeliver(eventId) {
      const { path, body } = events.get(eventId)!;
      return { status: (await post(path, body)).status };
    },
    async answer() {
      return JSON.stringify(await fake.waitFor(() => answers()[0]));
    },
    answers: () => answers().length,
    stop: () => lark.stop(),
    async close() {
      await fake.stop();
      closeDb(db);
    },
  };
}

const SIDES = [
  { name: 'Slack (slash command)', make: slackSide },
  { name: 'Lark (message event over HTTP)', make: (dir: string) => larkSide(dir, 'message') },
  { name: 'Lark (card button over HTTP)', make: (dir: string) => larkSide(dir, 'card') },
] as const;

describe.each(SIDES)('a command held past the ack budget, on $name', ({ make }) => {
  let dir: string;
  let side: Awaited<ReturnType<typeof make>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-inbound-budget-'));
    side = await make(dir);
  });
  afterAll(async () => {
    await side?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the platform is answered while it is held, a redelivery then runs nothing, stop() waits for it, and it is recorded and answered once', async () => {
    const before = side.gate.calls;
    side.gate.hold();
    const acked = await side.send('/account add Acme tier:strategic', 'ev-held-1');
    // Answered while the command is still held: nothing in the ack, no answer sent yet.
    expect(acked).toEqual({ status: 200, answered: false });
    expect(side.gate.calls - before).toBe(1);
    if (side.redeliver) {
      // The platform's retry of the same event, the first still running: answered, and not run again.
      expect((await side.redeliver('ev-held-1')).status).toBe(200);
      expect(side.gate.calls - before).toBe(1);
    }
    // Shutdown while it is held: stop() waits for what was already taken.
    let stopped = false;
    const stopping = side.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    side.gate.release();
    await stopping;
    expect(await side.answer()).toMatch(/Acme/);
    expect(side.answers()).toBe(1);
    expect((await side.db.select({ n: count() }).from(accounts).get())!.n).toBe(1);
  });
});
