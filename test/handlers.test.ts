// Every command against a real SQLite file: what the user reads, and what the database then holds.
import { and, asc, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts, auditLog, churnSignals, complaints, contacts, members, promises, tenants, touchpointParticipants, touchpoints } from '../db/schema.js';
import type { UserRef } from '../src/engine/engine.js';
import { renderText } from '../src/engine/render-text.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { homeReply } from '../src/views/home.js';
import { harness, TEST_NOW, type Harness } from './harness.js';
import { DAY, HOUR, kit, RecordingPort } from './kit.js';

const HAN = /\p{Script=Han}/u;

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => h.close());

// A refused command must also be worded as an error.
const { ok, refused } = kit(() => h, { errorTone: true });

const accountRow = (name: string) => h.db.select().from(accounts).where(eq(accounts.name, name)).get();
const memberRow = (name: string) => h.db.select().from(members).where(eq(members.name, name)).get();
const contactRow = (name: string) => h.db.select().from(contacts).where(eq(contacts.name, name)).get();
const complaintRow = (n: number, tenantId?: number) =>
  h.db
    .select()
    .from(complaints)
    .where(and(eq(complaints.number, n), tenantId === undefined ? undefined : eq(complaints.tenantId, tenantId)))
    .get();
const promiseRow = (n: number) => h.db.select().from(promises).where(eq(promises.number, n)).get();

describe('/account', () => {
  it('add stores the profile and names the owner', async () => {
    const out = await ok('/account add Acme Logistics tier:strategic region:East industry:Retail revenue:1.2m spend:4m cadence:21');
    expect(out.text).toContain('Added Acme Logistics (strategic), owned by alice.');
    const a = (await accountRow('Acme Logistics'))!;
    expect(a).toMatchObject({
      name: 'Acme Logistics',
      nameKey: 'acme logistics',
      tier: 'strategic',
      region: 'East',
      industry: 'Retail',
      annualRevenue: 1_200_000,
      categorySpend: 4_000_000,
      cadenceDays: 21,
      status: 'active',
      ownerId: (await memberRow('alice'))!.id,
    });
  });

  it('add defaults to a standard account owned by the actor, or the owner given', async () => {
    await ok('/account add Beta Freight');
    await ok('/account add Gamma owner:@bob');
    expect(await accountRow('Beta Freight')).toMatchObject({ tier: 'standard', ownerId: (await memberRow('alice'))!.id, annualRevenue: null });
    expect((await accountRow('Gamma'))!.ownerId).toBe((await memberRow('bob'))!.id);
  });

  it('show gives tier, owner, wallet share as a percentage, contacts by level, last touch, open complaints and promises', async () => {
    await ok('/account add Acme Logistics tier:strategic revenue:1.2m spend:4m');
    await ok('/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker');
    await ok('/contact Acme add "Wang Fang" level:manager');
    await ok('/contact Acme add "Old Boss" level:executive');
    await ok('/contact Acme left "Old Boss"');
    await ok('/touch Acme visit to:"Li Wei" on:yesterday Walked the new warehouse');
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed');
    await ok('/complaint Acme severity:low Invoice typo');
    await ok('/resolve C-2 Reissued the invoice');
    await ok('/promise Acme due:2026-11-27 Send the cold-chain quote');

    const out = await ok('/account show Acme');
    const t = out.text;
    expect(t).toContain('Acme Logistics');
    expect(t).toMatch(/Tier\s+strategic/);
    expect(t).toMatch(/Owner\s+@alice/);
    expect(t).toMatch(/Wallet share\s+30% \(1\.2M of their 4M a year\)/);
    // Contacts by level; the one who left is no longer listed.
    expect(t).toContain('Contacts (2)');
    expect(t).toContain('executive: — nobody yet');
    expect(t).toContain('decision-maker: Li Wei (Logistics Director)');
    expect(t).toContain('manager: Wang Fang');
    expect(t).toContain('operator: — nobody yet');
    // The one who left is not a contact any more; their leaving shows as a recent warning sign.
    const contactsPart = t.slice(t.indexOf('Contacts ('), t.indexOf('Open complaints'));
    expect(contactsPart).not.toContain('Old Boss');
    expect(t).toContain('Warning signs, last 90 days');
    expect(t).toContain('decision-maker change — Old Boss (executive) left');
    expect(t).toMatch(/Last touch\s+visit by alice with Li Wei, Sun 22 Nov 2026/);
    // Open complaints only: the resolved one is gone.
    expect(t).toContain('Open complaints (1)');
    expect(t).toContain('C-1 high: 3 pallets crushed');
    expect(t).not.toContain('Invoice typo');
    expect(t).toContain('Open promises (1)');
    expect(t).toContain('P-1 due Fri 27 Nov 2026: Send the cold-chain quote');
    // The bare form is the same profile.
    expect((await ok('/account Acme')).text).toBe(t);
  });

  it("show's buttons name an account whose name holds quote marks, never another account", async () => {
    await ok('/account add Beta');
    const name = 'Beta" severity:critical category:billing x';
    await ok(`/account add 「${name}」`);
    const shown = await ok(`/account show 「${name}」`);
    const [logTouch, logComplaint] = shown.reply.buttons.map((b) => b.command);
    // Show, as on the confirmation of add and set, comes back to this account.
    expect((await ok(`/account set 「${name}」 tier:key`)).reply.buttons.map((b) => b.command)).toEqual([`/account show “${name}”`]);
    expect((await ok(`/account show “${name}”`)).text).toContain(name);
    await ok(`${logTouch} visit Walked the warehouse`);
    await ok(`${logComplaint} severity:high Late deliveries`);
    const beta = (await accountRow('Beta'))!;
    const quoted = (await accountRow(name))!;
    expect(await h.db.select().from(touchpoints).where(eq(touchpoints.accountId, quoted.id)).all()).toHaveLength(1);
    expect(await h.db.select().from(complaints).where(eq(complaints.accountId, quoted.id)).get()).toMatchObject({ severity: 'high', summary: 'Late deliveries' });
    expect(await h.db.select().from(complaints).where(eq(complaints.accountId, beta.id)).all()).toEqual([]);
  });

  it('show says when the wallet share and last touch are unknown', async () => {
    await ok('/account add Beta');
    const t = (await ok('/account Beta')).text;
    expect(t).toMatch(/Wallet share\s+unknown: set revenue: and spend: to see it/);
    expect(t).toMatch(/Last touch\s+never/);
    expect(t).toContain('Open complaints (0)');
  });

  it('show, list and other reads write nothing', async () => {
    await ok('/account add Acme');
    const before = h.snapshot();
    await ok('/account show Acme');
    await ok('/account list');
    await ok('/complaint list');
    await ok('/promise list');
    await ok('/signal list');
    await ok('/contact Acme');
    await ok('/steward whoami');
    expect(h.snapshot()).toBe(before);
  });

  it('set changes owner, tier and aliases, and the aliases then find the account', async () => {
    await ok('/account add Acme Logistics tier:standard');
    const out = await ok('/account set Acme tier:key owner:@bob aliases:"ACL, Acme Co"');
    expect(out.text).toContain('Updated Acme Logistics: tier, owner, aliases.');
    const a = (await accountRow('Acme Logistics'))!;
    expect(a.tier).toBe('key');
    expect(a.ownerId).toBe((await memberRow('bob'))!.id);
    expect(a.aliases).toEqual(['ACL', 'Acme Co']);
    const shown = await ok('/account ACL');
    expect(shown.text).toContain('Acme Logistics');
    expect(shown.text).toMatch(/Also called\s+ACL, Acme Co/);
    expect(shown.text).toMatch(/Owner\s+@bob/);
  });

  it('set renames, and refuses a name or alias another account uses', async () => {
    await ok('/account add Acme Logistics');
    await ok('/account add Beta Freight aliases:BF');
    await ok('/account set Acme name:"Acme Group"');
    expect((await accountRow('Acme Group'))?.nameKey).toBe('acme group');
    expect(await accountRow('Acme Logistics')).toBeUndefined();

    const clash = await refused('/account set Acme name:"beta freight"');
    expect(clash.text).toContain('"beta freight" is already used by the account Beta Freight.');
    const aliasClash = await refused('/account set Acme aliases:bf');
    expect(aliasClash.text).toContain('"bf" is already used by the account Beta Freight.');
    const nothing = await refused('/account set Acme');
    expect(nothing.text).toContain('Say what to change');
  });

  it('add refuses a name already taken, case-insensitively, or used as an alias', async () => {
    await ok('/account add Acme Logistics aliases:ACL');
    const same = await refused('/account add ACME LOGISTICS');
    expect(same.text).toContain('"ACME LOGISTICS" is already used by the account Acme Logistics.');
    const alias = await refused('/account add acl');
    expect(alias.text).toContain('"acl" is already used by the account Acme Logistics.');
    expect(await h.db.select().from(accounts).all()).toHaveLength(1);
  });

  // Was: revenue:500k spend:100k showed "Wallet share 500%" (handlers/account.ts checked nothing).
  it('refuses revenue above the category spend, given together or against the one stored', async () => {
    const both = await refused('/account add Beta Trading revenue:500k spend:100k');
    expect(both.text).toContain('Revenue 500K is more than their category spend of 100K.');
    expect(both.text).toContain('Usage:');
    // Rounded alike, the two are shown in full.
    expect((await refused('/account add Beta Trading revenue:1.24m spend:1.2m')).text).toContain('Revenue 1,240,000 is more than their category spend of 1,200,000.');
    await ok('/account add Beta Trading revenue:100k spend:100k');

    await ok('/account add Gamma spend:100k');
    expect((await refused('/account set Gamma revenue:2m')).text).toContain('Revenue 2M is more than their category spend of 100K.');
    expect((await refused('/account set Gamma 营收:2m')).text).toContain('Revenue 2M is more than their category spend of 100K.');
    await ok('/account set Gamma revenue:50k');
    expect((await refused('/account set Gamma spend:10k')).text).toContain('Revenue 50K is more than their category spend of 10K.');
    await ok('/account set Gamma revenue:5m spend:20m');
    expect(await accountRow('Gamma')).toMatchObject({ annualRevenue: 5_000_000, categorySpend: 20_000_000 });
  });

  // Was: src/domain/amounts.ts dropped the symbols, so revenue:¥3m spend:$10m read as a 30% wallet share.
  it('refuses revenue and spend typed in two different currencies', async () => {
    const mixed = await refused('/account add 华东物流 revenue:¥3m spend:$10m');
    expect(mixed.text).toContain('revenue: is in ¥ but spend: is in $.');
    expect(mixed.text).toContain('Usage:');
    // Chinese keys, full-width colons and a full-width yen sign.
    expect((await refused('/account add 华东物流 营收：￥3m 总支出：€10m')).text).toContain('营收: is in ¥ but 总支出: is in €.');
    await ok('/account add Beta revenue:1m spend:5m');
    expect((await refused('/account set Beta spend:£9m revenue:$2m')).text).toContain('spend: is in £ but revenue: is in $.');
    // Stored amounts keep no currency: a symbol is only compared with the other one typed alongside it.
    await ok('/account set Beta revenue:$2m');
    await ok('/account add 华东物流 revenue:¥3m spend:10m');
    await ok('/account add Delta revenue:$1m spend:$4m');
    expect(await accountRow('华东物流')).toMatchObject({ annualRevenue: 3_000_000, categorySpend: 10_000_000 });
  });

  it('set by a rep who neither owns the account nor manages its owner is refused', async () => {
    await ok('/account add Acme');
    const out = await refused('/account set Acme tier:key', 'bob');
    expect(out.text).toContain('Only its owner alice');
    expect(out.text).toContain('an admin can change Acme');
    expect((await accountRow('Acme'))!.tier).toBe('standard');
  });

  it('list, list mine and list tier:key', async () => {
    await ok('/account add Acme tier:strategic');
    await ok('/account add Beta tier:key');
    await ok('/account add Gamma tier:key owner:@bob');
    await ok('/touch Gamma call on:yesterday Checked volumes', 'bob');

    const all = await ok('/account list');
    expect(all.text).toContain('Accounts (3)');
    // Strategic first, then key accounts by name.
    const lines = all.text.split('\n').filter((l) => l.includes(' · '));
    expect(lines.map((l) => l.trim().split(' · ')[0])).toEqual(['• Acme', '• Beta', '• Gamma']);
    expect(all.text).toContain('Gamma · key · bob · last touch 22 hours ago');
    expect(all.text).toContain('Acme · strategic · alice · last touch never');

    const mine = await ok('/account list mine');
    expect(mine.text).toContain('Accounts (2)');
    expect(mine.text).toContain('Acme');
    expect(mine.text).not.toContain('Gamma');

    const bobs = await ok('/account list mine', 'bob');
    expect(bobs.text).toContain('Accounts (1)');
    expect(bobs.text).toContain('Gamma');

    const key = await ok('/account list tier:key');
    expect(key.text).toContain('Accounts (2)');
    expect(key.text).toContain('Beta');
    expect(key.text).toContain('Gamma');
    expect(key.text).not.toContain('Acme');

    const none = await ok('/account list tier:key mine', 'carol');
    // A filter that matches nothing says so; the book is not empty.
    expect(none.text).toContain('No accounts match this filter (key, owned by carol).');
  });
});

