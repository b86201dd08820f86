// A Lark store app (LARK_APP_TYPE=isv), installed by many tenants: the real
// SDK (Client with AppType.ISV, EventDispatcher) against the local Open API
// (test/fake-lark.ts) and a real Redis. Lark pushes the app_ticket to one
// instance's /lark/events, signed and encrypted; it is kept in Redis, where
// another instance reads it; every tenant is its own workspace, answered and
// reached with its own tenant token.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db, transact } from '../db/index.js';
import { members, tenants } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { createLarkApp, type LarkApp } from '../src/chat/lark/app.js';
import { LARK_CACHE_PREFIX } from '../src/chat/lark/redis-cache.js';
import { loadConfig } from '../src/config.js';
import { recordNudge } from '../src/domain/nudges.js';
import { Engine } from '../src/engine/engine.js';
import { reply } from '../src/engine/reply.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { cardActionEvent, FakeLark, messageEvent, p2pChatId, postToApp, type LarkCall } from './fake-lark.js';
import { freePort } from './kit.js';
import { startTestRedis, type TestRedis } from './redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const ENCRYPT_KEY = 'isv-encrypt-key';
const TOKEN = 'isv-v-token';
const ALPHA = 'tk_alpha';
const BETA = 'tk_beta';
/** A person in tenant alpha, and one in tenant beta. */
const ALICE = 'ou_alice_alpha';
const BORIS = 'ou_boris_beta';

// An app id of this run's own: the cache's keys are namespaced by it, so nothing another run left in Redis is read.
const APP = { appId: `cli_${randomBytes(8).toString('hex')}`, appSecret: 'isv-secret' };
const logger = pino({ level: process.env.ISV_LOG ?? 'silent' });

let fake: FakeLark;
let redis: TestRedis;
let dir: string;

interface Instance {
  db: Db;
  lark: LarkApp;
  events: string;
}

