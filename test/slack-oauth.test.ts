// Steward distributed to many Slack workspaces with Bolt's OAuth: the real Bolt
// app over HTTP, the local Web API fake playing oauth.v2.access and auth.test.
// The install page sets the OAuth state; the redirect stores the installation in
// the database; each workspace (and an org-wide Grid install) is its own tenant,
// answered and delivered to with its own token; an uninstall or a revoked token
// stops delivery there and nowhere else; a rotating token is renewed. The
// single-workspace SLACK_BOT_TOKEN keeps working beside them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db, transact } from '../db/index.js';
import { members, nudges, slackInstallations, tenants } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { createSlackApp, type SlackApp } from '../src/chat/slack/app.js';
import { loadConfig } from '../src/config.js';
import { slackInstallationRecords } from '../src/domain/installations.js';
import { recordNudge } from '../src/domain/nudges.js';
import { Engine } from '../src/engine/engine.js';
import { reply, text } from '../src/engine/reply.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { eventCallback, FakeSlack, sendToApp, slashCommand, type Who } from './fake-slack.js';
import { freePort } from './kit.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const STATE_SECRET = 'steward-state-secret-for-tests';

let fake: FakeSlack;
let dir: string;
let db: Db;
let slack: SlackApp;
let base: string;
const logs: string[] = [];