describe('/contact', () => {
  beforeEach(async () => {
    await ok('/account add Acme Logistics');
  });

  it('add stores name, title and level', async () => {
    const out = await ok('/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker');
    expect(out.text).toContain('Added Li Wei, Logistics Director (decision-maker) at Acme Logistics.');
    expect(await contactRow('Li Wei')).toMatchObject({
      accountId: (await accountRow('Acme Logistics'))!.id,
      nameKey: 'li wei',
      title: 'Logistics Director',
      level: 'decision-maker',
      active: true,
      replacedById: null,
    });
  });

  it('add defaults to manager and reads Chinese levels and names', async () => {
    await ok('/contact Acme add Wang Fang');
    await ok('/联系人 Acme 添加 李伟 职位:物流总监 层级:决策人');
    expect((await contactRow('Wang Fang'))!.level).toBe('manager');
    expect(await contactRow('李伟')).toMatchObject({ title: '物流总监', level: 'decision-maker' });
  });

  it('add refuses a second contact with the same name at the account', async () => {
    await ok('/contact Acme add "Li Wei"');
    const out = await refused('/contact Acme add li wei');
    expect(out.text).toContain('Li Wei is already a contact at Acme Logistics.');
  });

  it('a decision-maker leaving is a churn signal, and the successor takes the same seat', async () => {
    await ok('/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker');
    const out = await ok('/contact Acme left "Li Wei" replaced-by:"Zhang Min"');
    expect(out.reply.tone).toBe('warning');
    expect(out.text).toContain('Recorded that Li Wei has left Acme Logistics; Zhang Min takes over.');
    expect(out.text).toContain('churn signal');

    const gone = (await contactRow('Li Wei'))!;
    const successor = (await contactRow('Zhang Min'))!;
    expect(gone).toMatchObject({ active: false, replacedById: successor.id });
    expect(gone.leftAt?.getTime()).toBe(TEST_NOW.getTime());
    expect(successor).toMatchObject({ active: true, level: 'decision-maker', title: 'Logistics Director', accountId: gone.accountId });

    const signals = await h.db.select().from(churnSignals).all();
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      kind: 'decision-maker-change',
      source: 'contact-left',
      contactId: gone.id,
      accountId: gone.accountId,
      reporterId: (await memberRow('alice'))!.id,
    });
    expect(signals[0]!.detail).toContain('Li Wei');
    expect(signals[0]!.detail).toContain('Zhang Min');
    expect(signals[0]!.occurredAt.getTime()).toBe(TEST_NOW.getTime());
  });

  it("the owner hears of a decision-maker leaving in their own language, whoever records it; the record is in the workspace's", async () => {
    await ok('/account set Acme owner:@bob');
    await ok('/steward me locale:zh-CN', 'bob');
    await ok('/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker');
    const out = await ok('/contact Acme left "Li Wei"');
    const notice = renderText(out.notices.find((n) => 'member' in n.to && n.to.member.name === 'bob')!.reply);
    expect(notice).toMatch(/^! Acme Logistics的决策人发生变动\nLi Wei（Logistics Director）离职/);
    expect(notice).not.toMatch(/\bleft\b/);
    expect((await h.db.select().from(churnSignals).get())!.detail).toBe('Li Wei (Logistics Director) left');
  });

  it('an executive leaving without a successor is a churn signal too', async () => {
    await ok('/contact Acme add "Chen Jie" level:executive');
    await ok('/contact Acme left Chen');
    expect(await contactRow('Chen Jie')).toMatchObject({ active: false, replacedById: null });
    const signals = await h.db.select().from(churnSignals).all();
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ kind: 'decision-maker-change', source: 'contact-left' });
  });

  it('a manager leaving is recorded but is not a churn signal; the successor is a manager too', async () => {
    await ok('/contact Acme add "Wang Fang" title:"Warehouse Manager" level:manager');
    const out = await ok('/contact Acme left "Wang Fang" replaced-by:"Zhou Lan"');
    expect(out.reply.tone).toBe('success');
    expect(out.text).not.toContain('churn signal');
    expect(await h.db.select().from(churnSignals).all()).toHaveLength(0);
    expect(await contactRow('Wang Fang')).toMatchObject({ active: false, replacedById: (await contactRow('Zhou Lan'))!.id });
    expect(await contactRow('Zhou Lan')).toMatchObject({ level: 'manager', title: 'Warehouse Manager', active: true });
  });

  it('left for someone not at the account is refused with a hint', async () => {
    const out = await refused('/contact Acme left Nobody');
    expect(out.text).toContain('Acme Logistics has no contact "Nobody".');
    expect(out.text).toContain('Add them first: /contact "Acme Logistics" add Nobody');
  });

  it('the contact list shows who left', async () => {
    await ok('/contact Acme add "Li Wei" level:decision-maker');
    await ok('/contact Acme left "Li Wei" replaced-by:"Zhang Min"');
    const out = await ok('/contact Acme');
    expect(out.text).toContain('Contacts at Acme Logistics (1 active)');
    expect(out.text).toContain('Li Wei · decision-maker · left Mon 23 Nov 2026');
    expect(out.text).toContain('Zhang Min · decision-maker');
  });
});

