// A complaint's card in the escalation channel follows the complaint: whatever changes it (a typed command,
// a button, a sweep's rung), the channel's card is redrawn for everyone, in the workspace's language, with
// buttons that fit its new state; the one who acted is answered alone. Through the real Bolt app and the
// real Lark SDK, against the local fake servers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db, transact } from '../db/index.js';
import { complaints, members, nudges, tenants } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { createSlackApp, type SlackApp } from '../src/chat/slack/app.js';
import { loadConfig } from '../src/config.js';
import { Engine } from '../src/engine/engine.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { sweepTenant } from '../src/scheduler/sweep.js';
import { en } from '../prompts/en.js';
import { blockActions, FakeSlack, sendToApp, slashCommand, type SlackRequest } from './fake-slack.js';
import { freePort } from './kit.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const CHANNEL = 'C0ESC';

let fake: FakeSlack;
let dir: string;
let db: Db;
let slack: SlackApp;
let port: number;
const logs: string[] = [];

const send = (req: SlackRequest) => sendToApp(`http://127.0.0.1:${port}/slack/events`, req, { secret: SECRET });

async function type(user: string, line: string): Promise<{ text: string; blocks: any[] }> {
  const [cmd, ...rest] = line.split(' ');
  const responseUrl = fake.responseUrl();
  const res = await send(slashCommand({ user, command: cmd!, text: rest.join(' '), responseUrl }));
  expect(res.status).toBe(200);
  return fake.slashAnswer(res, responseUrl);
}

/** Every text a person sees in Block Kit blocks. */
function shown(blocks: any[] | undefined): string {
  const out: string[] = [];
  const walk = (v: any): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === 'text' && typeof x === 'string' ? out.push(x) : walk(x);
  };
  walk(blocks ?? []);
  return out.join('\n');
}
const buttons = (blocks: any[] | undefined): string[] => (blocks ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements.map((e: any) => e.value));
const complaintNo = async (n: number) => (await db.select().from(complaints).where(eq(complaints.number, n)).get())!;
const cards = async (n: number) =>
  db
    .select()
    .from(nudges)
    .where(and(eq(nudges.kind, 'card'), eq(nudges.subjectId, (await complaintNo(n)).id)))
    .all();
const since = (i: number) => fake.calls.slice(i);
/** The channel card's redraws (chat.update on its ts) since call `i`. */
const redraws = async (i: number, n: number) => {
  const ts = (await complaintNo(n)).threadTs;
  return since(i).filter((c) => c.method === 'chat.update' && c.body.channel === CHANNEL && c.body.ts === ts && c.answer?.ok);
};

/** Opens a complaint on Acme as U1 and waits for its card in the escalation channel to be its thread. */
async function openComplaint(summary: string): Promise<number> {
  const out = await type('U1', `/complaint Acme severity:high category:damage ${summary}`);
  expect(out.text).toMatch(/^✔/);
  const n = (await db.select().from(complaints).where(eq(complaints.summary, summary)).get())!.number;
  await fake.until(async () => (await complaintNo(n)).threadTs, 'the complaint’s card in the channel');
  return n;
}

beforeAll(async () => {
  fake = new FakeSlack();
  fake
    .addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' })
    .addUser({ id: 'U3', name: 'carol', real_name: 'Carol Diaz', tz: 'America/New_York', locale: 'en-US' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-cards-'));
  port = await freePort();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(port),
    STEWARD_DB: join(dir, 'steward.db'),
    STEWARD_TIMEZONE: 'Asia/Shanghai',
  });
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) });
  db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  slack = createSlackApp({ config, engine, logger, afterCommand: async () => void (await deliverDue(db, slack.port, new Date(), logger)) });
  await slack.start();
  for (const line of ['/account add Acme tier:strategic', `/steward settings escalation-channel:<#${CHANNEL}|esc>`]) expect((await type('U1', line)).text, line).toMatch(/^✔/);
  expect((await type('U3', '/account add Zeta tier:standard')).text).toMatch(/^✔/);
});