/** One Steward instance of the store app, on its own port and database file; `listen` false: a worker (delivery only). */
async function startInstance(name: string, listen = true, port?: number): Promise<Instance> {
  port ??= await freePort();
  const config = loadConfig({
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_APP_TYPE: 'isv',
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_MODE: 'http',
    LARK_DOMAIN: fake.url,
    PORT: String(port),
    STEWARD_DB: join(dir, `${name}.db`),
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  const inst: Instance = { db, events: `http://127.0.0.1:${port}/lark/events`, lark: undefined as unknown as LarkApp };
  inst.lark = createLarkApp({
    config,
    engine,
    logger,
    redis: redis.options,
    ready: async () => [],
    afterCommand: async () => void (await deliverDue(db, inst.lark.port, new Date())),
  });
  await inst.lark.start({ listen });
  return inst;
}

async function stopInstance(i: Instance | undefined) {
  if (!i) return;
  await i.lark.stop();
  closeDb(i.db);
}

const ticketKey = `${LARK_CACHE_PREFIX}:${APP.appId}:sym:app-ticket`;
const ticketInRedis = async () => {
  const raw = await redis.client().get(ticketKey);
  return raw === null ? undefined : (JSON.parse(raw) as string);
};
const tenantTokenCalls = (tenantKey: string) => fake.calls.filter((c) => c.path === '/open-apis/auth/v3/tenant_access_token' && c.body.tenant_key === tenantKey);
const sends = (pred: (c: LarkCall) => boolean) => fake.callsTo('create').filter((c) => c.status === 200 && pred(c));

beforeAll(async () => {
  redis = await startTestRedis();
  fake = new FakeLark({ app: APP }).addUser({ open_id: ALICE, name: '王芳', time_zone: 'Asia/Shanghai' }).addUser({ open_id: BORIS, name: 'Boris', time_zone: 'Europe/Berlin' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-lark-isv-'));
});

afterAll(async () => {
  await fake?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Lark store app (LARK_APP_TYPE=isv) serving two tenants from two instances', () => {
  let web: Instance;
  let worker: Instance;

  beforeAll(async () => {
    // Lark pushes the ticket to the app's event URL, as the developer console has it.
    const port = await freePort();
    fake.ticketsTo = { url: `http://127.0.0.1:${port}/lark/events`, encryptKey: ENCRYPT_KEY, token: TOKEN };
    web = await startInstance('web', true, port);
  });

  afterAll(async () => {
    await stopInstance(worker);
    await stopInstance(web);
  });

  it('keeps the app_ticket Lark pushed (signed, encrypted, schema 1.0) in Redis, and the latest one Lark pushes after', async () => {
    // Started with no ticket anywhere, the instance asked Lark to push one once its port was open.
    await fake.waitFor(() => fake.callsTo('ticket').length > 0);
    await expect.poll(async () => fake.appTickets.includes((await ticketInRedis()) ?? '')).toBe(true);
    const pushed = await fake.pushTicket();
    await expect.poll(ticketInRedis).toBe(pushed);
    const newer = await fake.pushTicket();
    await expect.poll(ticketInRedis).toBe(newer);
  });

  it('answers a message from tenant alpha with alpha’s token and one from tenant beta with beta’s, each its own workspace', async () => {
    const res = await postToApp(web.events, messageEvent({ text: 'help', from: ALICE, chatType: 'p2p', tenantKey: ALPHA, token: TOKEN }), { encryptKey: ENCRYPT_KEY });
    expect(res.status).toBe(200);
    const toAlice = await fake.waitFor(() => sends((c) => c.body.receive_id === p2pChatId(ALICE))[0]);
    expect(toAlice.tenant).toBe(ALPHA);

    const res2 = await postToApp(web.events, messageEvent({ text: 'help', from: BORIS, chatType: 'p2p', tenantKey: BETA, token: TOKEN }), { encryptKey: ENCRYPT_KEY });
    expect(res2.status).toBe(200);
    const toBoris = await fake.waitFor(() => sends((c) => c.body.receive_id === p2pChatId(BORIS))[0]);
    expect(toBoris.tenant).toBe(BETA);

    // Each person was looked up in their own tenant, with its token.
    expect(fake.callsTo('user').map((c) => [c.path.split('/').pop(), c.tenant])).toEqual(
      expect.arrayContaining([
        [ALICE, ALPHA],
        [BORIS, BETA],
      ]),
    );
    const rows = await web.db.select({ workspaceId: tenants.workspaceId, platform: tenants.platform }).from(tenants).all();
    expect(rows).toEqual(
      expect.arrayContaining([
        { workspaceId: ALPHA, platform: 'lark' },
        { workspaceId: BETA, platform: 'lark' },
      ]),
    );
    // Every token call a tenant needed went through the app_access_token, which took the ticket Lark pushed.
    const appTokenCalls = fake.calls.filter((c) => c.path === '/open-apis/auth/v3/app_access_token');
    expect(appTokenCalls.length).toBeGreaterThan(0);
    for (const c of appTokenCalls) expect(fake.appTickets).toContain(c.body.app_ticket);
  });

  it('in a group, the bot is known by its id in that tenant, and the asker’s private answer goes with the group’s tenant token', async () => {
    const before = fake.callsTo('ephemeral').length;
    const event = messageEvent({ text: 'help', from: ALICE, chatType: 'group', chatId: 'oc_alpha_sales', tenantKey: ALPHA, token: TOKEN });
    expect((await postToApp(web.events, event, { encryptKey: ENCRYPT_KEY })).status).toBe(200);
    const ephemeral = await fake.waitFor(() =>
      fake
        .callsTo('ephemeral')
        .slice(before)
        .find((c) => c.status === 200),
    );
    expect(ephemeral).toMatchObject({ tenant: ALPHA, body: { chat_id: 'oc_alpha_sales', open_id: ALICE } });
    expect(fake.callsTo('bot').map((c) => c.tenant)).toEqual([ALPHA]);
  });

  it('a card button in tenant beta that opens a form sends it with beta’s token', async () => {
    const before = fake.callsTo('create').length;
    const click = cardActionEvent({ from: BORIS, value: { cmd: '/touch' }, messageId: 'om_beta_card', chatId: p2pChatId(BORIS), tenantKey: BETA, token: TOKEN });
    expect((await postToApp(web.events.replace('/lark/events', '/lark/cards'), click, { encryptKey: ENCRYPT_KEY })).status).toBe(200);
    const form = await fake.waitFor(() =>
      fake
        .callsTo('create')
        .slice(before)
        .find((c) => c.status === 200),
    );
    expect(form).toMatchObject({ tenant: BETA, body: { receive_id: BORIS, msg_type: 'interactive' } });
  });

  it('a second instance reads the ticket and the tenants’ tokens from Redis, and delivers a tenant’s nudge with that tenant’s token', async () => {
    const resendsBefore = fake.callsTo('ticket').length;
    const tokensBefore = tenantTokenCalls(BETA).length;
    expect(tokensBefore).toBe(1);
    // A worker instance: no listener, its own database file holding tenant beta's member (as a shared database would).
    worker = await startInstance('worker', false);
    // It found the ticket in Redis: it asked Lark for none.
    expect(fake.callsTo('ticket').length).toBe(resendsBefore);

    const beta = (await web.db.select().from(tenants).where(eq(tenants.workspaceId, BETA)).get())!;
    const boris = (await web.db.select().from(members).where(eq(members.platformUserId, BORIS)).get())!;
    await transact(web.db, (tx) =>
      recordNudge(tx, {
        tenantId: beta.id,
        dedupeKey: 'isv-test:beta-nudge',
        kind: 'notice',
        subjectType: 'none',
        subjectId: 0,
        recipientId: boris.id,
        channel: null,
        period: 'p',
        payload: reply('info', 'Revisit Globex'),
        notBefore: new Date(0),
      }),
    );
    const before = fake.callsTo('create').length;
    // The web instance's database, delivered through the worker's port: what a worker sharing the database does.
    expect(await deliverDue(web.db, worker.lark.port, new Date())).toMatchObject({ sent: 1, failed: 0 });
    const delivered = fake.callsTo('create').slice(before);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ status: 200, tenant: BETA, body: { receive_id: BORIS } });
    // Beta's token came from Redis, where the web instance had put it: Lark was not asked again.
    expect(tenantTokenCalls(BETA)).toHaveLength(tokensBefore);
  });

  it('a tenant token Lark refuses is dropped for that tenant only, and the call is made again with a fresh one', async () => {
    const alphaBefore = tenantTokenCalls(ALPHA).length;
    const betaBefore = tenantTokenCalls(BETA).length;
    fake.fail('create', { code: 99991663, msg: 'Invalid access token for authorization.' });
    await worker.lark.port.forWorkspace(ALPHA).post({ dm: { platformUserId: ALICE, name: '王芳' } }, reply('info', 'Retried'));
    expect(tenantTokenCalls(ALPHA)).toHaveLength(alphaBefore + 1);
    expect(tenantTokenCalls(BETA)).toHaveLength(betaBefore);
  });

  it('a second Steward process, with no ticket of its own, delivers a tenant’s nudge from the shared database with that tenant’s token', { timeout: 60_000 }, async () => {
    const alpha = (await web.db.select().from(tenants).where(eq(tenants.workspaceId, ALPHA)).get())!;
    const alice = (await web.db.select().from(members).where(eq(members.platformUserId, ALICE)).get())!;
    await transact(web.db, (tx) =>
      recordNudge(tx, {
        tenantId: alpha.id,
        dedupeKey: 'isv-test:alpha-from-another-process',
        kind: 'notice',
        subjectType: 'none',
        subjectId: 0,
        recipientId: alice.id,
        channel: null,
        period: 'p',
        payload: reply('info', 'Revisit Initech'),
        notBefore: new Date(0),
      }),
    );
    const resends = fake.callsTo('ticket').length;
    const tokens = tenantTokenCalls(ALPHA).length;
    const before = fake.callsTo('create').length;
    const child = spawn(TSX, [join(ROOT, 'test', 'fixtures', 'lark-isv-deliver.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        STEWARD_DB: join(dir, 'web.db'),
        LARK_APP_ID: APP.appId,
        LARK_APP_SECRET: APP.appSecret,
        LARK_DOMAIN: fake.url,
        LARK_VERIFICATION_TOKEN: TOKEN,
        REDIS_OPTIONS: JSON.stringify(redis.options),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, err).toBe(0);
    expect(JSON.parse(out.trim().split('\n').at(-1)!), err).toMatchObject({ sent: 1, failed: 0 });
    expect(fake.callsTo('create').slice(before)).toEqual([expect.objectContaining({ status: 200, tenant: ALPHA, body: expect.objectContaining({ receive_id: ALICE }) })]);
    // The ticket and alpha's token were in Redis: that process asked Lark for neither.
    expect(fake.callsTo('ticket').length).toBe(resends);
    expect(tenantTokenCalls(ALPHA)).toHaveLength(tokens);
  });

  const toBoris = () => worker.lark.port.forWorkspace(BETA).post({ dm: { platformUserId: BORIS, name: 'Boris' } }, reply('info', 'Revisit Globex'));

  it('with no ticket anywhere (Redis lost it), a tenant’s message waits (transient, not a paused workspace) while Lark is asked for one, and goes once it came', async () => {
    await redis.lose(`${LARK_CACHE_PREFIX}:${APP.appId}`);
    const to = fake.ticketsTo;
    fake.ticketsTo = undefined;
    const resends = fake.callsTo('ticket').length;
    await expect(toBoris()).rejects.toMatchObject({ name: 'DeliveryError', kind: 'transient' });
    expect(fake.callsTo('ticket').length).toBeGreaterThan(resends);
    fake.ticketsTo = to;
    const ticket = await fake.pushTicket();
    await expect.poll(ticketInRedis).toBe(ticket);
    const sent = await toBoris();
    expect(fake.messages.get(sent.ts)?.receive_id).toBe(BORIS);
    expect(fake.callsTo('create').at(-1)).toMatchObject({ status: 200, tenant: BETA });
  });

  it('a ticket Lark no longer takes: the message waits, Lark is asked to push a fresh one, and the next try goes', async () => {
    await redis.lose(`${LARK_CACHE_PREFIX}:${APP.appId}`);
    await redis.client().set(ticketKey, JSON.stringify('ticket-from-last-week'));
    const resends = fake.callsTo('ticket').length;
    await expect(toBoris()).rejects.toMatchObject({ name: 'DeliveryError', kind: 'transient' });
    expect(fake.callsTo('ticket').length).toBe(resends + 1);
    await expect.poll(async () => fake.appTickets.at(-1) === (await ticketInRedis())).toBe(true);
    await toBoris();
    expect(fake.callsTo('create').at(-1)).toMatchObject({ status: 200, tenant: BETA });
  });
});

it('`npm start` as a store app: asks Lark for the app_ticket once its port is open, answers a tenant with its token, and stops cleanly', { timeout: 60_000 }, async () => {
  const app = { appId: `cli_${randomBytes(8).toString('hex')}`, appSecret: 'isv-process-secret' };
  const lark = new FakeLark({ app }).addUser({ open_id: ALICE, name: '王芳', time_zone: 'Asia/Shanghai' });
  await lark.start();
  const port = await freePort();
  lark.ticketsTo = { url: `http://127.0.0.1:${port}/lark/events`, encryptKey: ENCRYPT_KEY, token: TOKEN };
  // Node itself with tsx's loader, not the tsx wrapper: SIGTERM must reach Steward's own process.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LARK_APP_ID: app.appId,
      LARK_APP_SECRET: app.appSecret,
      LARK_APP_TYPE: 'isv',
      LARK_MODE: 'http',
      LARK_ENCRYPT_KEY: ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: TOKEN,
      LARK_DOMAIN: lark.url,
      PORT: String(port),
      STEWARD_DB: join(dir, 'process', 'steward.db'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  try {
    // Its own redis-server keeps the ticket; the push Lark made once the port was open was taken.
    await lark
      .waitFor(() => lark.ticketPushes.find((p) => p.status === 200), 30_000)
      .catch(() => {
        throw new Error(`no app_ticket push was taken; pushes: ${JSON.stringify(lark.ticketPushes)}; stderr:\n${stderr}`);
      });
    const res = await postToApp(lark.ticketsTo.url, messageEvent({ text: 'help', from: ALICE, chatType: 'p2p', tenantKey: 'tk_gamma', token: TOKEN }), { encryptKey: ENCRYPT_KEY });
    expect(res.status).toBe(200);
    const answer = await lark.waitFor(() => lark.callsTo('create').find((c) => c.status === 200 && c.body.receive_id === p2pChatId(ALICE)), 15_000);
    expect(answer.tenant).toBe('tk_gamma');
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    await lark.stop();
    expect(code, stderr).toBe(0);
  }
  expect(stderr).not.toMatch(/"level":(50|60)/);
});