describe('/touch', () => {
  it("a person their platform gave no name (unnamed), or only the request's (provisional), renames nobody; a real new name does", async () => {
    const as = (user: Partial<UserRef>) =>
      h.engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: { platformUserId: 'U77', name: 'Zed Park', ...user }, text: '/steward whoami' });
    await as({});
    await as({ name: 'U77', unnamed: true });
    await as({ name: 'zed', provisional: true, timezone: 'Europe/Oslo' });
    expect(await memberRow('Zed Park')).toMatchObject({ nameKnown: true, timezone: null });
    await as({ name: 'Zed P.' });
    expect((await memberRow('Zed P.'))?.platformUserId).toBe('U77');
  });

  it('tried (Engine.trial), it answers as it would run and leaves no trace: no row, no notice', async () => {
    await ok('/account add Acme');
    const before = h.snapshot();
    const out = await h.engine.trial({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text: '/touch Acme visit Walked the warehouse' });
    expect(out.ok).toBe(true);
    expect(renderText(out.reply)).toMatch(/Logged a visit/);
    expect(h.snapshot()).toBe(before);
  });

  beforeEach(async () => {
    await ok('/account add Acme Logistics tier:strategic');
    await ok('/contact Acme add "Li Wei" level:decision-maker');
  });

  it('a visit logged late says the next revisit from the latest visit, not from its own date', async () => {
    await ok('/touch Acme visit Walked the new warehouse');
    const late = await ok('/touch Acme meeting on:2026-11-02 Quarterly review, logged late');
    expect(late.text).toContain('Next revisit due Mon 7 Dec 2026 (strategic: every 14 days).');
    // Only yesterday, still: today's visit is the latest.
    expect((await ok('/touch Acme visit on:2026-11-22 Yesterday')).text).toContain('Next revisit due Mon 7 Dec 2026');
  });

  it('records who met whom, with colleagues as participants', async () => {
    const out = await ok('/touch Acme visit to:"Li Wei" with:@bob with:@carol Walked the new warehouse; they want cold-chain quotes');
    expect(out.text).toContain('Logged a visit with Acme Logistics (Li Wei, decision-maker), together with bob, carol, on Mon 23 Nov 2026.');
    expect(out.text).toContain('Next revisit due Mon 7 Dec 2026 (strategic: every 14 days).');

    const rows = await h.db.select().from(touchpoints).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      accountId: (await accountRow('Acme Logistics'))!.id,
      memberId: (await memberRow('alice'))!.id,
      ourLevel: 'sales',
      contactId: (await contactRow('Li Wei'))!.id,
      kind: 'visit',
      note: 'Walked the new warehouse; they want cold-chain quotes',
      sourcePlatform: 'shell',
    });
    expect(rows[0]!.occurredAt.getTime()).toBe(TEST_NOW.getTime());

    const parts = await h.db.select().from(touchpointParticipants).orderBy(asc(touchpointParticipants.memberId)).all();
    expect(parts).toEqual([
      { touchpointId: rows[0]!.id, memberId: (await memberRow('bob'))!.id, ourLevel: 'sales' },
      { touchpointId: rows[0]!.id, memberId: (await memberRow('carol'))!.id, ourLevel: 'sales' },
    ]);
  });

  it("takes our_level from each member's function", async () => {
    await ok('/steward me function:operations');
    await ok('/steward role @carol exec');
    await ok('/steward me function:finance', 'dave');
    await ok('/touch Acme meeting with:@carol with:@dave QBR prep');
    const t = (await h.db.select().from(touchpoints).get())!;
    expect(t.ourLevel).toBe('operations');
    const parts = await h.db.select().from(touchpointParticipants).all();
    expect(Object.fromEntries(parts.map((p) => [p.memberId, p.ourLevel]))).toEqual({
      [(await memberRow('carol'))!.id]: 'executive',
      [(await memberRow('dave'))!.id]: 'finance',
    });
  });

  it('does not list the actor as their own participant', async () => {
    await ok('/touch Acme call with:@alice Quick check-in');
    expect(await h.db.select().from(touchpointParticipants).all()).toHaveLength(0);
  });

  it('on:yesterday is yesterday in the tenant zone (Asia/Shanghai), not in UTC', async () => {
    // 01:00 on Tuesday 24 Nov in Shanghai is still Monday 23 Nov in UTC.
    h.now = new Date('2026-11-23T17:00:00Z');
    const out = await ok('/touch Acme visit on:yesterday Site visit');
    expect(out.text).toContain('on Mon 23 Nov 2026');
    const t = (await h.db.select().from(touchpoints).get())!;
    // Noon of Monday 23 Nov in Shanghai.
    expect(t.occurredAt.toISOString()).toBe('2026-11-23T04:00:00.000Z');
  });

  it('reads ISO dates, weekday names and Chinese dates', async () => {
    await ok('/touch Acme call on:2026-11-20 a');
    await ok('/touch Acme call on:friday b');
    await ok('/touch Acme call 日期：昨天 c');
    await ok('/touch Acme call on:-3d d');
    const byNote = Object.fromEntries((await h.db.select().from(touchpoints).all()).map((t) => [t.note, t.occurredAt.toISOString()]));
    expect(byNote).toEqual({
      a: '2026-11-20T04:00:00.000Z',
      b: '2026-11-20T04:00:00.000Z',
      c: '2026-11-22T04:00:00.000Z',
      d: '2026-11-20T04:00:00.000Z',
    });
  });

  it('refuses a future date', async () => {
    const out = await refused('/touch Acme visit on:tomorrow Plan the visit');
    expect(out.text).toContain('Tue 24 Nov 2026 is in the future.');
    expect(out.text).toContain('Usage:');
  });

  it('refuses an unknown contact with a hint to add them', async () => {
    const out = await refused('/touch Acme visit to:Nobody Met someone');
    expect(out.text).toContain('Acme Logistics has no contact "Nobody".');
    expect(out.text).toContain('Add them first: /contact "Acme Logistics" add Nobody level:manager');
  });

  it('accepts the Chinese kind 拜访 and the /拜访 command', async () => {
    await ok('/touch Acme 拜访 Dropped by');
    await ok('/contact Acme add 李娜 level:manager');
    await ok('/拜访 Acme 电话 对方:李娜 Followed up');
    await ok('/拜访 Acme visit 参观了新仓库，对方想要冷链报价');
    const rows = await h.db.select().from(touchpoints).orderBy(asc(touchpoints.id)).all();
    expect(rows.map((r) => [r.kind, r.note])).toEqual([
      ['visit', 'Dropped by'],
      ['call', 'Followed up'],
      ['visit', '参观了新仓库，对方想要冷链报价'],
    ]);
    expect(rows[1]!.contactId).toBe((await contactRow('李娜'))!.id);
  });

  it('a touch with a contact who has left still logs, with a note', async () => {
    await ok('/contact Acme left "Li Wei"');
    const out = await ok('/touch Acme call to:"Li Wei" Farewell call');
    expect(out.text).toContain('Note: Li Wei is recorded as having left.');
    expect((await h.db.select().from(touchpoints).get())!.contactId).toBe((await contactRow('Li Wei'))!.id);
  });

  it('mentions open complaints of the account', async () => {
    await ok('/complaint Acme Late delivery');
    const out = await ok('/touch Acme call Apologised');
    expect(out.text).toContain('Acme Logistics has 1 open complaint');
  });

  // Regression: src/engine/bind.ts joinText used to rebuild free text by joining tokens with
  // single spaces, flattening a multi-line visit report (Slack and Lark both send line breaks)
  // although the renderers keep line breaks in user text.
  it('a multi-line note keeps its line breaks', async () => {
    await ok('/touch Acme visit Agenda:\n1. Cold-chain quote\n2. Damage claims');
    expect((await h.db.select().from(touchpoints).get())!.note).toBe('Agenda:\n1. Cold-chain quote\n2. Damage claims');
  });

  it('answers to /steward touch as well', async () => {
    await ok('/steward touch Acme call Through steward');
    expect((await h.db.select().from(touchpoints).get())!.note).toBe('Through steward');
  });
});

