// Steward on Lark, end to end: the real @larksuiteoapi/node-sdk (Client,
// EventDispatcher, WSClient) talking to a local server that plays Lark's Open
// API and long-connection gateway (test/fake-lark.ts). Events arrive in Lark's
// own shapes, over signed and encrypted HTTP and over the long connection.
// Assertions are on what a user would see (the cards the bot sent or answered
// with) and what the SQLite file holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, count, eq, inArray } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db, transact } from '../db/index.js';
import { accounts, complaints, members, nudges, pairings, tenants, touchpoints } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { catalog } from '../prompts/index.js';
import { createLarkApp, type LarkApp } from '../src/chat/lark/app.js';
import { DeliveryError } from '../src/chat/port.js';
import { loadConfig } from '../src/config.js';
import { Engine } from '../src/engine/engine.js';
import { reply } from '../src/engine/reply.js';
import { deliverDue, deliverNudge } from '../src/scheduler/outbox.js';
import { recordNudge } from '../src/domain/nudges.js';
import {
  botMenuEvent,
  cardActionEvent,
  encrypt,
  FAKE_APP,
  FAKE_BOT,
  FAKE_TENANT,
  FakeLark,
  LARK_ANSWER_DEADLINE_MS,
  messageEvent,
  p2pChatId,
  postToApp,
  signature,
  urlVerification,
  userDeletedEvent,
  type FakeMessage,
} from './fake-lark.js';
import { freePort } from './kit.js';

const ENCRYPT_KEY = 'steward-encrypt-key';
const TOKEN = 'v-token';
const ALICE = 'ou_alice';
const BOB = 'ou_bob';
const CAROL = 'ou_carol';
/** Someone from the customer's own Lark organisation, met in an external group. */
const OUTSIDER = 'ou_customer';
const THEIR_TENANT = 'tk_customer_corp';

let fake: FakeLark;
let dir: string;
const logs: string[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) });

interface Running {
  db: Db;
  lark: LarkApp;
  base: string;
}

/** Steward's Lark app on its own port and database file, delivering what it queues at once. */
async function startApp(mode: 'http' | 'ws', file: string, opts: { encrypted?: boolean } = {}): Promise<Running> {
  const port = await freePort();
  const config = loadConfig({
    LARK_APP_ID: FAKE_APP.appId,
    LARK_APP_SECRET: FAKE_APP.appSecret,
    LARK_ENCRYPT_KEY: mode === 'http' && opts.encrypted !== false ? ENCRYPT_KEY : undefined,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_MODE: mode,
    LARK_DOMAIN: fake.url,
    PORT: String(port),
    STEWARD_DB: file,
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  const running: Running = { db, base: `http://127.0.0.1:${port}`, lark: undefined as unknown as LarkApp };
  running.lark = createLarkApp({ config, engine, logger, ready: async () => notReady, afterCommand: async () => void (await deliverDue(db, running.lark.port, new Date())) });
  await running.lark.start();
  return running;
}

/** What the readiness check reports (the scheduler's, in main.ts): ready when empty. */
let notReady: string[] = [];

async function stopApp(r: Running | undefined) {
  if (!r) return;
  await r.lark.stop();
  closeDb(r.db);
}

/** Every string a card shows (markdown, plain text, option labels). */
function shown(v: unknown): string {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) k === 'content' && typeof y === 'string' ? out.push(y) : walk(y);
  };
  walk(v);
  return out.join('\n');
}

const sentAfter = (n: number) => [...fake.messages.values()].slice(n);
/** The next message the bot sends after `n` messages, matching `pred`. */
const nextSent = (n: number, pred: (m: FakeMessage) => boolean = () => true, what = 'a message from the bot') =>
  fake
    .waitFor(() => sentAfter(n).find(pred))
    .catch(() => {
      throw new Error(`${what} never came; sent: ${JSON.stringify(sentAfter(n).map((m) => shown(m.content)))}`);
    });