afterAll(async () => {
  await slack?.stop();
  await fake?.close();
  if (db) closeDb(db);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Slack: the escalation channel’s complaint card follows the complaint', () => {
  it('a typed /resolve redraws the channel’s card as resolved, with what was done and no buttons', async () => {
    const n = await openComplaint('Crushed pallets at the Chengdu hub');
    const ts = (await complaintNo(n)).threadTs;
    const posted = fake.calls.find((c) => c.method === 'chat.postMessage' && c.body.channel === CHANNEL && c.answer?.ts === ts)!;
    expect(buttons(posted.body.blocks).length).toBeGreaterThan(0);
    const before = fake.calls.length;
    expect((await type('U1', `/resolve C-${n} Claim paid; corner boards on that lane`)).text).toMatch(/^✔/);
    const redrawn = await fake.until(async () => (await redraws(before, n)).at(-1), 'the channel’s card redrawn');
    const seen = shown(redrawn.body.blocks);
    expect(seen).toContain(`C-${n}`);
    expect(seen).toContain(en.complaint.fields.resolution);
    expect(seen).toContain('Claim paid; corner boards on that lane');
    expect(seen).not.toContain(en.complaint.fields.deadline);
    expect(buttons(redrawn.body.blocks)).toEqual([]);
  });

  it('a click on the channel card’s Take ownership redraws it for everyone with the new owner; the clicker’s confirmation is theirs alone', async () => {
    const n = await openComplaint('Seal broken on arrival');
    expect((await type('U1', `/complaint assign C-${n} <@U3|carol>`)).text).toMatch(/^✔/);
    const handed = await fake.until(async () => (await redraws(0, n)).at(-1), 'the card redrawn with Carol as owner');
    expect(JSON.stringify(handed.body.blocks)).toContain('<@U3>');
    const before = fake.calls.length;
    const responseUrl = fake.responseUrl();
    const click = await send(
      blockActions({
        user: 'U1',
        actionId: 'steward:cmd:1',
        value: `/complaint assign C-${n} me`,
        label: 'Take ownership',
        responseUrl,
        channel: CHANNEL,
        messageTs: (await complaintNo(n)).threadTs!,
        ephemeral: false,
      }),
    );
    expect(click.status).toBe(200);
    const answer = (await fake.until(() => fake.responsesTo(responseUrl)[0], 'the clicker’s answer')).body;
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.replace_original).toBe(false);
    expect(answer.text).toMatch(/^✔/);
    expect((await complaintNo(n)).ownerId).toBe((await db.select().from(members).where(eq(members.platformUserId, 'U1')).get())!.id);
    const redrawn = await fake.until(async () => (await redraws(before, n)).at(-1), 'the channel’s card redrawn after the click');
    const owner = redrawn.body.blocks
      .flatMap((b: any) => b.fields ?? [])
      .map((f: any) => f.text)
      .find((t: string) => t.includes(en.complaint.fields.owner));
    expect(owner).toContain('<@U1>');
    expect(owner).not.toContain('<@U3>');
    // Still open: it keeps its buttons.
    expect(buttons(redrawn.body.blocks)).toContain(`/resolve C-${n}`);
  });

  it('a sweep’s escalation rung redraws the channel’s card showing the rung', async () => {
    const n = await openComplaint('Reefer logs missing for two days');
    const c = await complaintNo(n);
    const tenant = (await db.select().from(tenants).where(eq(tenants.id, c.tenantId)).get())!;
    const later = new Date(c.deadlineAt.getTime() + 60 * 60_000);
    const before = fake.calls.length;
    await transact(db, (tx) => sweepTenant(tx, tenant, later, { complaintId: c.id }));
    expect((await complaintNo(n)).escalationLevel).toBeGreaterThan(0);
    await deliverDue(db, slack.port, new Date(later.getTime() + 7 * 86_400_000));
    const redrawn = (await redraws(before, n)).at(-1);
    expect(redrawn, 'the channel’s card was never redrawn').toBeDefined();
    const seen = shown(redrawn!.body.blocks);
    expect(seen).toContain(en.complaint.fields.escalation);
    expect(seen).toContain(en.complaint.escalationLevel((await complaintNo(n)).escalationLevel));
  });

  it('a /handover that passes the complaint redraws the channel’s card with its new owner', async () => {
    const out = await type('U1', '/complaint Zeta severity:medium category:delay Two days late into Xi’an');
    expect(out.text).toMatch(/^✔/);
    const n = (await db.select().from(complaints).where(eq(complaints.summary, 'Two days late into Xi’an')).get())!.number;
    await fake.until(async () => (await complaintNo(n)).threadTs, 'the complaint’s card in the channel');
    const carol = (await db.select().from(members).where(eq(members.platformUserId, 'U3')).get())!;
    expect((await complaintNo(n)).ownerId).toBe(carol.id);
    const before = fake.calls.length;
    expect((await type('U1', '/handover <@U3|carol> <@U1|alice>')).text).toMatch(/^✔/);
    const redrawn = await fake.until(async () => (await redraws(before, n)).at(-1), 'the channel’s card redrawn after the handover');
    const owner = redrawn.body.blocks
      .flatMap((b: any) => b.fields ?? [])
      .map((f: any) => f.text)
      .find((t: string) => t.includes(en.complaint.fields.owner));
    expect(owner).toContain('<@U1>');
  });

  it('Slack refusing the redraw leaves the command done; the redraw is logged, kept and tried again', async () => {
    const n = await openComplaint('Invoice billed twice');
    fake.fail('chat.update', { error: 'internal_error' });
    const before = fake.calls.length;
    expect((await type('U1', `/resolve C-${n} Credit note issued`)).text).toMatch(/^✔/);
    expect((await complaintNo(n)).status).toBe('resolved');
    const refused = await fake.until(() => since(before).find((c) => c.method === 'chat.update' && c.answer && !c.answer.ok), 'the refused redraw');
    expect(refused.body.ts).toBe((await complaintNo(n)).threadTs);
    await fake.until(async () => (await cards(n)).find((r) => r.status === 'pending' && r.lastError?.includes('internal_error')), 'the redraw kept for another try');
    expect(logs.some((l) => l.includes('could not redraw'))).toBe(true);
    await deliverDue(db, slack.port, new Date());
    const redrawn = (await redraws(before, n)).at(-1);
    expect(redrawn, 'the redraw was not tried again').toBeDefined();
    expect(buttons(redrawn!.body.blocks)).toEqual([]);
    expect((await cards(n)).every((r) => r.status !== 'pending')).toBe(true);
  });
});

describe('convergence', () => {
  it('two changes made before either redraw goes out redraw the card once, as it is after the later one', async () => {
    const n = await openComplaint('Late pickup in Wuhan');
    const carol = (await db.select().from(members).where(eq(members.platformUserId, 'U3')).get())!;
    const before = fake.calls.length;
    // Two changes, each in a transaction of its own, with nothing delivered in between.
    await db.update(complaints).set({ ownerId: carol.id }).where(eq(complaints.number, n)).run();
    await db.update(complaints).set({ status: 'resolved', resolution: 'Pickup rescheduled', resolvedAt: new Date() }).where(eq(complaints.number, n)).run();
    expect((await cards(n)).filter((r) => r.status === 'pending')).toHaveLength(2);
    await deliverDue(db, slack.port, new Date());
    const drawn = await redraws(before, n);
    expect(drawn).toHaveLength(1);
    expect(buttons(drawn[0]!.body.blocks)).toEqual([]);
    expect(shown(drawn[0]!.body.blocks)).toContain('Pickup rescheduled');
    expect(JSON.stringify(drawn[0]!.body.blocks)).toContain('<@U3>');
    expect((await cards(n)).map((r) => r.status)).toEqual(['skipped', 'sent']);
  });
});