describe('/complaint', () => {
  beforeEach(async () => {
    await ok('/account add Acme Logistics tier:strategic owner:@bob');
    await ok('/account add Beta Freight');
    await ok('/steward team @bob manager:@carol');
  });

  it('numbers complaints C-1, C-2 and stores what was said', async () => {
    const first = await ok('/complaint Acme severity:high category:damage 3 pallets crushed on the Shanghai-Chengdu lane');
    expect(first.text).toContain('C-1 opened for Acme Logistics (high). Deadline: Tue 24 Nov 2026 10:00.');
    const second = await ok('/complaint Beta Invoice sent twice', 'dave');
    expect(second.text).toContain('C-2 opened for Beta Freight (medium).');

    expect(await complaintRow(1)).toMatchObject({
      accountId: (await accountRow('Acme Logistics'))!.id,
      severity: 'high',
      category: 'damage',
      summary: '3 pallets crushed on the Shanghai-Chengdu lane',
      status: 'open',
      ownerId: (await memberRow('bob'))!.id, // the account's owner
      reporterId: (await memberRow('alice'))!.id,
      escalationLevel: 0,
    });
    expect(await complaintRow(2)).toMatchObject({ severity: 'medium', category: 'other', ownerId: (await memberRow('alice'))!.id, reporterId: (await memberRow('dave'))!.id });
  });

  it.each([
    ['critical', 4],
    ['high', 24],
    ['medium', 72],
    // 7 working days from a Monday: the Wednesday of the week after.
    ['low', 9 * 24],
  ] as const)('severity %s, opened Monday 10:00, gives a deadline %i hours later (its days are working days)', async (severity, hours) => {
    await ok(`/complaint Acme severity:${severity} Something went wrong`);
    const c = (await complaintRow(1))!;
    expect(c.openedAt.getTime()).toBe(TEST_NOW.getTime());
    expect(c.deadlineAt.getTime() - c.openedAt.getTime()).toBe(hours * HOUR);
  });

  it('Chinese severity and category words work', async () => {
    await ok('/投诉 Acme 严重度:紧急 类别:货损 三托货物压坏');
    expect(await complaintRow(1)).toMatchObject({ severity: 'critical', category: 'damage', summary: '三托货物压坏' });
  });

  it('deadline follows the tenant setting after /steward settings deadline-high:12h', async () => {
    const set = await ok('/steward settings deadline-high:12h');
    expect(set.text).toContain('high 12h');
    expect((await h.db.select().from(tenants).get())!.settings.complaintDeadlineHours).toEqual({ high: 12 });
    const out = await ok('/complaint Acme severity:high Damaged crate');
    // Half a day of working hours (09:00-18:00): four and a half hours.
    expect(out.text).toContain('Deadline: Mon 23 Nov 2026 14:30.');
    const c = (await complaintRow(1))!;
    expect(c.deadlineAt.getTime() - c.openedAt.getTime()).toBe(4.5 * HOUR);
    // The other severities keep their defaults.
    await ok('/complaint Acme severity:critical Truck missing');
    const c2 = (await complaintRow(2))!;
    expect(c2.deadlineAt.getTime() - c2.openedAt.getTime()).toBe(4 * HOUR);
  });

  it('list shows open complaints; list all includes resolved ones; list mine only mine', async () => {
    await ok('/complaint Acme severity:high Pallets crushed');
    await ok('/complaint Beta severity:low Invoice typo');
    await ok('/resolve C-2 Reissued');
    const open = await ok('/complaint list');
    expect(open.text).toContain('Complaints (open): 1');
    expect(open.text).toContain('C-1 · Acme Logistics · high · Pallets crushed · bob · due in 24 hours');
    expect(open.text).not.toContain('C-2');

    const all = await ok('/complaint list all');
    expect(all.text).toContain('C-2 · Beta Freight · low · Invoice typo · alice · resolved');
    expect(all.text).toContain('C-1');

    expect((await ok('/complaint list mine', 'bob')).text).toContain('C-1');
    expect((await ok('/complaint list mine')).text).toContain('No complaints here.');
    expect((await ok('/complaint list Beta all')).text).not.toContain('C-1');

    h.now = new Date(TEST_NOW.getTime() + 25 * HOUR);
    expect((await ok('/complaint list')).text).toContain('C-1 · Acme Logistics · high · Pallets crushed · bob · OVERDUE');
  });

  it('show C-1 gives the card', async () => {
    await ok('/complaint Acme severity:high category:delay Container stuck at port');
    const out = await ok('/complaint show C-1');
    expect(out.text).toContain('Complaint C-1 · Acme Logistics');
    expect(out.text).toContain('Container stuck at port');
    expect(out.text).toMatch(/Severity\s+high/);
    expect(out.text).toMatch(/Category\s+delay/);
    expect(out.text).toMatch(/Owner\s+@bob/);
    expect(out.text).toMatch(/Deadline\s+Tue 24 Nov 2026 10:00/);
    expect((await refused('/complaint show C-9')).text).toContain('There is no complaint C-9.');
  });

  it('assign: a rep who is neither owner nor their manager is refused, and told who may', async () => {
    await ok('/complaint Acme Pallets crushed');
    const out = await refused('/complaint assign C-1 @dave', 'dave');
    expect(out.text).toContain('its owner bob');
    expect(out.text).toContain('their manager carol');
    expect(out.text).toContain('an admin');
    expect(out.text).toContain('reassign C-1');
    expect((await complaintRow(1))!.ownerId).toBe((await memberRow('bob'))!.id);
  });

  it("assign: the owner's manager may, and the new owner hears about it", async () => {
    await ok('/complaint Acme Pallets crushed');
    const out = await ok('/complaint assign C-1 @dave', 'carol');
    expect(out.text).toContain('C-1 now belongs to @dave');
    expect((await complaintRow(1))!.ownerId).toBe((await memberRow('dave'))!.id);
    expect(out.notices).toHaveLength(1);
    expect(out.notices[0]!.to).toMatchObject({ member: { name: 'dave' } });
    expect(renderText(out.notices[0]!.reply)).toContain('carol handed C-1 to you');
  });

  it('assign: the owner and an admin may', async () => {
    await ok('/complaint Acme Pallets crushed');
    await ok('/complaint assign C-1 @erin', 'bob');
    expect((await complaintRow(1))!.ownerId).toBe((await memberRow('erin'))!.id);
    await ok('/complaint assign C-1 @bob');
    expect((await complaintRow(1))!.ownerId).toBe((await memberRow('bob'))!.id);
    await ok('/complaint assign C-1 me', 'bob');
    expect((await complaintRow(1))!.ownerId).toBe((await memberRow('bob'))!.id);
  });

  it('with an escalation channel, a new complaint is also posted there', async () => {
    await ok('/steward settings escalation-channel:#esc');
    expect((await h.db.select().from(tenants).get())!.settings.escalationChannel).toBe('esc');
    const out = await ok('/complaint Acme severity:critical Truck overturned');
    // The channel post, beside the critical-complaint alert to the owner (bob).
    expect(out.notices.map((x) => ('channel' in x.to ? `#${x.to.channel}` : `@${x.to.member.name}`))).toEqual(['@bob', '#esc']);
    const n = out.notices.find((x) => 'channel' in x.to)!;
    expect(n.to).toEqual({ channel: 'esc' });
    expect(n.complaintId).toBe((await complaintRow(1))!.id);
    expect(n.reply.visibility).toBe('public');
    const posted = renderText(n.reply);
    expect(posted).toContain('Complaint C-1 · Acme Logistics');
    expect(posted).toContain('Truck overturned');
  });

  it('without an escalation channel there is no notice', async () => {
    const out = await ok('/complaint Acme Pallets crushed');
    expect(out.notices).toEqual([]);
  });
});