beforeAll(async () => {
  fake = new FakeSlack();
  fake
    .addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai' })
    .addUser({ id: 'U21', name: 'bea', real_name: 'Bea Kranz', tz: 'Europe/Berlin', team_id: 'T2' })
    .addUser({ id: 'U31', name: 'cai', real_name: 'Cai Lin', tz: 'Asia/Shanghai', team_id: 'T3' })
    .addUser({ id: 'U91', name: 'dana', real_name: 'Dana Roe', tz: 'America/New_York', team_id: 'T91' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-slack-oauth-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_CLIENT_ID: fake.oauthApp.clientId,
    SLACK_CLIENT_SECRET: fake.oauthApp.clientSecret,
    SLACK_STATE_SECRET: STATE_SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(port),
    STEWARD_DB: join(dir, 'steward.db'),
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  slack = createSlackApp({ config, engine, logger, ready: async () => [], afterCommand: async () => {}, installations: slackInstallationRecords(db) });
  await slack.start();
});

afterAll(async () => {
  await slack?.stop();
  await fake?.close();
  if (db) closeDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A browser visiting the install page: the authorize URL it is sent to, and the state cookie it keeps. */
async function visitInstall(): Promise<{ authorize: URL; cookie: string }> {
  const res = await fetch(`${base}/slack/install`, { redirect: 'manual' });
  expect(res.status).toBe(200);
  const html = await res.text();
  const href = /<a href="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
  expect(href, html).toBeDefined();
  const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? '';
  expect(cookie).toMatch(/^slack-app-oauth-state=/);
  return { authorize: new URL(href!), cookie };
}

/** The whole install: the page, Slack's authorize screen (approved, with `code`), the redirect back. */
async function install(code: string): Promise<Response> {
  const { authorize, cookie } = await visitInstall();
  const state = authorize.searchParams.get('state')!;
  return fetch(`${base}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, { headers: { cookie }, redirect: 'manual' });
}

async function command(who: Who, cmd: string, text: string) {
  const responseUrl = fake.responseUrl();
  const res = await sendToApp(`${base}/slack/events`, slashCommand({ ...who, command: cmd, text, responseUrl }), { secret: SECRET });
  expect(res.status).toBe(200);
  return fake.slashAnswer(res, responseUrl);
}

const event = (e: Record<string, unknown>, o: { team?: string; enterprise?: string; orgWide?: boolean }) =>
  sendToApp(`${base}/slack/events`, eventCallback(e, o), { secret: SECRET });

const tenantOf = (workspaceId: string) =>
  db
    .select()
    .from(tenants)
    .where(and(eq(tenants.platform, 'slack'), eq(tenants.workspaceId, workspaceId)))
    .get();
const installation = (key: string) => db.select().from(slackInstallations).where(eq(slackInstallations.key, key)).get();
const bearer = (token: string) => `Bearer ${token}`;
const since = (n: number, method: string) => fake.calls.slice(n).filter((c) => c.method === method);

/** A DM nudge for `user` of workspace `workspaceId`, due now; its id. */
async function nudgeFor(workspaceId: string, user: string, label: string): Promise<number> {
  const tenant = (await tenantOf(workspaceId))!;
  const member = (await db
    .select()
    .from(members)
    .where(and(eq(members.tenantId, tenant.id), eq(members.platformUserId, user)))
    .get())!;
  return (await transact(db, (tx) =>
    recordNudge(tx, {
      tenantId: tenant.id,
      dedupeKey: `test:${label}`,
      kind: 'notice',
      subjectType: 'none',
      subjectId: 0,
      recipientId: member.id,
      period: 'test',
      payload: reply('info', label, text(label)),
      notBefore: new Date(0),
    }),
  ))!;
}
const nudge = async (id: number) => (await db.select().from(nudges).where(eq(nudges.id, id)).get())!;

describe('Slack OAuth: many workspaces', () => {
  it('the install page sends the browser to Slack with the client id, the scopes and a signed state it also keeps in a cookie', async () => {
    const { authorize, cookie } = await visitInstall();
    expect(authorize.origin + authorize.pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(authorize.searchParams.get('client_id')).toBe(fake.oauthApp.clientId);
    expect(authorize.searchParams.get('scope')).toBe('app_mentions:read,chat:write,chat:write.public,commands,im:history,users:read');
    const state = authorize.searchParams.get('state');
    expect(state).toBeTruthy();
    expect(cookie).toBe(`slack-app-oauth-state=${state}`);
  });

  it('a redirect whose state is not the browser’s stores nothing', async () => {
    fake.grant('code-forged', { token: 'xoxb-forged', teamId: 'T666', teamName: 'Forged' });
    const { cookie } = await visitInstall();
    const res = await fetch(`${base}/slack/oauth_redirect?code=code-forged&state=not-the-state`, { headers: { cookie } });
    expect(res.status).not.toBe(200);
    expect(fake.callsTo('oauth.v2.access')).toHaveLength(0);
    expect(await installation('T666')).toBeUndefined();
  });

  it('the redirect exchanges the code and stores the installation in the database; no token reaches the log', async () => {
    fake.grant('code-t2', { token: 'xoxb-t2', teamId: 'T2', teamName: 'Bergmann Logistik' });
    const res = await install('code-t2');
    expect(res.status).toBe(200);
    const exchange = fake.callsTo('oauth.v2.access');
    expect(exchange).toHaveLength(1);
    expect(exchange[0]!.answer).toMatchObject({ ok: true });
    // The new token's identity (bot id) asked as Bolt's installer does.
    expect(fake.callsTo('auth.test').some((c) => c.headers.authorization === bearer('xoxb-t2'))).toBe(true);
    const row = (await installation('T2'))!;
    expect(row).toMatchObject({ teamId: 'T2', enterpriseId: null, orgWide: false });
    expect(row.installation).toMatchObject({ team: { id: 'T2' }, bot: { token: 'xoxb-t2', userId: 'UBOT' }, isEnterpriseInstall: false });
    expect(logs.join('\n')).toContain('Slack installation stored');
    expect(logs.join('\n')).not.toContain('xoxb-t2');
  });

  it("a command from the installed workspace is its own tenant's, run and answered with that workspace's token", async () => {
    const before = fake.calls.length;
    const out = await command({ user: 'U21', team: 'T2' }, '/account', 'add Kranz tier:key');
    expect(out.text).toMatch(/^✔/);
    const t2 = (await tenantOf('T2'))!;
    expect(db.$client.prepare('select name from accounts where tenant_id = ?').all(t2.id)).toEqual([{ name: 'Kranz' }]);
    const lookups = since(before, 'users.info');
    expect(lookups.length).toBeGreaterThan(0);
    expect(lookups.every((c) => c.headers.authorization === bearer('xoxb-t2'))).toBe(true);
  });

  it('the single workspace of SLACK_BOT_TOKEN keeps working beside it, as its own tenant', async () => {
    const before = fake.calls.length;
    const out = await command({ user: 'U1' }, '/account', 'add Acme tier:strategic');
    expect(out.text).toMatch(/^✔/);
    expect(await tenantOf('T1')).toBeDefined();
    expect((await tenantOf('T1'))!.id).not.toBe((await tenantOf('T2'))!.id);
    expect(since(before, 'users.info').every((c) => c.headers.authorization === bearer('xoxb-test'))).toBe(true);
    // The other tenant's book is not this one's.
    const list = await command({ user: 'U1' }, '/account', 'list');
    expect(JSON.stringify(list)).not.toContain('Kranz');
  });

  it('delivery reaches each workspace with its own token', async () => {
    const a = await nudgeFor('T1', 'U1', 'for-alice');
    const b = await nudgeFor('T2', 'U21', 'for-bea');
    const before = fake.calls.length;
    await deliverDue(db, slack.port, new Date());
    const posts = since(before, 'chat.postMessage');
    expect(posts.find((c) => c.body.channel === 'U1')?.headers.authorization).toBe(bearer('xoxb-test'));
    expect(posts.find((c) => c.body.channel === 'U21')?.headers.authorization).toBe(bearer('xoxb-t2'));
    expect([(await nudge(a)).status, (await nudge(b)).status]).toEqual(['sent', 'sent']);
  });

  it('a second workspace with token rotation: its expiring token is renewed (oauth.v2.access refresh_token) and the new one stored and used', async () => {
    // An hour left: inside Bolt's two-hour window, so the next authorization renews it.
    fake.grant('code-t3', { token: 'xoxe.xoxb-t3', teamId: 'T3', teamName: 'Cai Freight', refreshToken: 'xoxe-1-t3', expiresIn: 3600 });
    expect((await install('code-t3')).status).toBe(200);
    expect((await installation('T3'))!.installation).toMatchObject({ bot: { token: 'xoxe.xoxb-t3', refreshToken: 'xoxe-1-t3' } });
    const before = fake.calls.length;
    const out = await command({ user: 'U31', team: 'T3' }, '/account', 'add Lin tier:standard');
    expect(out.text).toMatch(/^✔/);
    const refresh = since(before, 'oauth.v2.access');
    expect(refresh.map((c) => c.body.grant_type)).toContain('refresh_token');
    const renewed = ((await installation('T3'))!.installation as { bot: { token: string; refreshToken: string; expiresAt: number } }).bot;
    expect(renewed.token).toMatch(/^xoxe\.xoxb-rotated-/);
    expect(renewed.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3 * 3600);
    expect(since(before, 'users.info').every((c) => c.headers.authorization === bearer(renewed.token))).toBe(true);
    expect(await tenantOf('T3')).toBeDefined();
    expect(logs.join('\n')).not.toContain(renewed.token);
  });

  it('an org-wide install on Enterprise Grid is one tenant, keyed by the organisation, for every workspace in it', async () => {
    fake.grant('code-e9', { token: 'xoxb-e9', teamId: null, teamName: 'Acme Grid', enterpriseId: 'E9', orgWide: true });
    expect((await install('code-e9')).status).toBe(200);
    expect(await installation('E9')).toMatchObject({ orgWide: true, enterpriseId: 'E9', teamId: null });
    const out = await command({ user: 'U91', team: 'T91', enterprise: 'E9', orgWide: true }, '/account', 'add Roe tier:key');
    expect(out.text).toMatch(/^✔/);
    expect(await tenantOf('E9')).toBeDefined();
    expect(await tenantOf('T91')).toBeUndefined();
  });

  it('app_uninstalled: the workspace’s installation is forgotten, its nudges are skipped, other workspaces are still delivered', async () => {
    const res = await event({ type: 'app_uninstalled' }, { team: 'T2' });
    expect(res.status).toBe(200);
    await fake.until(async () => (await installation('T2')) === undefined || undefined, 'the installation removed');
    fake.revoke('xoxb-t2');
    const gone = await nudgeFor('T2', 'U21', 'after-uninstall');
    const kept = await nudgeFor('T1', 'U1', 'alice-after-uninstall');
    const before = fake.calls.length;
    const counts = await deliverDue(db, slack.port, new Date());
    expect(counts).toMatchObject({ sent: 1, skipped: 1, failed: 0 });
    expect(await nudge(gone)).toMatchObject({ status: 'skipped' });
    expect((await nudge(gone)).lastError).toMatch(/not installed/);
    expect((await nudge(kept)).status).toBe('sent');
    expect(since(before, 'chat.postMessage').map((c) => c.headers.authorization)).toEqual([bearer('xoxb-test')]);
    // No pause: the others' delivery goes on, and the next pass skips it again without asking Slack.
    const again = await nudgeFor('T2', 'U21', 'after-uninstall-2');
    await deliverDue(db, slack.port, new Date());
    expect((await nudge(again)).status).toBe('skipped');
  });

  it('a command from the uninstalled workspace is not run', async () => {
    const t2 = (await tenantOf('T2'))!;
    const responseUrl = fake.responseUrl();
    const res = await sendToApp(`${base}/slack/events`, slashCommand({ user: 'U21', team: 'T2', command: '/account', text: 'add Ghost tier:key', responseUrl }), {
      secret: SECRET,
    });
    expect(res.status).toBe(200);
    expect(db.$client.prepare("select count(*) as n from accounts where tenant_id = ? and name = 'Ghost'").get(t2.id)).toEqual({ n: 0 });
  });

  it('tokens_revoked (the bot token): the same, for that workspace only', async () => {
    const token = ((await installation('T3'))!.installation as { bot: { token: string } }).bot.token;
    const res = await event({ type: 'tokens_revoked', tokens: { bot: ['UBOT'] } }, { team: 'T3' });
    expect(res.status).toBe(200);
    await fake.until(async () => (await installation('T3')) === undefined || undefined, 'the installation removed');
    fake.revoke(token);
    const gone = await nudgeFor('T3', 'U31', 'after-revoke');
    const kept = await nudgeFor('E9', 'U91', 'dana-after-revoke');
    const before = fake.calls.length;
    await deliverDue(db, slack.port, new Date());
    expect((await nudge(gone)).status).toBe('skipped');
    expect((await nudge(kept)).status).toBe('sent');
    expect(since(before, 'chat.postMessage').map((c) => c.headers.authorization)).toEqual([bearer('xoxb-e9')]);
  });

  it('reinstalling brings the workspace back, as the same tenant', async () => {
    fake.grant('code-t2-again', { token: 'xoxb-t2-again', teamId: 'T2', teamName: 'Bergmann Logistik' });
    const t2 = (await tenantOf('T2'))!.id;
    expect((await install('code-t2-again')).status).toBe(200);
    const out = await command({ user: 'U21', team: 'T2' }, '/account', 'list');
    expect(JSON.stringify(out)).toContain('Kranz');
    expect((await tenantOf('T2'))!.id).toBe(t2);
    const back = await nudgeFor('T2', 'U21', 'after-reinstall');
    await deliverDue(db, slack.port, new Date());
    expect((await nudge(back)).status).toBe('sent');
  });

  it('a token Slack refuses for good (token_revoked) with no event said so: the installation is forgotten there and then, the nudge skipped, others delivered', async () => {
    fake.revoke('xoxb-t2-again');
    const lost = await nudgeFor('T2', 'U21', 'revoked-silently');
    const kept = await nudgeFor('T1', 'U1', 'alice-after-silent-revoke');
    const counts = await deliverDue(db, slack.port, new Date());
    expect(counts).toMatchObject({ sent: 1, skipped: 1, failed: 0 });
    expect((await nudge(lost)).status).toBe('skipped');
    expect((await nudge(lost)).lastError).toMatch(/token_revoked/);
    expect((await nudge(kept)).status).toBe('sent');
    expect(await installation('T2')).toBeUndefined();
  });
});

describe('Slack OAuth alone (no SLACK_BOT_TOKEN)', () => {
  it('starts without a token of its own, and serves only the workspaces installed through OAuth', async () => {
    const own = new FakeSlack();
    own.addUser({ id: 'U51', name: 'eli', real_name: 'Eli Moss', tz: 'Europe/London', team_id: 'T5' });
    await own.start();
    const port = await freePort();
    const at = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CLIENT_ID: own.oauthApp.clientId,
      SLACK_CLIENT_SECRET: own.oauthApp.clientSecret,
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_API_URL: own.apiUrl,
      PORT: String(port),
      STEWARD_DB: join(dir, 'oauth-only.db'),
    });
    const odb = openDb(config.STEWARD_DB);
    const logger = pino({ level: 'silent' });
    const engine = new Engine({ db: odb, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
    const app = createSlackApp({ config, engine, logger, afterCommand: async () => {}, installations: slackInstallationRecords(odb) });
    try {
      await app.start();
      expect(own.callsTo('auth.test')).toHaveLength(0);
      const say = async (team: string, user: string, text: string) => {
        const responseUrl = own.responseUrl();
        const res = await sendToApp(`${at}/slack/events`, slashCommand({ user, team, command: '/account', text, responseUrl }), { secret: SECRET });
        expect(res.status).toBe(200);
        return { res, responseUrl };
      };
      // Not installed anywhere yet: nothing is run, nothing recorded.
      await say('T5', 'U51', 'add Early tier:key');
      expect(odb.$client.prepare('select count(*) as n from tenants').get()).toEqual({ n: 0 });

      own.grant('code-t5', { token: 'xoxb-t5', teamId: 'T5', teamName: 'Moss & Co' });
      const page = await fetch(`${at}/slack/install`);
      const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
      const state = new URL(/<a href="([^"]+)"/.exec(await page.text())![1]!.replace(/&amp;/g, '&')).searchParams.get('state')!;
      expect((await fetch(`${at}/slack/oauth_redirect?code=code-t5&state=${encodeURIComponent(state)}`, { headers: { cookie } })).status).toBe(200);
      const { res, responseUrl } = await say('T5', 'U51', 'add Moss tier:key');
      expect((await own.slashAnswer(res, responseUrl)).text).toMatch(/^✔/);
      expect(odb.$client.prepare('select workspace_id from tenants').all()).toEqual([{ workspace_id: 'T5' }]);
    } finally {
      await app.stop();
      await own.close();
      closeDb(odb);
    }
  });
});