describe('Lark over signed, encrypted HTTP', () => {
  let app: Running;
  let events: string;
  let cards: string;
  const post = (body: object, opts: Parameters<typeof postToApp>[2] = {}) => postToApp(events, body, { encryptKey: ENCRYPT_KEY, ...opts });
  const db = () => app.db;
  const touches = async () => (await db().select({ n: count() }).from(touchpoints).get())!.n;
  const member = (openId: string) => db().select().from(members).where(eq(members.platformUserId, openId)).get();

  /** Alice (or `from`) types `text` to the bot in a DM; resolves with the card the bot answered with. */
  async function dm(text: string, from = ALICE) {
    const before = fake.messages.size;
    const res = await post(messageEvent({ text, from, chatType: 'p2p' }));
    expect(res.status).toBe(200);
    return nextSent(before, (m) => m.chat_id === p2pChatId(from), `the answer to "${text}"`);
  }

  beforeAll(async () => {
    fake = new FakeLark();
    fake
      .addUser({ open_id: ALICE, name: '王芳', en_name: 'Alice Wang', time_zone: 'Asia/Shanghai' })
      .addUser({ open_id: BOB, name: '李伟', time_zone: 'Asia/Shanghai' })
      .addUser({ open_id: CAROL, name: 'Carol Diaz', time_zone: 'America/New_York' });
    await fake.start();
    dir = mkdtempSync(join(tmpdir(), 'steward-lark-'));
    app = await startApp('http', join(dir, 'http.db'));
    events = `${app.base}/lark/events`;
    cards = `${app.base}/lark/cards`;
  });

  afterAll(async () => {
    await stopApp(app);
  });

  it('answers Lark’s URL check with the challenge, and refuses one with the wrong token', async () => {
    const ok = await post(urlVerification(TOKEN, 'ch-123'), { omitSignature: true });
    expect(ok).toMatchObject({ status: 200, json: { challenge: 'ch-123' } });
    const bad = await post(urlVerification('not-the-token', 'ch-456'), { omitSignature: true });
    expect(bad.status).toBe(401);
  });

  it('a DM is a command: the first speaker is the tenant’s admin, the tenant speaks Chinese, and the answer is a card in the same chat', async () => {
    const answer = await dm('/account add Acme tier:strategic');
    expect(answer.msg_type).toBe('interactive');
    expect(answer.receive_id_type).toBe('chat_id');
    expect(answer.content.schema).toBe('2.0');
    expect(shown(answer.content)).toMatch(/Acme/);
    expect(shown(answer.content)).toMatch(/\p{Script=Han}/u);
    expect(await db().select().from(tenants).get()).toMatchObject({ platform: 'lark', workspaceId: FAKE_TENANT, locale: 'zh-CN' });
    expect(await member(ALICE)).toMatchObject({ name: '王芳', role: 'admin', timezone: 'Asia/Shanghai' });
    // Who Alice is came from the contact API, with the tenant token the SDK fetched.
    const lookup = fake.callsTo('user').find((c) => c.path.endsWith(ALICE))!;
    expect(lookup.query.user_id_type).toBe('open_id');
    expect(lookup.headers.authorization).toMatch(/^Bearer t-/);
  });

  it('Chinese command words and commands without the slash work: 拜访 is /touch, 帮助 is help', async () => {
    const before = await touches();
    const answer = await dm('拜访 Acme visit 见了新采购经理，确认一季度运量');
    expect(shown(answer.content)).toMatch(/Acme/);
    expect(await touches()).toBe(before + 1);
    const touch = await db().select().from(touchpoints).where(eq(touchpoints.note, '见了新采购经理，确认一季度运量')).get();
    expect(touch).toMatchObject({ kind: 'visit' });
    expect(shown((await dm('帮助')).content)).toMatch(/\/touch/);
    expect(shown((await dm('help')).content)).toMatch(/\/complaint/);
    expect(await touches()).toBe(before + 1);
  });

  it('in a group the bot’s @mention is stripped, other mentions are members, and the answer is an ephemeral card for the sender alone', async () => {
    const before = fake.messages.size;
    const event = messageEvent({
      text: '@_user_1 /steward role @_user_2 manager',
      from: ALICE,
      chatType: 'group',
      chatId: 'oc_sales',
      mentions: [
        { key: '@_user_1', openId: FAKE_BOT.openId, name: FAKE_BOT.name },
        { key: '@_user_2', openId: BOB, name: '李伟' },
      ],
    });
    expect((await post(event)).status).toBe(200);
    const answer = await nextSent(before, (m) => m.ephemeral_to === ALICE, 'the answer in the group');
    expect(answer.chat_id).toBe('oc_sales');
    expect(await member(BOB)).toMatchObject({ role: 'manager', name: '李伟' });
    // The reply names Bob with a real Lark mention.
    expect(shown(answer.content)).toContain(`<at id=${BOB}></at>`);
  });

  it('`@Steward /account show Acme` in a group is answered to the asker alone: nobody else in the group sees revenue or complaints', async () => {
    const before = fake.messages.size;
    const event = messageEvent({
      text: '@_user_1 /account show Acme',
      from: BOB,
      chatType: 'group',
      chatId: 'oc_customer_shared',
      mentions: [{ key: '@_user_1', openId: FAKE_BOT.openId, name: FAKE_BOT.name }],
    });
    expect((await post(event)).status).toBe(200);
    const answer = await nextSent(before, (m) => m.chat_id === 'oc_customer_shared', 'the answer in the group');
    expect(answer.ephemeral_to).toBe(BOB);
    expect(shown(answer.content)).toContain('Acme');
    // Nothing else reached the group, or anyone's DM.
    await new Promise((r) => setTimeout(r, 100));
    expect(sentAfter(before)).toEqual([answer]);
    expect(fake.callsTo('ephemeral').at(-1)!.body).toMatchObject({ chat_id: 'oc_customer_shared', open_id: BOB, msg_type: 'interactive' });
  });

  it('where Lark refuses the ephemeral card, the private answer goes to the asker’s DM, not the group', async () => {
    fake.fail('ephemeral', { code: 230002, msg: 'The bot can not be outside the group.' });
    const before = fake.messages.size;
    const event = messageEvent({
      text: '@_user_1 /account show Acme',
      from: BOB,
      chatType: 'group',
      chatId: 'oc_customer_shared',
      mentions: [{ key: '@_user_1', openId: FAKE_BOT.openId, name: FAKE_BOT.name }],
    });
    expect((await post(event)).status).toBe(200);
    const answer = await nextSent(before, () => true, 'the answer');
    expect(answer.chat_id).toBe(p2pChatId(BOB));
    expect(shown(answer.content)).toContain('Acme');
  });

  it('a group message that does not mention the bot is not a command', async () => {
    const before = await touches();
    const sent = fake.messages.size;
    const event = messageEvent({ text: '/touch Acme call Overheard in the group', from: ALICE, chatType: 'group', chatId: 'oc_sales', mentions: [] });
    expect((await post(event)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await touches()).toBe(before);
    expect(sentAfter(sent)).toHaveLength(0);
  });

  it('refuses a forged, unsigned, undecryptable or wrong-token event and records nothing', async () => {
    const before = await touches();
    const event = () => messageEvent({ text: '/touch Acme call forged', from: ALICE, chatType: 'p2p' });
    expect((await post(event(), { badSignature: true })).status).toBe(401);
    expect((await post(event(), { omitSignature: true })).status).toBe(401);
    expect((await post(event(), { raw: JSON.stringify({ encrypt: encrypt('some other key', JSON.stringify(event())) }) })).status).toBe(400);
    expect((await post(event(), { raw: JSON.stringify(event()) })).status).toBe(400);
    expect((await post(messageEvent({ text: '/touch Acme call forged', from: ALICE, chatType: 'p2p', token: 'stolen' }))).status).toBe(401);
    expect((await post(event(), { raw: '{not json' })).status).toBe(400);
    expect(await touches()).toBe(before);
  });

  it('a signed request a day old, or from an hour ahead, is refused; the same signed request sent again is refused', async () => {
    const before = await touches();
    const now = Math.floor(Date.now() / 1000);
    const old = messageEvent({ text: '/touch Acme call A day-old request', from: ALICE, chatType: 'p2p' });
    expect((await post(old, { timestamp: now - 24 * 3600 })).status).toBe(401);
    expect((await post(old, { timestamp: now + 3600 })).status).toBe(401);
    expect(await touches()).toBe(before);

    // Replayed byte for byte, with the same timestamp and nonce: refused as a replay before it reaches the event's dedupe.
    const raw = JSON.stringify({ encrypt: encrypt(ENCRYPT_KEY, JSON.stringify(messageEvent({ text: '/touch Acme call Replayed request', from: ALICE, chatType: 'p2p' }))) });
    const sent = fake.messages.size;
    expect((await post({}, { raw, timestamp: now, nonce: 'n-replay' })).status).toBe(200);
    await nextSent(sent);
    expect((await post({}, { raw, timestamp: now, nonce: 'n-replay' })).status).toBe(401);
    expect(await touches()).toBe(before + 1);
  });

  it('a body that decrypts to null, or to something not an object, is refused with 400', async () => {
    for (const plain of ['null', '[1]', '"text"']) {
      expect((await post({}, { raw: JSON.stringify({ encrypt: encrypt(ENCRYPT_KEY, plain) }) })).status, plain).toBe(400);
    }
  });

  it('an event Lark redelivers is processed once', async () => {
    const before = await touches();
    const event = messageEvent({ text: '/touch Acme call Redelivered call note', from: ALICE, chatType: 'p2p' });
    const sent = fake.messages.size;
    for (let i = 0; i < 3; i++) expect((await post(event)).status).toBe(200);
    await nextSent(sent);
    expect(await touches()).toBe(before + 1);
  });

  it('a message that is not text gets a hint, and nothing is recorded', async () => {
    const before = await touches();
    const event = messageEvent({ text: 'x', from: ALICE, chatType: 'p2p' });
    const image = { ...event, event: { ...event.event, message: { ...event.event.message, message_type: 'image', content: JSON.stringify({ image_key: 'img_v2_1' }) } } };
    const sent = fake.messages.size;
    expect((await post(image)).status).toBe(200);
    expect(shown((await nextSent(sent)).content)).toMatch(/帮助/);
    expect(await touches()).toBe(before);
  });

  it('markup in a note pings nobody; a note over the limit is refused in Chinese with nothing recorded', async () => {
    const note = `<at id=all></at> **urgent** [click](https://evil.example) ${'长'.repeat(3_900)}`;
    const answer = await dm(`/touch Acme message ${note}`);
    expect(JSON.stringify(answer.content)).not.toContain('<at id=all>');
    expect(await db().select().from(touchpoints).where(eq(touchpoints.note, note)).get()).toBeDefined();
    const before = await touches();
    const tooLong = await dm(`/touch Acme message ${'长'.repeat(10_000)}`);
    expect(shown(tooLong.content)).toMatch(/10000|10 000|10,000/);
    expect(shown(tooLong.content)).toMatch(/\p{Script=Han}/u);
    expect(await touches()).toBe(before);
    const unknown = await dm('/touch Nowhere visit hi');
    expect(shown(unknown.content)).toMatch(/Nowhere/);
    expect(await touches()).toBe(before);
  });

  it('a bare `touch` answers with a card form whose submission records exactly what the text form would', async () => {
    await dm('/contact add Acme "Li Wei" level:decision-maker');
    const form = await dm('touch');
    const body = form.content.body.elements[0];
    expect(body.tag).toBe('form');
    expect(body.elements.find((e: { name?: string }) => e.name === 'account').options.map((o: { value: string }) => o.value)).toContain('Acme');
    const submit = body.elements.find((e: { name?: string }) => e.name === 'submit');
    const before = await touches();
    const res = await postToApp(
      cards,
      cardActionEvent({
        from: ALICE,
        value: submit.behaviors[0].value,
        formValue: { account: 'Acme', kind: 'call', date: '2026-11-20 +0800', contact: 'Li Wei', note: '电话确认了理赔进度' },
        name: 'submit',
        messageId: form.message_id,
        chatId: form.chat_id,
      }),
      { encryptKey: ENCRYPT_KEY },
    );
    expect(res.status).toBe(200);
    expect(res.json.toast, JSON.stringify(res.json)).toMatchObject({ type: 'success' });
    expect(res.json.card.type).toBe('raw');
    expect(shown(res.json.card.data)).toMatch(/Acme/);
    expect(await touches()).toBe(before + 1);
    const row = (await db().select().from(touchpoints).where(eq(touchpoints.note, '电话确认了理赔进度')).get())!;
    expect(row.kind).toBe('call');
    // The same words typed give the same row.
    await dm('/touch Acme call to:"Li Wei" on:2026-11-20 电话确认了理赔进度（打字）');
    const typed = (await db().select().from(touchpoints).where(eq(touchpoints.note, '电话确认了理赔进度（打字）')).get())!;
    expect({ ...typed, id: 0, note: '', createdAt: null }).toEqual({ ...row, id: 0, note: '', createdAt: null });
  });

  describe('a form Lark will not take is never silent: the user is told what to type instead', () => {
    const localeOf = async (openId: string) => (await member(openId))!.locale ?? 'zh-CN';

    it('a bare `touch` whose card Lark refuses gets, as text, the words and the typed command', async () => {
      const t = catalog(await localeOf(ALICE));
      fake.fail('create', { code: 230099, msg: 'Failed to create card content' });
      const told = await dm('touch');
      expect(told.msg_type).toBe('text');
      expect(told.content.text).toContain(t.lark.formFailed);
      expect(told.content.text).toMatch(/\/touch </);
    });

    it('a bare `touch` whose send fails outright gets a card with the words and the typed command', async () => {
      const t = catalog(await localeOf(ALICE));
      fake.fail('create', { status: 500, code: 1500, msg: 'internal error' });
      const told = await dm('touch');
      expect(told.msg_type).toBe('interactive');
      expect(shown(told.content)).toContain(t.lark.formFailed);
      expect(shown(told.content)).toMatch(/\/touch </);
    });

    it('the Resolve button’s question that Lark will not send is told to the clicker, with `/resolve C-n <…>` to type', async () => {
      const t = catalog(await localeOf(ALICE));
      const card = await dm('/complaint Acme severity:low 表单失败时的投诉');
      const c = (await db().select().from(complaints).where(eq(complaints.summary, '表单失败时的投诉')).get())!;
      fake.fail('reply', { status: 400, code: 230001, msg: 'invalid request' });
      const before = fake.messages.size;
      const res = await postToApp(cards, cardActionEvent({ from: ALICE, value: { cmd: `/resolve C-${c.number}` }, messageId: card.message_id, chatId: card.chat_id }), {
        encryptKey: ENCRYPT_KEY,
      });
      expect(res.json.toast.type).toBe('info');
      const told = await nextSent(before, (m) => m.parent_id === card.message_id, 'what to type instead');
      expect(shown(told.content)).toContain(t.lark.formFailed);
      expect(shown(told.content)).toContain(`/resolve C-${c.number} <`);
      expect(JSON.stringify(told.content)).not.toContain('"ask"');
    });
  });

  it('a card form and a DM are answered while the contact lookup is slow; the member follows the lookup when it lands', async () => {
    // Lark waits 3 seconds for a card callback's answer; the contact API is held (answered only when released).
    const DAVE = 'ou_dave';
    fake.addUser({ open_id: DAVE, name: '周杰', time_zone: 'Europe/Paris' });
    await dm('/account add Acme tier:key');
    const before = await touches();
    const release = fake.hold('user');
    try {
      const res = await postToApp(
        cards,
        cardActionEvent({
          from: DAVE,
          value: { form: 'touch' },
          formValue: { account: 'Acme', kind: 'call', note: '联系人查询很慢时提交' },
          name: 'submit',
          messageId: 'om_slow',
          chatId: 'oc_slow',
        }),
        // The contact API is held far longer than Lark waits (the SDK gives up on it after 10 s).
        { encryptKey: ENCRYPT_KEY, deadlineMs: LARK_ANSWER_DEADLINE_MS },
      );
      expect(res.status).toBe(200);
      expect(res.json.toast, JSON.stringify(res.json)).toMatchObject({ type: 'success' });
      expect(await touches()).toBe(before + 1);
      const sent = await post(messageEvent({ text: '/account list', from: DAVE, chatType: 'p2p' }), { deadlineMs: LARK_ANSWER_DEADLINE_MS });
      expect(sent.status).toBe(200);
    } finally {
      release();
    }
    await fake.waitFor(async () => (await member(DAVE))?.name === '周杰');
    expect((await member(DAVE))!.timezone).toBe('Europe/Paris');
  });

  it("an account card's Log touchpoint button sends the touch form with that account already chosen", async () => {
    const before = fake.messages.size;
    const res = await postToApp(cards, cardActionEvent({ from: ALICE, value: { cmd: '/touch "Acme"' }, messageId: 'om_account', chatId: 'oc_x' }), { encryptKey: ENCRYPT_KEY });
    expect(res.status).toBe(200);
    const form = await nextSent(before, () => true, 'the form card');
    const account = form.content.body.elements[0].elements.find((e: { name?: string }) => e.name === 'account');
    expect(account.initial_option ?? account.default_value).toBe('Acme');
  });

  it('a form submission that names no account is refused on a toast, and records nothing', async () => {
    const before = await touches();
    const res = await postToApp(
      cards,
      cardActionEvent({ from: ALICE, value: { form: 'touch' }, formValue: { account: 'Nowhere Ltd', kind: 'visit' }, messageId: 'om_x', chatId: 'oc_x' }),
      { encryptKey: ENCRYPT_KEY },
    );
    expect(res.json.toast.type).toBe('error');
    expect(res.json.card).toBeUndefined();
    expect(await touches()).toBe(before);
  });

  describe('complaints in the open', () => {
    let number: number;
    it('`escalation-channel:here` in a group makes it the escalation chat; a new complaint is posted there and becomes its thread', async () => {
      const before = fake.messages.size;
      fake.addChat('oc_escalation', '投诉升级群');
      const set = messageEvent({ text: '/steward settings escalation-channel:here', from: ALICE, chatType: 'group', chatId: 'oc_escalation' });
      await post(set);
      const answer = await nextSent(before, (m) => m.chat_id === 'oc_escalation' && m.ephemeral_to === ALICE);
      // The group by its name, not its chat id.
      expect(shown(answer.content)).toContain('#投诉升级群');
      expect(shown(answer.content)).not.toContain('oc_escalation');
      const sent = fake.messages.size;
      await dm('/complaint Acme severity:high category:damage 成都线三托货物压坏');
      const row = (await db().select().from(complaints).where(eq(complaints.summary, '成都线三托货物压坏')).get())!;
      number = row.number;
      const posted = await nextSent(sent, (m) => m.chat_id === 'oc_escalation', 'the escalation post');
      expect(posted.receive_id_type).toBe('chat_id');
      expect(shown(posted.content)).toContain(`C-${number}`);
      expect(shown(posted.content)).toMatch(/Acme/);
      await fake.waitFor(async () => (await db().select().from(complaints).where(eq(complaints.id, row.id)).get())!.threadTs === posted.message_id);
    });

    /** The callback values of a card's buttons. */
    const buttonValues = (card: unknown) => {
      const values: { cmd?: string; shared?: boolean; about?: unknown }[] = [];
      const walk = (x: unknown): void => {
        if (Array.isArray(x)) x.forEach(walk);
        else if (x && typeof x === 'object') {
          const v = (x as { behaviors?: { value?: { cmd?: string } }[] }).behaviors?.[0]?.value;
          if (v?.cmd) values.push(v);
          Object.values(x).forEach(walk);
        }
      };
      walk(card);
      return values;
    };
    const zh = catalog('zh-CN');

    it('a button on the group’s shared complaint card redraws it for everyone with the new owner, in the group’s language; the clicker’s confirmation is theirs alone', async () => {
      const row = async () => (await db().select().from(complaints).where(eq(complaints.number, number)).get())!;
      // Bob has it; Alice, the admin, takes it over from the group's card.
      await db()
        .update(complaints)
        .set({ ownerId: (await member(BOB))!.id })
        .where(eq(complaints.number, number))
        .run();
      const shared = fake.messages.get((await row()).threadTs!)!;
      const take = buttonValues(shared.content).find((v) => v.cmd === `/complaint assign C-${number} me`);
      expect(take, JSON.stringify(buttonValues(shared.content))).toBeDefined();
      const before = fake.messages.size;
      const res = await postToApp(cards, cardActionEvent({ from: ALICE, value: take!, messageId: shared.message_id, chatId: 'oc_escalation' }), { encryptKey: ENCRYPT_KEY });
      expect(res.json.toast.type).toBe('success');
      expect((await row()).ownerId).toBe((await member(ALICE))!.id);
      const mine = await nextSent(before, (m) => m.ephemeral_to === ALICE, 'the confirmation');
      expect(mine.chat_id).toBe('oc_escalation');
      // The group's card, as everyone now sees it: the same complaint, its new owner, in the group's language, its buttons still there.
      expect(res.json.card?.type, JSON.stringify(res.json)).toBe('raw');
      const card = shown(res.json.card.data);
      expect(card).toContain(`C-${number}`);
      expect(card).toContain('成都线三托货物压坏');
      expect(card).toContain(zh.complaint.fields.owner);
      expect(card).toContain(`<at id=${ALICE}></at>`);
      expect(card).not.toContain(`<at id=${BOB}></at>`);
      expect(buttonValues(res.json.card.data).map((v) => v.cmd)).toEqual([`/resolve C-${number}`, `/complaint assign C-${number} me`]);
      // Not the clicker's confirmation.
      expect(card).not.toContain(shown(mine.content).split('\n')[0]);
    });

    it('the Resolve button on the group’s card asks the clicker alone what was done; a rep without the right is refused; the admin’s answer resolves it and redraws the group’s card as resolved, with no buttons', async () => {
      const row = async () => (await db().select().from(complaints).where(eq(complaints.number, number)).get())!;
      const resolveButton = buttonValues(fake.messages.get((await row()).threadTs!)!.content).find((v) => v.cmd === `/resolve C-${number}`)!;
      expect(resolveButton).toMatchObject({ shared: true, about: { complaint: number } });
      const click = async (from: string) =>
        postToApp(cards, cardActionEvent({ from, value: resolveButton, messageId: (await row()).threadTs!, chatId: 'oc_escalation' }), { encryptKey: ENCRYPT_KEY });
      const before = fake.messages.size;
      const res = await click(ALICE);
      expect(res.json.toast.type).toBe('info');
      expect(res.json.card).toBeUndefined();
      const ask = await nextSent(before, (m) => m.ephemeral_to === ALICE && m.chat_id === 'oc_escalation', 'the question to the clicker');
      const submit = ask.content.body.elements[1].elements.find((e: { name?: string }) => e.name === 'submit');
      expect(submit.behaviors[0].value).toEqual({ ask: `/resolve C-${number}`, redraw: (await row()).threadTs, about: { complaint: number } });

      // Carol is a rep who neither owns the complaint nor manages its owner: her click is refused at once, with nothing asked.
      const questions = () => [...fake.messages.values()].filter((m) => JSON.stringify(m.content).includes(`"ask":"/resolve C-${number}"`)).length;
      const asked = questions();
      // The card's redraws so far (the outbox's, after the click before this test) are all delivered.
      await fake.waitFor(
        async () =>
          !(await db()
            .select()
            .from(nudges)
            .where(and(eq(nudges.kind, 'card'), inArray(nudges.status, ['pending', 'sending'])))
            .get()),
      );
      const drawn = fake.messages.get((await row()).threadTs!)!.updates.length;
      const refusedClick = await click(CAROL);
      expect(refusedClick.json.toast.type).toBe('error');
      expect(questions()).toBe(asked);
      // A form already open when she clicks Save is checked again.
      const refused = await postToApp(
        cards,
        cardActionEvent({ from: CAROL, value: submit.behaviors[0].value, formValue: { note: '已赔付' }, messageId: ask.message_id, chatId: 'oc_escalation' }),
        { encryptKey: ENCRYPT_KEY },
      );
      expect(refused.json.toast.type).toBe('error');
      expect((await row()).status).toBe('open');
      expect(fake.messages.get((await row()).threadTs!)!.updates).toHaveLength(drawn);

      const sent = fake.messages.size;
      const ok = await postToApp(
        cards,
        cardActionEvent({ from: ALICE, value: submit.behaviors[0].value, formValue: { note: '已全额赔付，该线路加护角' }, messageId: ask.message_id, chatId: 'oc_escalation' }),
        { encryptKey: ENCRYPT_KEY },
      );
      expect(ok.json.toast.type).toBe('success');
      expect(await row()).toMatchObject({ status: 'resolved', resolution: '已全额赔付，该线路加护角' });
      // The group's card, redrawn for everyone: resolved, with what was done, no buttons, in the group's language.
      const shared = fake.messages.get((await row()).threadTs!)!;
      const redrawn = await fake.waitFor(() => shared.updates.slice(drawn).find((u) => shown(u).includes(zh.complaint.fields.resolution)), 5_000).catch(() => undefined);
      expect(redrawn, 'the group’s card was never redrawn').toBeDefined();
      expect(shown(redrawn)).toContain(`C-${number}`);
      expect(shown(redrawn)).toContain(zh.complaint.fields.resolution);
      expect(shown(redrawn)).toContain('已全额赔付，该线路加护角');
      expect(buttonValues(redrawn)).toEqual([]);
      // The complaint's thread hears that it is closed.
      const threadTs = (await row()).threadTs;
      const note = await nextSent(sent, (m) => m.root_id === threadTs && m.thread_id !== undefined, 'the thread reply');
      expect(shown(note.content)).toContain(`C-${number}`);
      // The button again, on the closed complaint: said so at once, nothing asked.
      const questionsBefore = questions();
      const stale = await click(ALICE);
      expect(stale.json.toast.type).toBe('error');
      expect(stale.json.toast.content).toContain(`C-${number}`);
      expect(questions()).toBe(questionsBefore);
    });

    it('a typed `/complaint reopen C-n` redraws the group’s card for everyone: open again, in the group’s language, with its buttons', async () => {
      const row = async () => (await db().select().from(complaints).where(eq(complaints.number, number)).get())!;
      expect((await row()).status).toBe('resolved');
      const shared = fake.messages.get((await row()).threadTs!)!;
      const settled = () =>
        fake.waitFor(
          async () =>
            !(await db()
              .select()
              .from(nudges)
              .where(inArray(nudges.status, ['pending', 'sending']))
              .get()),
        );
      await settled();
      const drawn = shared.updates.length;
      const answer = await dm(`/complaint reopen C-${number} 下一批货又压坏了`);
      expect(shown(answer.content)).toContain(`C-${number}`);
      expect((await row()).status).toBe('open');
      const redrawn = await fake.waitFor(() => shared.updates[drawn]).catch(() => undefined);
      expect(redrawn, 'the group’s card was never redrawn').toBeDefined();
      const card = shown(redrawn);
      expect(card).toContain(`C-${number}`);
      expect(card).toContain(zh.complaint.fields.deadline);
      expect(card).not.toContain(zh.complaint.fields.resolution);
      expect(buttonValues(redrawn).map((v) => v.cmd)).toEqual([`/resolve C-${number}`, `/complaint assign C-${number} me`]);
      // What else the reopening tells (its thread hears of it) is out before the next test counts messages.
      await settled();
    });
  });

  it('added to a group, Steward says in Chinese what it does there', async () => {
    const base = botMenuEvent({ from: ALICE, eventKey: 'x' });
    const added = {
      ...base,
      header: { ...base.header, event_type: 'im.chat.member.bot.added_v1' },
      event: { chat_id: 'oc_new', operator_id: { open_id: ALICE }, name: '华东大客户群', external: false, operator_tenant_key: FAKE_TENANT },
    };
    const before = fake.messages.size;
    expect((await post(added)).status).toBe(200);
    const hello = await nextSent(before, (m) => m.chat_id === 'oc_new');
    expect(shown(hello.content)).toMatch(/升级群:本群/);
    expect((await post(added)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(sentAfter(before)).toHaveLength(1);
  });

  it('the bot menu’s “my accounts” answers in the user’s DM', async () => {
    const before = fake.messages.size;
    expect((await post(botMenuEvent({ from: ALICE, eventKey: 'my_accounts' }))).status).toBe(200);
    const answer = await nextSent(before, (m) => m.receive_id === ALICE);
    expect(answer.receive_id_type).toBe('open_id');
    expect(shown(answer.content)).toMatch(/Acme/);
  });

  it('Lark reporting a user deleted is their leaving: their accounts are flagged, the admin is asked to hand them over, once', async () => {
    await dm('/account add "Zeta Corp" tier:standard', CAROL);
    const event = userDeletedEvent({ openId: CAROL });
    const before = fake.messages.size;
    expect((await post(event)).status).toBe(200);
    const notice = await nextSent(before, (m) => m.receive_id === ALICE && shown(m.content).includes('Zeta Corp'), 'the DM to the admin');
    expect(notice.receive_id_type).toBe('open_id');
    expect(await member(CAROL)).toMatchObject({ active: false });
    expect((await db().select().from(accounts).where(eq(accounts.name, 'Zeta Corp')).get())!.ownerGoneAt).not.toBeNull();
    // Redelivered: processed once.
    const again = fake.messages.size;
    expect((await post(event)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentAfter(again)).toHaveLength(0);
  });

  describe('delivery errors become typed errors', () => {
    it('429 with x-ogw-ratelimit-reset is rate-limited for that long', async () => {
      fake.fail('create', { status: 429, reset: 3 });
      const err = await app.lark.port.post({ channel: 'oc_escalation' }, reply('info', 'hi')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect(err).toMatchObject({ kind: 'rate-limited', retryAfterMs: 3000 });
    });
    it('the bot not being in the chat is permanent; a Lark 5xx is transient', async () => {
      fake.fail('create', { code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
      expect(await app.lark.port.post({ channel: 'oc_gone' }, reply('info', 'hi')).catch((e: unknown) => e)).toMatchObject({ kind: 'permanent' });
      fake.fail('create', { status: 500, code: 1000, msg: 'internal error' });
      expect(await app.lark.port.post({ channel: 'oc_escalation' }, reply('info', 'hi')).catch((e: unknown) => e)).toMatchObject({ kind: 'transient' });
    });
    it('a chat-level send limit is rate-limited too', async () => {
      fake.fail('create', { status: 200, code: 230020, msg: 'This chat is receiving messages too frequently' });
      expect(await app.lark.port.post({ channel: 'oc_escalation' }, reply('info', 'hi')).catch((e: unknown) => e)).toMatchObject({ kind: 'rate-limited' });
    });
    it('update() patches the card in place', async () => {
      const ref = await app.lark.port.post({ channel: 'oc_escalation' }, reply('info', 'C-9 open'));
      await app.lark.port.update(ref, reply('success', 'C-9 resolved'));
      const m = fake.messages.get(ref.ts)!;
      expect(m.updates).toHaveLength(1);
      expect(shown(m.updates[0])).toContain('C-9 resolved');
    });
    it.each([
      [230099, 'Failed to create card content'],
      [230025, 'The length of the message content reaches its limit.'],
    ])('a card Lark refuses (%i) is sent as its text instead', async (code, msg) => {
      fake.fail('create', { code, msg });
      const before = fake.messages.size;
      await app.lark.port.post({ dm: { platformUserId: ALICE, name: 'Alice' } }, reply('info', 'Weekly digest ready'));
      const sent = await nextSent(before);
      expect(sent.msg_type).toBe('text');
      expect(sent.content.text).toContain('Weekly digest ready');
    });
  });

  describe('people from another organisation', () => {
    const outsiderSees = (text: string) => {
      expect(text).toContain(catalog('zh-CN').lark.outsider);
      expect(text).toContain(catalog('en').lark.outsider);
    };

    it('a message from another tenant’s user in an external group is refused in both languages, shows nothing, and records nobody', async () => {
      await dm('/complaint Acme severity:high category:damage 内部评估：客户可能换供应商');
      const event = messageEvent({ text: '/account show Acme', from: OUTSIDER, chatType: 'group', chatId: 'oc_external' });
      event.event.sender.tenant_key = THEIR_TENANT;
      const before = fake.messages.size;
      expect((await post(event)).status).toBe(200);
      const answer = await nextSent(before, (m) => m.parent_id === event.event.message.message_id, 'the refusal');
      outsiderSees(shown(answer.content));
      expect(shown(answer.content)).not.toMatch(/换供应商|Acme/);
      expect(await member(OUTSIDER)).toBeUndefined();
    });

    it('a card click by another tenant’s user is refused on a toast and runs nothing', async () => {
      const accountsBefore = (await db().select({ n: count() }).from(accounts).get())!.n;
      for (const cmd of ['/account show "Acme"', '/account add "Their Own Co"']) {
        const click = cardActionEvent({ from: OUTSIDER, value: { cmd }, messageId: 'om_external', chatId: 'oc_external' });
        click.event.operator.tenant_key = THEIR_TENANT;
        const res = await postToApp(cards, click, { encryptKey: ENCRYPT_KEY });
        expect(res.json.toast.type).toBe('error');
        outsiderSees(res.json.toast.content);
        expect(res.json.card).toBeUndefined();
      }
      expect((await db().select({ n: count() }).from(accounts).get())!.n).toBe(accountsBefore);
      expect(await member(OUTSIDER)).toBeUndefined();
    });
  });

  it('with ten or more mentions, cutting the bot’s @_user_1 leaves @_user_10 whole', async () => {
    const mentions = [{ key: '@_user_1', openId: FAKE_BOT.openId, name: FAKE_BOT.name }];
    for (let i = 2; i <= 11; i++) mentions.push({ key: `@_user_${i}`, openId: `ou_many${i}`, name: `Many ${i}` });
    // Lark's text holds only the keys typed; the event's mentions list has them all.
    const event = messageEvent({ text: '@_user_1 /steward role @_user_10 manager', from: ALICE, chatType: 'group', chatId: 'oc_sales', mentions });
    event.event.message.content = JSON.stringify({ text: '@_user_1 /steward role @_user_10 manager' });
    const before = fake.messages.size;
    expect((await post(event)).status).toBe(200);
    await nextSent(before, (m) => m.ephemeral_to === ALICE, 'the answer in the group');
    expect(await member('ou_many10')).toMatchObject({ role: 'manager', name: 'Many 10' });
  });

  it('the /pair Confirm button, which names the executive by open_id, pairs them', async () => {
    await dm('/account add Beta tier:standard');
    const group = (text: string) =>
      messageEvent({
        text,
        from: ALICE,
        chatType: 'group',
        chatId: 'oc_sales',
        mentions: [
          { key: '@_user_1', openId: FAKE_BOT.openId, name: FAKE_BOT.name },
          { key: '@_user_2', openId: BOB, name: '李伟' },
        ],
      });
    const role = group('@_user_1 /steward role @_user_2 exec');
    let before = fake.messages.size;
    await post(role);
    await nextSent(before, (m) => m.ephemeral_to === ALICE);
    const ask = group('@_user_1 /pair Beta @_user_2');
    before = fake.messages.size;
    await post(ask);
    const warning = await nextSent(before, (m) => m.ephemeral_to === ALICE, 'the tier warning');
    const confirm = JSON.stringify(warning.content).match(/"cmd":"([^"\\]*(?:\\.[^"\\]*)*)"/)?.[1];
    expect(confirm).toContain(`@${BOB}`);
    const res = await postToApp(cards, cardActionEvent({ from: ALICE, value: { cmd: JSON.parse(`"${confirm!}"`) as string }, messageId: warning.message_id, chatId: 'oc_sales' }), {
      encryptKey: ENCRYPT_KEY,
    });
    expect(res.json.toast, JSON.stringify(res.json)).toMatchObject({ type: 'success' });
    const beta = (await db().select().from(accounts).where(eq(accounts.name, 'Beta')).get())!;
    expect(await db().select().from(pairings).where(eq(pairings.accountId, beta.id)).all()).toEqual([expect.objectContaining({ execId: (await member(BOB))!.id, active: true })]);
  });

  it('an account card full of quotes and line breaks still goes as a card: its size is counted as sent, escaped twice', async () => {
    await dm('/account add Quotes tier:key');
    const heavy = `"${'"'.repeat(1200).replace(/"/g, '""')}"`;
    for (let i = 0; i < 4; i++) await dm(`/complaint Quotes severity:low category:other ${heavy}`);
    for (let i = 0; i < 4; i++) await dm(`/promise Quotes due:2027-01-0${i + 1} ${heavy}`);
    for (let i = 0; i < 2; i++) await dm(`/signal Quotes competitor ${heavy}`);
    const show = await dm('/account show Quotes');
    expect(show.msg_type).toBe('interactive');
    expect(shown(show.content)).toMatch(/Quotes/);
    const sent = fake.callsTo('create').at(-1)!;
    expect(Buffer.byteLength(JSON.stringify(sent.body))).toBeLessThanOrEqual(30 * 1024);
  });

  describe('refusals that end a delivery', () => {
    const refusedWith = async (failure: Parameters<FakeLark['fail']>[1]) => {
      fake.fail('create', failure);
      return app.lark.port.post({ channel: 'oc_escalation' }, reply('info', 'hi')).catch((e: unknown) => e);
    };

    it('a code about the request, the app or the destination is permanent, codes Lark adds later included; Lark’s own trouble is not', async () => {
      const permanent: [number, string][] = [
        [99992402, 'field validation failed'],
        [99992361, 'open_id cross app'],
        [230027, 'Lack of necessary permissions'],
        [230053, 'The user has stopped the bot from sending messages.'],
        [239999, 'a code Lark adds later'],
      ];
      for (const [code, msg] of permanent) expect(await refusedWith({ code, msg }), String(code)).toMatchObject({ kind: 'permanent' });
      expect(await refusedWith({ status: 200, code: 1500, msg: 'internal error' })).toMatchObject({ kind: 'transient' });
      expect(await refusedWith({ status: 503, code: 230001, msg: 'Internal Error' })).toMatchObject({ kind: 'transient' });
      // A tenant token refused again after a fresh one was asked for: the app's credentials, not this message; the workspace's delivery pauses.
      const invalid = { code: 99991663, msg: 'Invalid access token for authorization.' };
      fake.fail('create', invalid);
      expect(await refusedWith(invalid)).toMatchObject({ kind: 'workspace' });
    });

    it('a refused access token is dropped: the post is made again at once with a fresh one', async () => {
      const tokens = fake.callsTo('token').length;
      fake.fail('create', { code: 99991663, msg: 'Invalid access token for authorization.' });
      const posted = await app.lark.port.post({ channel: 'oc_escalation' }, reply('info', 'hi'));
      expect(posted.ts).toBeTruthy();
      expect(fake.callsTo('token').length).toBe(tokens + 1);
    });

    it('a group that refuses the bot for good gets its nudge to the member by DM instead', async () => {
      const tenant = (await db().select().from(tenants).get())!;
      const id = (await transact(db(), async (tx) =>
        recordNudge(tx, {
          tenantId: tenant.id,
          dedupeKey: 'lark-test:locked-group',
          kind: 'notice',
          subjectType: 'none',
          subjectId: 0,
          recipientId: (await member(ALICE))!.id,
          channel: 'oc_locked',
          period: 'p',
          payload: reply('info', 'Revisit Acme'),
          notBefore: new Date(0),
        }),
      ))!;
      fake.fail('create', { code: 230027, msg: 'Lack of necessary permissions' });
      const before = fake.messages.size;
      await deliverNudge(db(), app.lark.port, id, new Date());
      expect(await db().select().from(nudges).where(eq(nudges.id, id)).get()).toMatchObject({ status: 'sent' });
      const direct = await nextSent(before, (m) => m.receive_id === ALICE, 'the DM');
      expect(shown(direct.content)).toContain('Revisit Acme');
    });

    it('the admin told that a group refuses Steward reads the group by its name, not its chat id', async () => {
      fake.addChat('oc_named_locked', '华东大客户群');
      const tenant = (await db().select().from(tenants).get())!;
      const id = (await transact(db(), (tx) =>
        recordNudge(tx, {
          tenantId: tenant.id,
          dedupeKey: 'lark-test:named-locked-group',
          kind: 'notice',
          subjectType: 'none',
          subjectId: 0,
          recipientId: null,
          channel: 'oc_named_locked',
          period: 'p',
          payload: reply('info', '新投诉'),
          notBefore: new Date(0),
        }),
      ))!;
      fake.fail('create', { code: 230002, msg: 'Bot/User can NOT be out of the chat.' });
      const before = fake.messages.size;
      // Nobody to send it to instead: it fails for good, and the admins hear of the group.
      await expect(deliverNudge(db(), app.lark.port, id, new Date())).rejects.toMatchObject({ kind: 'permanent' });
      await deliverDue(db(), app.lark.port, new Date());
      const warning = await nextSent(before, (m) => m.receive_id === ALICE && JSON.stringify(m.content).includes('230002'), 'the warning to the admin');
      const words = shown(warning.content);
      expect(words).toContain('#华东大客户群');
      expect(words).not.toContain('oc_named_locked');
    });

    it('the text sent instead of a refused card pings nobody', async () => {
      fake.fail('create', { code: 230099, msg: 'Failed to create card content' });
      const before = fake.messages.size;
      await app.lark.port.post({ channel: 'oc_escalation' }, reply('info', '<at user_id="all"></at> 客户投诉 [click](https://evil.example)'));
      const sent = await nextSent(before);
      expect(sent.msg_type).toBe('text');
      expect(sent.content.text).not.toMatch(/<at|\]\(/);
      // Every character is still there to read.
      expect(sent.content.text.replace(/\u200b/g, '')).toContain('<at user_id="all"></at> 客户投诉 [click](https://evil.example)');
    });
  });

  it('a signature with a non-ASCII character is refused with 401', async () => {
    const raw = JSON.stringify({ encrypt: encrypt(ENCRYPT_KEY, JSON.stringify(messageEvent({ text: '/touch Acme call forged', from: ALICE, chatType: 'p2p' }))) });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const good = signature(timestamp, 'n1', ENCRYPT_KEY, raw);
    const res = await fetch(events, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Lark-Request-Timestamp': timestamp, 'X-Lark-Request-Nonce': 'n1', 'X-Lark-Signature': `é${good.slice(1)}` },
      body: raw,
    });
    expect(res.status).toBe(401);
  });

  it('answers GET /healthz', async () => {
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  });

  it('answers GET /readyz: 200 when ready, 503 with the reasons while delivery is paused', async () => {
    const ready = await fetch(`${app.base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    notReady = ['delivery paused for workspace 1 since 2026-11-23T02:00:00.000Z: Lark: 99991663 invalid app access token'];
    try {
      const paused = await fetch(`${app.base}/readyz`);
      expect([paused.status, await paused.json()]).toEqual([503, { ready: false, reasons: notReady }]);
    } finally {
      notReady = [];
    }
  });
});

describe('Lark over plain HTTP (verification token, no encryption)', () => {
  let app: Running | undefined;
  afterAll(async () => stopApp(app));

  it('runs a command whose token matches, refuses one whose token does not, and answers the card callback route', async () => {
    app = await startApp('http', join(dir, 'plain.db'), { encrypted: false });
    const events = `${app.base}/lark/events`;
    const before = fake.messages.size;
    expect((await postToApp(events, messageEvent({ text: '/account add "Plain Freight"', from: BOB, chatType: 'p2p' }))).status).toBe(200);
    expect(shown((await nextSent(before, (m) => m.chat_id === p2pChatId(BOB))).content)).toMatch(/Plain Freight/);
    const forged = await postToApp(events, messageEvent({ text: '/account add "Forged Freight"', from: BOB, chatType: 'p2p', token: 'guessed' }));
    expect(forged.status).toBe(401);
    // The same number of characters, but more bytes.
    const accented = await postToApp(events, messageEvent({ text: '/account add "Forged Freight"', from: BOB, chatType: 'p2p', token: 'v-tokeé' }));
    expect(accented.status).toBe(401);
    const encrypted = await postToApp(events, messageEvent({ text: '/account add "Sealed Freight"', from: BOB, chatType: 'p2p' }), { encryptKey: ENCRYPT_KEY });
    expect(encrypted.status).toBe(400);
    const click = await postToApp(
      `${app.base}/lark/cards`,
      cardActionEvent({ from: BOB, value: { cmd: '/account show "Plain Freight"' }, messageId: 'om_plain', chatId: p2pChatId(BOB) }),
    );
    expect(click.json.toast.type).toBe('success');
    expect(shown(click.json.card.data)).toMatch(/Plain Freight/);
    const names = (await app.db.select({ name: accounts.name }).from(accounts).all()).map((a) => a.name);
    expect(names).toEqual(['Plain Freight']);
  });
});

describe('Lark over the long connection', () => {
  let app: Running | undefined;
  const file = () => join(dir, 'ws.db');

  afterAll(async () => {
    await stopApp(app);
    await fake?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(logs.filter((l) => /"level":50/.test(l))).toEqual([]);
  });

  it('connects through the endpoint call, runs a DM command, and acks the frame', async () => {
    app = await startApp('ws', file());
    await fake.connected();
    expect(fake.callsTo('endpoint')[0]!.body).toMatchObject({ AppID: FAKE_APP.appId });
    const before = fake.messages.size;
    const ack = await fake.pushEvent(messageEvent({ text: '/account add "Long Link Logistics" tier:key', from: BOB, chatType: 'p2p', eventId: 'ev-ws-1' }));
    expect(ack.code).toBe(200);
    expect(shown((await nextSent(before, (m) => m.chat_id === p2pChatId(BOB))).content)).toMatch(/Long Link Logistics/);
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  });

  it('a card button over the long connection answers with the updated card', async () => {
    const ack = await fake.pushEvent(cardActionEvent({ from: BOB, value: { cmd: '/account show "Long Link Logistics"' }, messageId: 'om_card', chatId: p2pChatId(BOB) }));
    expect(ack.code).toBe(200);
    const data = ack.data as { toast: { type: string }; card: { data: unknown } };
    expect(data.toast.type).toBe('success');
    expect(shown(data.card.data)).toMatch(/Long Link Logistics/);
  });

  /** Stops Steward, waits until the gateway has seen it go, and starts it again on the same database. */
  async function restart() {
    await stopApp(app);
    await fake.disconnected();
    app = await startApp('ws', file());
    await fake.connected();
  }

  it('stop() finishes a command already taken before it resolves: it is recorded and answered, and its redelivery is not run again', async () => {
    await restart();
    const release = fake.hold('user');
    const event = messageEvent({ text: '/account add "Taken Before Stop" tier:key', from: CAROL, chatType: 'p2p', eventId: 'ev-ws-taken' });
    const before = fake.messages.size;
    void fake.pushEvent(event).catch(() => undefined);
    await fake.waitFor(() => fake.waiting('user') === 1);
    const stopping = app!.lark.stop();
    await fake.disconnected();
    release();
    await stopping;
    // Read before the database is closed: stop() resolved, so the command is done.
    expect(await app!.db.select().from(accounts).where(eq(accounts.name, 'Taken Before Stop')).all()).toHaveLength(1);
    expect(sentAfter(before).filter((m) => shown(m.content).includes('Taken Before Stop'))).toHaveLength(1);
    closeDb(app!.db);
    app = await startApp('ws', file());
    await fake.connected();
    expect((await fake.pushEvent(event)).code).toBe(200);
    expect(await app.db.select().from(accounts).where(eq(accounts.name, 'Taken Before Stop')).all()).toHaveLength(1);
  });

  it('an event redelivered after a restart is not processed again', async () => {
    await restart();
    const db = app!.db;
    const before = (await db.select({ n: count() }).from(touchpoints).get())!.n;
    const event = messageEvent({ text: '/touch "Long Link Logistics" call Before the restart', from: BOB, chatType: 'p2p', eventId: 'ev-ws-restart' });
    await fake.pushEvent(event);
    await restart();
    await fake.pushEvent(event);
    expect((await app!.db.select({ n: count() }).from(touchpoints).get())!.n).toBe(before + 1);
  });
});