describe('/resolve', () => {
  beforeEach(async () => {
    await ok('/account add Acme owner:@bob');
    await ok('/steward team @bob manager:@carol');
    await ok('/complaint Acme severity:high Pallets crushed');
  });

  it('resolves: status, resolution, who and when', async () => {
    h.now = new Date(TEST_NOW.getTime() + 5 * HOUR);
    const out = await ok('/resolve C-1 Claim paid in full; packing changed to corner boards', 'bob');
    expect(out.text).toContain('C-1 resolved, 5 hours after it was opened.');
    expect(out.text).toContain('Resolution: Claim paid in full; packing changed to corner boards');
    expect(await complaintRow(1)).toMatchObject({
      status: 'resolved',
      resolution: 'Claim paid in full; packing changed to corner boards',
      resolvedById: (await memberRow('bob'))!.id,
    });
    expect((await complaintRow(1))!.resolvedAt?.getTime()).toBe(h.now.getTime());
  });

  it("the owner's manager and an admin may resolve", async () => {
    await ok('/complaint Acme Second issue');
    await ok('/resolve C-1 Done by the manager', 'carol');
    await ok('/resolve C-2 Done by the admin');
    expect((await complaintRow(1))!.resolvedById).toBe((await memberRow('carol'))!.id);
    expect((await complaintRow(2))!.resolvedById).toBe((await memberRow('alice'))!.id);
  });

  it('says so when resolved after the deadline', async () => {
    h.now = new Date(TEST_NOW.getTime() + 30 * HOUR);
    const out = await ok('/resolve C-1 Finally', 'bob');
    expect(out.text).toContain('It was past its deadline (Tue 24 Nov 2026 10:00)');
  });

  it('a second resolve is refused and names who resolved it', async () => {
    await ok('/resolve C-1 Fixed', 'bob');
    const out = await refused('/resolve C-1 Fixed again');
    expect(out.text).toContain('C-1 was already resolved on Mon 23 Nov 2026 10:00 by bob.');
    expect((await complaintRow(1))!.resolution).toBe('Fixed');
  });

  it('a rep who is not owner, manager or admin is refused', async () => {
    const out = await refused('/resolve C-1 I fixed it', 'dave');
    expect(out.text).toContain('Only its owner bob, their manager carol');
    expect(out.text).toContain('resolve C-1');
    expect((await complaintRow(1))!.status).toBe('open');
  });

  it('resolution text is required', async () => {
    const out = await refused('/resolve C-1', 'bob');
    expect(out.text).toContain('Missing the resolution.');
    expect(out.text).toContain('Usage:');
    expect(out.text).toContain('/resolve C-<n> <resolution>');
  });

  it('an unknown complaint is refused', async () => {
    expect((await refused('/resolve C-42 Done')).text).toContain('There is no complaint C-42.');
  });
});

describe('/promise', () => {
  beforeEach(async () => {
    await ok('/account add Acme Logistics');
  });

  it('records P-n with the due day', async () => {
    const out = await ok('/promise Acme due:friday Send the cold-chain quote');
    expect(out.text).toContain('P-1 recorded for Acme Logistics, due Fri 27 Nov 2026, owned by alice.');
    await ok('/promise Acme due:2026-12-15 Visit with our COO', 'bob');
    await ok('/承诺 Acme 截止:下周五 发送冷链报价');
    expect(await promiseRow(1)).toMatchObject({
      accountId: (await accountRow('Acme Logistics'))!.id,
      ownerId: (await memberRow('alice'))!.id,
      text: 'Send the cold-chain quote',
      dueOn: '2026-11-27',
      status: 'open',
    });
    expect(await promiseRow(2)).toMatchObject({ dueOn: '2026-12-15', ownerId: (await memberRow('bob'))!.id });
    expect(await promiseRow(3)).toMatchObject({ text: '发送冷链报价', dueOn: '2026-12-04' });
  });

  it('today is fine, a past due date is refused', async () => {
    await ok('/promise Acme due:today Call back');
    const out = await refused('/promise Acme due:2026-11-20 Send the quote');
    expect(out.text).toContain('Fri 20 Nov 2026 has already passed.');
  });

  it('kept and broken close a promise once', async () => {
    await ok('/promise Acme due:friday Send quote');
    await ok('/promise Acme due:friday Send samples');
    h.now = new Date(TEST_NOW.getTime() + HOUR);
    const kept = await ok('/promise kept P-1');
    expect(kept.text).toContain('P-1 kept.');
    const broken = await ok('/promise broken P-2');
    expect(broken.reply.tone).toBe('warning');
    expect(broken.text).toContain('P-2 marked broken.');
    expect(await promiseRow(1)).toMatchObject({ status: 'kept', closedById: (await memberRow('alice'))!.id });
    expect((await promiseRow(1))!.closedAt?.getTime()).toBe(h.now.getTime());
    expect((await promiseRow(2))!.status).toBe('broken');

    expect((await refused('/promise broken P-1')).text).toContain('P-1 is already marked kept.');
    expect((await refused('/promise kept P-9')).text).toContain('There is no promise P-9.');
  });

  it('a rep may not close somebody else’s promise', async () => {
    await ok('/promise Acme due:friday Send quote');
    const out = await refused('/promise kept P-1', 'bob');
    expect(out.text).toContain('Only its owner alice');
    expect((await promiseRow(1))!.status).toBe('open');
  });

  it('list mine shows only mine; list shows open ones', async () => {
    await ok('/promise Acme due:friday Alice promise');
    await ok('/promise Acme due:2026-12-01 Bob promise', 'bob');
    await ok('/promise Acme due:2026-12-02 Closed promise');
    await ok('/promise kept P-3');

    const mine = await ok('/promise list mine');
    expect(mine.text).toContain('Promises: 1');
    expect(mine.text).toContain('P-1 · Acme Logistics · due Fri 27 Nov 2026 · alice · Alice promise');
    expect(mine.text).not.toContain('Bob promise');

    const open = await ok('/promise list');
    expect(open.text).toContain('Promises: 2');
    expect(open.text).toContain('Bob promise');
    expect(open.text).not.toContain('Closed promise');

    expect((await ok('/promise list all')).text).toContain('Closed promise · kept');
  });
});

describe('/signal', () => {
  beforeEach(async () => {
    await ok('/account add Acme Logistics');
    await ok('/account add 华东物流');
  });

  it.each([
    ['volume-drop', 'volume-drop'],
    ['price-pressure', 'price-pressure'],
    ['competitor', 'competitor'],
    ['decision-maker-change', 'decision-maker-change'],
    ['payment-delay', 'payment-delay'],
    ['strategy-change', 'strategy-change'],
    ['压价', 'price-pressure'],
    ['竞争对手', 'competitor'],
    ['货量下降', 'volume-drop'],
    ['拖款', 'payment-delay'],
    ['换人', 'decision-maker-change'],
    ['战略调整', 'strategy-change'],
  ] as const)('kind %s is stored as %s', async (typed, kind) => {
    const out = await ok(`/signal Acme ${typed} Something changed`);
    expect(out.reply.tone).toBe('warning');
    expect(out.text).toContain('at Acme Logistics.');
    const rows = await h.db.select().from(churnSignals).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind,
      detail: 'Something changed',
      source: 'manual',
      reporterId: (await memberRow('alice'))!.id,
      accountId: (await accountRow('Acme Logistics'))!.id,
    });
    expect(rows[0]!.occurredAt.getTime()).toBe(TEST_NOW.getTime());
  });

  it('the reply gives advice for the kind', async () => {
    const out = await ok('/signal Acme price-pressure Asked for 8% off at renewal');
    expect(out.text).toContain('Recorded price pressure at Acme Logistics.');
    expect(out.text).toContain('Check open complaints before you talk price.');
  });

  it('list shows every signal; list <account> only that account’s', async () => {
    await ok('/signal Acme competitor Seen SF Express at their Kunshan site');
    await ok('/异动 华东 压价 续约时要求降价8%');
    const all = await ok('/signal list');
    expect(all.text).toContain('Mon 23 Nov 2026 · Acme Logistics · competitor activity — Seen SF Express at their Kunshan site');
    expect(all.text).toContain('华东物流 · price pressure — 续约时要求降价8%');
    const one = await ok('/signal list 华东');
    expect(one.text).toContain('Warning signs at 华东物流');
    expect(one.text).not.toContain('SF Express');
    expect((await ok('/signal list', 'x')).text).toContain('SF Express'); // everyone in the tenant sees them
  });
});

describe('/steward', () => {
  it('whoami shows role, function, manager and workspace', async () => {
    await ok('/steward team @bob manager:@carol');
    const me = await ok('/steward whoami');
    expect(me.text).toMatch(/Role\s+admin/);
    expect(me.text).toMatch(/Time zone\s+Asia\/Shanghai/);
    expect(me.text).toMatch(/Workspace\s+shell:local/);
    const bob = await ok('/steward whoami', 'bob');
    expect(bob.text).toMatch(/Role\s+rep/);
    expect(bob.text).toMatch(/Manager\s+carol/);
    expect((await ok('/steward whoami', 'carol')).text).toMatch(/Reports\s+1/);
  });

  it('the first member is admin, later ones reps', async () => {
    await ok('/steward whoami');
    await ok('/steward whoami', 'bob');
    expect((await memberRow('alice'))!.role).toBe('admin');
    expect((await memberRow('bob'))!.role).toBe('rep');
  });

  it('me changes the member’s own locale, time zone and function', async () => {
    const out = await ok('/steward me timezone:Europe/Berlin function:operations', 'bob');
    expect(out.text).toContain('Updated your settings');
    expect(await memberRow('bob')).toMatchObject({ timezone: 'Europe/Berlin', function: 'operations' });
    expect((await ok('/steward whoami', 'bob')).text).toMatch(/Time zone\s+Europe\/Berlin/);
  });

  it('role: an admin sets roles; a non-admin is refused', async () => {
    await ok('/steward whoami');
    await ok('/steward whoami', 'bob');
    const out = await ok('/steward role @bob manager');
    expect(out.text).toContain('@bob is now manager.');
    expect((await memberRow('bob'))!.role).toBe('manager');
    await ok('/steward role @carol exec');
    expect(await memberRow('carol')).toMatchObject({ role: 'exec', function: 'executive' });

    const no = await refused('/steward role @bob admin', 'bob');
    expect(no.text).toContain('Only an admin can change roles.');
    expect((await memberRow('bob'))!.role).toBe('manager');
  });

  it('the last admin cannot demote themselves; with another admin they can', async () => {
    const out = await refused('/steward role @alice rep');
    expect(out.text).toContain('alice is the last admin; make someone else admin first.');
    await ok('/steward role @bob admin');
    await ok('/steward role @alice rep');
    expect((await memberRow('alice'))!.role).toBe('rep');
    expect((await memberRow('bob'))!.role).toBe('admin');
  });

  it('team sets a manager (promoting a rep), lists the team, and refuses non-admins, self and loops', async () => {
    const out = await ok('/steward team @bob manager:@carol');
    expect(out.text).toContain('bob now reports to carol.');
    expect(out.text).toContain('carol is now a manager.');
    expect((await memberRow('bob'))!.managerId).toBe((await memberRow('carol'))!.id);
    expect((await memberRow('carol'))!.role).toBe('manager');

    const list = await ok('/steward team', 'bob');
    expect(list.text).toContain('Team (3)');
    expect(list.text).toContain('bob · rep · reports to carol');

    expect((await refused('/steward team @dave manager:@carol', 'bob')).text).toContain('Only an admin can change who reports to whom.');
    expect((await refused('/steward team @bob manager:@bob')).text).toContain('Nobody can be their own manager.');
    expect((await refused('/steward team @carol manager:@bob')).text).toContain('bob already reports (directly or not) to carol; that would make a loop.');
  });

  it('settings: an admin changes them, anyone may read them, a non-admin may not change them', async () => {
    const out = await ok('/steward settings escalation-channel:#key-accounts deadline-critical:2h cadence-key:21d');
    expect(out.text).toContain('Settings updated: escalation-channel, deadline-critical, cadence-key.');
    expect((await h.db.select().from(tenants).get())!.settings).toEqual({
      escalationChannel: 'key-accounts',
      complaintDeadlineHours: { critical: 2 },
      cadenceDays: { key: 21 },
    });
    const read = await ok('/steward settings', 'bob');
    expect(read.text).toMatch(/escalation-channel\s+#key-accounts/);
    expect(read.text).toContain('critical 2h');

    const no = await refused('/steward settings deadline-high:1h', 'bob');
    expect(no.text).toContain('Only an admin can change settings.');
  });

  it('help is generated from the specs', async () => {
    const all = await ok('/steward help');
    for (const c of ['/touch', '/complaint', '/resolve', '/promise', '/signal', '/account', '/contact', '/steward']) expect(all.text).toContain(c);
    const one = await ok('/steward help touch');
    expect(one.text).toContain('Usage:');
    expect(one.text).toContain('/touch <account> <kind> [to:<contact>] [with:@colleague] [on:<date>] <note>');
  });

  it('replies switch to Chinese after /steward me locale:zh-CN', async () => {
    await ok('/account add Acme');
    const before = await ok('/steward whoami');
    expect(before.text).not.toMatch(HAN);
    await ok('/steward me locale:zh-CN');
    expect((await memberRow('alice'))!.locale).toBe('zh-CN');
    const after = await ok('/steward whoami');
    expect(after.locale).toBe('zh-CN');
    expect(after.text).toMatch(HAN);
    const shown = await ok('/account Acme');
    expect(shown.text).toMatch(HAN);
    const bad = await h.run('/touch Acme dance hi');
    expect(bad.ok).toBe(false);
    expect(bad.text).toMatch(HAN);
    // Only alice switched; bob still reads English.
    expect((await ok('/steward whoami', 'bob')).text).not.toMatch(HAN);
  });
});

describe('tenants', () => {
  async function other(text: string, user = 'x') {
    const out = await h.engine.handle({ platform: 'shell', workspaceId: 'other', user: { platformUserId: user, name: user }, text });
    return { ...out, text: renderText(out.reply) };
  }

  it('the same account name in two workspaces: neither sees the other', async () => {
    await ok('/account add Acme tier:strategic');
    await ok('/account add Beta');
    await ok('/contact Acme add "Li Wei" level:decision-maker');
    await ok('/complaint Acme Ours: pallets crushed');
    await ok('/promise Acme due:friday Our promise');
    await ok('/signal Acme competitor Our signal');

    const added = await other('/account add Acme tier:key');
    expect(added.ok).toBe(true);
    const theirs = await other('/complaint Acme Theirs: truck late');
    expect(theirs.ok).toBe(true);
    expect(theirs.text).toContain('C-1 opened for Acme');

    const tenantRows = await h.db.select().from(tenants).orderBy(asc(tenants.id)).all();
    expect(tenantRows.map((t) => t.workspaceId)).toEqual(['local', 'other']);
    const [ours, them] = tenantRows as [(typeof tenantRows)[0], (typeof tenantRows)[0]];
    expect((await complaintRow(1, ours.id))!.summary).toBe('Ours: pallets crushed');
    expect((await complaintRow(1, them.id))!.summary).toBe('Theirs: truck late');
    // The first speaker in the other workspace is its admin; alice is nobody there.
    expect((await h.db.select().from(members).where(eq(members.tenantId, them.id)).all()).map((m) => [m.name, m.role])).toEqual([['x', 'admin']]);

    const list = await other('/account list');
    expect(list.text).toContain('Accounts (1)');
    expect(list.text).toContain('Acme · key · x');
    expect(list.text).not.toContain('Beta');
    expect((await other('/account Beta')).text).toContain('No account matches "Beta".');

    const shown = await other('/account Acme');
    expect(shown.text).toMatch(/Tier\s+key/);
    expect(shown.text).not.toContain('Li Wei');
    expect(shown.text).not.toContain('Our promise');
    expect(shown.text).toContain('Theirs: truck late');
    expect(shown.text).not.toContain('Ours: pallets crushed');

    expect((await other('/complaint show C-1')).text).toContain('Theirs: truck late');
    expect((await other('/complaint list all')).text).not.toContain('Ours');
    expect((await other('/promise list all')).text).toContain('Promises: 0');
    expect((await other('/signal list')).text).toContain('No warning signs recorded.');
    expect((await other('/promise kept P-1')).text).toContain('There is no promise P-1.');

    // Resolving "C-1" over there leaves ours open.
    expect((await other('/resolve C-1 Fixed theirs')).ok).toBe(true);
    expect((await complaintRow(1, ours.id))!.status).toBe('open');
    expect((await complaintRow(1, them.id))!.status).toBe('resolved');

    // And from our side nothing of theirs shows.
    const ourList = await ok('/complaint list all');
    expect(ourList.text).toContain('Ours: pallets crushed');
    expect(ourList.text).not.toContain('Theirs');
    expect((await ok('/account Acme')).text).toMatch(/Tier\s+strategic/);
    // Every row carries its tenant.
    expect((await h.db.select().from(accounts).where(eq(accounts.tenantId, them.id)).all()).map((a) => a.name)).toEqual(['Acme']);
  });
});

describe('audit log', () => {
  const mutations: [string, string, string][] = [
    ['/account add Delta', 'alice', 'account.add'],
    ['/account set Acme tier:key', 'alice', 'account.set'],
    ['/contact Acme add "Zhou Lan" level:operator', 'alice', 'contact.add'],
    ['/contact Acme left "Li Wei" replaced-by:"Zhang Min"', 'alice', 'contact.left'],
    ['/touch Acme visit with:@bob Site walk', 'alice', 'touch.log'],
    ['/complaint Acme severity:low Label misprinted', 'alice', 'complaint.open'],
    ['/complaint assign C-1 @bob', 'alice', 'complaint.assign'],
    ['/resolve C-1 Replaced', 'alice', 'complaint.resolve'],
    ['/promise Acme due:friday Send quote', 'alice', 'promise.make'],
    ['/promise kept P-1', 'alice', 'promise.kept'],
    ['/promise broken P-2', 'alice', 'promise.broken'],
    ['/signal Acme competitor Seen a rival truck', 'alice', 'signal.record'],
    ['/steward me function:finance', 'bob', 'member.me'],
    ['/steward role @bob manager', 'alice', 'member.role'],
    ['/steward team @carol manager:@bob', 'alice', 'member.team'],
    ['/steward settings deadline-low:3d', 'alice', 'tenant.settings'],
  ];

  beforeEach(async () => {
    await ok('/account add Acme');
    await ok('/contact Acme add "Li Wei" level:decision-maker');
    await ok('/complaint Acme Pallets crushed');
    await ok('/promise Acme due:friday First');
    await ok('/promise Acme due:friday Second');
    await ok('/steward whoami', 'bob');
    await ok('/steward whoami', 'carol');
  });

  it.each(mutations)('%s writes one audit row (%s, %s)', async (text, user, action) => {
    const before = (await h.db.select().from(auditLog).all()).length;
    await ok(text, user);
    const rows = await h.db.select().from(auditLog).orderBy(asc(auditLog.id)).all();
    expect(rows).toHaveLength(before + 1);
    const row = rows.at(-1)!;
    expect(row.action).toBe(action);
    expect(row.actorId).toBe((await memberRow(user))!.id);
    expect(row.tenantId).toBe((await h.db.select().from(tenants).get())!.id);
    expect(row.at.getTime()).toBe(TEST_NOW.getTime());
  });

  it('a refused command writes no audit row', async () => {
    const before = (await h.db.select().from(auditLog).all()).length;
    await h.run('/resolve C-1 not mine', 'bob');
    await h.run('/touch Acme dance hi');
    expect(await h.db.select().from(auditLog).all()).toHaveLength(before);
  });

  it('the audit row points at the entity it changed', async () => {
    await ok('/complaint Acme severity:high Second complaint');
    const row = (await h.db.select().from(auditLog).orderBy(asc(auditLog.id)).all()).at(-1)!;
    expect(row.entity).toBe('complaint');
    expect(row.entityId).toBe((await complaintRow(2))!.id);
    expect(row.detail).toMatchObject({ account: 'Acme', severity: 'high' });
  });
});

describe('/touch dates far back', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(async () => {
    h = harness();
    await h.run('/account add Acme Logistics');
  });
  afterEach(() => h.close());

  it('refuses a touchpoint dated more than five years ago and writes nothing', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch Acme visit on:0001-01-01 Ancient history');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('more than five years ago');
    expect(h.snapshot()).toBe(before);
  });

  it('a mention inside a note creates nobody', async () => {
    const out = await h.run('/touch Acme call Told @nobody-in-particular about <@U999>');
    expect(out.ok).toBe(true);
    expect(h.db.$client.prepare('select name from members').all()).toEqual([{ name: 'alice' }]);
  });
});

describe('long lists', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  it('show the first 30 and say how many more there are', async () => {
    for (let i = 1; i <= 35; i++) await h.run(`/account add Account ${String(i).padStart(2, '0')}`);
    const out = await h.run('/account list');
    const lines = out.text.split('\n');
    expect(lines[0]).toBe('• Accounts (35)');
    expect(lines.filter((l) => l.startsWith('  • Account '))).toHaveLength(30);
    expect(lines.at(-1)).toBe('  …+5');
  });

  it('a list that fits shows everything and no "more" line', async () => {
    for (let i = 1; i <= 30; i++) await h.run(`/account add Account ${String(i).padStart(2, '0')}`);
    const lines = (await h.run('/account list')).text.split('\n');
    expect(lines[0]).toBe('• Accounts (30)');
    expect(lines.filter((l) => l.startsWith('  • Account '))).toHaveLength(30);
    expect(lines.some((l) => l.includes('…+'))).toBe(false);
  });
});

describe('the first admin', () => {
  it('is the first person to speak, even when an import created people before', async () => {
    const h = harness();
    try {
      // What an import leaves behind: a workspace and reps, nobody has spoken yet.
      h.db.$client.exec(`insert into tenants (platform, workspace_id, locale, timezone) values ('shell', 'local', 'en', 'UTC');
        insert into members (tenant_id, platform_user_id, name, role) values (1, 'zhang', 'zhang', 'rep'), (1, 'wang', 'wang', 'rep');`);
      expect((await h.run('/steward role @wang manager', 'zhang')).ok).toBe(true);
      expect((await h.run('/steward role @wang admin', 'li')).text).toContain('Only an admin can change roles');
      expect(h.db.$client.prepare('select name, role from members order by id').all()).toEqual([
        { name: 'zhang', role: 'admin' },
        { name: 'wang', role: 'manager' },
      ]); // li's refused command wrote nothing, li included
    } finally {
      h.close();
    }
  });
});

describe('the App Home book (homeReply)', () => {
  const home = async (user: string) => renderText(await h.engine.view({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user) }, (ctx) => homeReply(ctx)));

  it('a snoozed revisit is due when its snooze ends, as the sweep nudges it, not OVERDUE', async () => {
    await ok('/account add Acme tier:strategic owner:@bob');
    await ok('/touch Acme visit Walked the warehouse', 'bob');
    h.now = new Date(TEST_NOW.getTime() + 20 * DAY);
    expect(await home('bob')).toMatch(/Acme.*OVERDUE/);
    await ok('/snooze Acme 1w', 'bob');
    const after = await home('bob');
    expect(after).toMatch(/Acme/);
    expect(after).not.toMatch(/OVERDUE/);
  });

  it("lists the complaints the viewer owns on someone else's account, beside those on their own", async () => {
    await ok('/account add Acme owner:@bob');
    await ok('/account add Zeta owner:@carol');
    await ok('/complaint Zeta severity:high Crushed pallets');
    await ok('/complaint Acme severity:low Invoice typo');
    await ok('/complaint assign C-1 @bob');
    const text = await home('bob');
    expect(text).toMatch(/C-1 .*Zeta: Crushed pallets/);
    expect(text).toMatch(/C-2 .*Acme: Invoice typo/);
  });
});

describe('the escalation channel', () => {
  it("hears about a complaint in the workspace's language and time zone, whoever opens or resolves it", async () => {
    await ok('/account add Acme tier:key owner:@bob');
    await ok('/steward settings escalation-channel:#esc');
    await ok('/steward whoami', 'bob');
    await h.db.update(members).set({ locale: 'zh-CN', timezone: 'Europe/Berlin' }).where(eq(members.name, 'bob')).run();
    const opened = await ok('/complaint Acme severity:high Crushed pallets', 'bob');
    // Bob reads his own answer in Chinese.
    expect(opened.text).toMatch(HAN);
    const port = new RecordingPort();
    await deliverDue(h.db, port, h.now);
    await ok('/resolve C-1 Claim paid in full', 'bob');
    await deliverDue(h.db, port, h.now);
    const posts = port.posts.filter((p) => p.to === '#esc');
    // What the channel is for (once set), the complaint's card, its resolution.
    expect(posts).toHaveLength(3);
    for (const p of posts) {
      expect(p.text).not.toMatch(HAN);
      expect(p.reply.locale).toBe('en');
    }
    // The card stays in the channel: no "just now" or "in 24 hours" to go stale there (the opener's answer has them).
    expect(opened.text).toMatch(/刚刚|小时后/);
    expect(posts[1]!.text).not.toMatch(/just now|in \d+ hours/);
    // The deadline as Shanghai reads it (the workspace's zone), not Berlin.
    const deadline = (await complaintRow(1))!.deadlineAt;
    expect(posts[1]!.text).toContain(DateTime.fromJSDate(deadline, { zone: 'Asia/Shanghai' }).toFormat('HH:mm'));
  });
});

describe("a member's time zone and language", () => {
  const as = (timezone: string, locale: 'en' | 'zh-CN', text = '/steward whoami') =>
    h.engine.handle({ platform: 'slack', workspaceId: 'T1', user: { platformUserId: 'U6', name: 'Kenji Sato', timezone, locale }, text });
  const kenji = async () => (await h.db.select().from(members).where(eq(members.platformUserId, 'U6')).get())!;

  it('follow what their platform says of them, until they choose their own with /steward me', async () => {
    await as('Asia/Tokyo', 'en');
    expect(await kenji()).toMatchObject({ timezone: 'Asia/Tokyo', locale: 'en', ownTimezone: false, ownLocale: false });
    // Moved, and switched Slack to Chinese.
    await as('America/Los_Angeles', 'zh-CN');
    expect(await kenji()).toMatchObject({ timezone: 'America/Los_Angeles', locale: 'zh-CN' });
    // Their own choice of zone stands; the language, not chosen, still follows Slack.
    await as('America/Los_Angeles', 'zh-CN', '/steward me timezone:Europe/Paris');
    await as('America/New_York', 'en');
    expect(await kenji()).toMatchObject({ timezone: 'Europe/Paris', ownTimezone: true, locale: 'en', ownLocale: false });
  });
});

describe('someone who has left', () => {
  it('is refused as the owner of an account, added or changed, and nothing is written', async () => {
    await ok('/account add Acme owner:@carol');
    await h.db.update(members).set({ active: false, leftAt: h.now }).where(eq(members.name, 'carol')).run();
    const before = h.snapshot();
    expect((await refused('/account add Beta owner:@carol')).text).toMatch(/carol has left/);
    expect((await refused('/account set Acme tier:key owner:@carol')).text).toMatch(/carol has left/);
    expect(h.snapshot()).toBe(before);
  });

  it('seen first as a mention of someone their platform deactivated, is a member who has left', async () => {
    await ok('/account add Acme');
    await ok('/complaint Acme Late pallets');
    const out = await h.engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text: '/complaint assign C-1 @eve' }, async () => ({
      platformUserId: 'U8',
      name: 'Eve',
      gone: true,
    }));
    expect(out.ok).toBe(false);
    expect(renderText(out.reply)).toMatch(/Eve has left/);
    expect((await complaintRow(1))!.ownerId).toBe((await memberRow('alice'))!.id);
  });
});
