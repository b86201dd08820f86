// Every command's bad forms, table-driven: each is refused with a reply that says
// what was wrong (and shows the usage for syntax errors), and leaves the database
// exactly as it was. Then the odd-but-valid inputs (emoji, Chinese, SQL- and
// markup-looking text), which must be accepted and stored verbatim.
import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts, churnSignals, complaints, contacts, members, promises, touchpoints } from '../db/schema.js';
import { harness, type Harness } from './harness.js';

let h: Harness;

/**
 * A small book: two accounts sharing the prefix "Acme" (so "Acme" is ambiguous),
 * Beta with two contacts "Li Wei" and "Li Na" (so "Li" is ambiguous), an open
 * complaint C-1 owned by alice, a resolved C-2, an open promise P-1 and a kept P-2.
 * alice is admin; bob is a plain rep.
 */
async function seed() {
  for (const cmd of [
    '/account add Acme Logistics tier:strategic',
    '/account add Acme Freight',
    '/account add Beta tier:key revenue:1m spend:5m',
    '/contact Beta add "Li Wei" level:decision-maker',
    '/contact Beta add "Li Na" level:manager',
    '/complaint Beta severity:high Pallets crushed',
    '/complaint Beta Late truck',
    '/resolve C-2 Apologised',
    '/promise Beta due:friday Send the quote',
    '/promise Beta due:friday Send samples',
    '/promise kept P-2',
  ]) {
    const out = await h.run(cmd);
    if (!out.ok) throw new Error(`seed failed: ${cmd}\n${out.text}`);
  }
  const bob = await h.run('/steward whoami', 'bob');
  if (!bob.ok) throw new Error('seed failed: bob');
}

beforeEach(async () => {
  h = harness();
  await seed();
});
afterEach(() => h.close());

interface Bad {
  /** What the user typed. */
  cmd: string;
  /** A phrase of the reply that says what was wrong. */
  says: string | RegExp;
  /** Whether the reply shows the usage (syntax errors do; refusals and lookups do not). */
  usage: boolean;
  user?: string;
  /** Further phrases the reply must hold (candidates, suggestions, hints). */
  also?: (string | RegExp)[];
}

const LONG = 'x'.repeat(10_000);
const LONG_NAME = 'N'.repeat(201);

const cases: Record<string, Bad[]> = {
  engine: [
    { cmd: '/frobnicate Beta', says: 'I don\'t know the command "frobnicate"', usage: false, also: ['/steward help'] },
    { cmd: '/tuch Beta visit hi', says: 'I don\'t know the command "tuch". Did you mean /touch', usage: false },
    { cmd: 'touch-me Beta', says: 'I don\'t know the command "touch-me"', usage: false },
    { cmd: '/steward frobnicate', says: 'I don\'t know the command "frobnicate"', usage: false },
    { cmd: '/steward help nosuchcommand', says: 'I don\'t know the command "nosuchcommand"', usage: false },
    { cmd: '/touch Beta visit to:"Li Wei met', says: 'the closing quote is missing', usage: true },
  ],
  account: [
    { cmd: '/account add', says: 'Missing the name.', usage: true, also: ['/account add <name>'] },
    { cmd: '/account add ""', says: 'Missing the name.', usage: true },
    { cmd: `/account add ${LONG_NAME}`, says: 'That is 201 characters; the limit is 200.', usage: true },
    { cmd: '/account add Zeta tier:gold', says: '"gold" doesn\'t work for tier: — expected strategic, key, standard.', usage: true },
    { cmd: '/account add Zeta revenue:lots', says: '"lots" doesn\'t work for revenue:', usage: true },
    { cmd: '/account add Zeta cadence:0', says: '"0" doesn\'t work for cadence:', usage: true },
    { cmd: '/account add Zeta owner:bob', says: '"bob" isn\'t a person I can find. Mention them as @name.', usage: true },
    { cmd: '/account add colour:red Zeta', says: 'I don\'t know the option "colour:"', usage: true },
    { cmd: '/account add acme logistics', says: '"acme logistics" is already used by the account Acme Logistics.', usage: false },
    { cmd: '/account add Zeta aliases:BETA', says: '"BETA" is already used by the account Beta.', usage: false },
    { cmd: '/account show', says: 'Missing account.', usage: true, also: ['/account show <account>'] },
    { cmd: '/account show Zzzz', says: 'No account matches "Zzzz".', usage: false, also: ['Add it with /account add Zzzz'] },
    { cmd: '/account Btea', says: 'No account matches "Btea". Did you mean Beta?', usage: false },
    { cmd: '/account show Acme', says: '"Acme" matches more than one account.', usage: false, also: ['Acme Freight', 'Acme Logistics'] },
    { cmd: '/account show Beta and more', says: 'I didn\'t expect "and more" here.', usage: true },
    { cmd: '/account list tier:gold', says: '"gold" doesn\'t work for tier:', usage: true },
    { cmd: '/account list status:dead', says: '"dead" doesn\'t work for status: — expected active, lost.', usage: true },
    { cmd: '/account list colour:red', says: 'I don\'t know the option "colour:".', usage: true, also: ['tier:  owner:  status:'] },
    { cmd: '/account set Beta', says: 'Say what to change', usage: true },
    { cmd: '/account set Zzzz tier:key', says: 'No account matches "Zzzz".', usage: false },
    { cmd: '/account set Beta name:"Acme Freight"', says: '"Acme Freight" is already used by the account Acme Freight.', usage: false },
    { cmd: '/account set Beta tier:gold', says: '"gold" doesn\'t work for tier:', usage: true },
    { cmd: '/account set Beta tier:standard', user: 'bob', says: 'Only its owner alice', usage: false, also: ['an admin can change Beta'] },
  ],
  contact: [
    { cmd: '/contact Beta add', says: 'Missing the name.', usage: true, also: ['/contact add <account> <name>'] },
    { cmd: '/contact Beta add Wang level:boss', says: '"boss" doesn\'t work for level: — expected executive, decision-maker, manager, operator.', usage: true },
    { cmd: '/contact Beta add colour:red Wang', says: 'I don\'t know the option "colour:"', usage: true },
    { cmd: `/contact Beta add ${LONG_NAME}`, says: 'the limit is 200', usage: true },
    { cmd: '/contact Beta add li wei', says: 'Li Wei is already a contact at Beta.', usage: false },
    { cmd: '/contact Zzzz add Wang', says: 'No account matches "Zzzz".', usage: false },
    { cmd: '/contact Acme add Wang', says: '"Acme" matches more than one account.', usage: false },
    { cmd: '/contact Beta left', says: 'Missing the name.', usage: true },
    { cmd: '/contact Beta left Nobody', says: 'Beta has no contact "Nobody".', usage: false, also: ['Add them first: /contact "Beta" add Nobody'] },
    { cmd: '/contact Beta left Li', says: '"Li" matches several contacts at Beta.', usage: false, also: ['Li Na', 'Li Wei'] },
    { cmd: `/contact Beta left "Li Wei" replaced-by:${LONG_NAME}`, says: 'the limit is 200', usage: true },
    { cmd: '/contact', says: 'Missing account.', usage: true },
  ],
  touch: [
    { cmd: '/touch', says: 'Missing account.', usage: true, also: ['/touch <account> <kind>'] },
    { cmd: '/touch Zzzz visit hi', says: 'No account matches "Zzzz".', usage: false },
    { cmd: '/touch Acme visit hi', says: '"Acme" matches more than one account.', usage: false, also: ['Acme Freight', 'Acme Logistics'] },
    { cmd: '/touch Beta', says: 'Missing kind.', usage: true },
    { cmd: '/touch Beta dance hi', says: '"dance" isn\'t a kind. Use one of: visit, call, meeting, message, business review (review).', usage: true },
    { cmd: '/touch Beta visit', says: 'Missing the note.', usage: true },
    {
      cmd: '/touch Beta visit colour:red hi',
      says: 'I don\'t know the option "colour:". If it is part of your text, put the text in quotes.',
      usage: true,
      also: ['to:  with:  on:'],
    },
    { cmd: '/touch Beta visit on:blursday hi', says: 'I can\'t read "blursday" as a date.', usage: true },
    { cmd: '/touch Beta visit on:"next blue moon" hi', says: 'I can\'t read "next blue moon" as a date.', usage: true },
    { cmd: '/touch Beta visit on:2026-02-30 hi', says: '"2026-02-30" isn\'t a real date.', usage: true },
    { cmd: '/touch Beta visit on:2026-02-29 hi', says: '"2026-02-29" isn\'t a real date.', usage: true },
    { cmd: '/touch Beta visit on:2026-13-01 hi', says: '"2026-13-01" isn\'t a real date.', usage: true },
    { cmd: '/touch Beta visit on:tomorrow hi', says: 'Tue 24 Nov 2026 is in the future.', usage: true },
    { cmd: '/touch Beta visit on:+7d hi', says: 'Mon 30 Nov 2026 is in the future.', usage: true },
    { cmd: '/touch Beta visit to:Nobody hi', says: 'Beta has no contact "Nobody".', usage: false, also: ['Add them first'] },
    { cmd: '/touch Beta visit to:Li hi', says: '"Li" matches several contacts at Beta.', usage: false },
    { cmd: '/touch Beta visit with:bob hi', says: '"bob" isn\'t a person I can find.', usage: true },
    { cmd: `/touch Beta visit ${LONG}`, says: 'That is 10000 characters; the limit is 4000.', usage: true },
    { cmd: '/拜访 Beta 跳舞 hi', says: '"跳舞" isn\'t a kind.', usage: true },
  ],
  complaint: [
    { cmd: '/complaint Beta', says: 'Missing the summary.', usage: true, also: ['/complaint <account> [severity:'] },
    { cmd: '/complaint Zzzz Broken', says: 'No account matches "Zzzz".', usage: false },
    { cmd: '/complaint Acme Broken', says: '"Acme" matches more than one account.', usage: false },
    { cmd: '/complaint Beta severity:extreme Broken', says: '"extreme" doesn\'t work for severity: — expected critical, high, medium, low.', usage: true },
    { cmd: '/complaint Beta category:weather Broken', says: '"weather" doesn\'t work for category:', usage: true },
    { cmd: '/complaint Beta colour:red Broken', says: 'I don\'t know the option "colour:"', usage: true },
    { cmd: `/complaint Beta ${LONG}`, says: 'the limit is 4000', usage: true },
    { cmd: '/complaint list status:closed', says: '"closed" doesn\'t work for status:', usage: true },
    { cmd: '/complaint list Zzzz', says: 'No account matches "Zzzz".', usage: false },
    { cmd: '/complaint list colour:red', says: 'I don\'t know the option "colour:".', usage: true },
    { cmd: '/complaint show', says: 'Missing C-<n>.', usage: true },
    { cmd: '/complaint show X-1', says: '"X-1" isn\'t an id like C-12.', usage: true },
    { cmd: '/complaint show C-99', says: 'There is no complaint C-99.', usage: false },
    { cmd: '/complaint assign C-1', says: 'Missing @someone.', usage: true },
    { cmd: '/complaint assign C-1 bob', says: 'I didn\'t expect "bob" here.', usage: true },
    { cmd: '/complaint assign C-99 @bob', says: 'There is no complaint C-99.', usage: false },
    { cmd: '/complaint assign C-2 @bob', says: 'C-2 is already resolved.', usage: false },
    { cmd: '/complaint assign C-1 @bob', user: 'bob', says: 'Only its owner alice', usage: false, also: ['an admin can reassign C-1'] },
    { cmd: '/complaint assign C-1 me', user: 'bob', says: 'Only its owner alice', usage: false },
  ],
  resolve: [
    { cmd: '/resolve', says: 'Missing C-<n>.', usage: true, also: ['/resolve C-<n> <resolution>'] },
    { cmd: '/resolve C-1', says: 'Missing the resolution.', usage: true },
    { cmd: '/resolve C-abc Fixed', says: '"C-abc" isn\'t an id like C-12.', usage: true },
    { cmd: '/resolve P-1 Fixed', says: '"P-1" isn\'t an id like C-12.', usage: true },
    { cmd: '/resolve C-99 Fixed', says: 'There is no complaint C-99.', usage: false },
    { cmd: '/resolve C-2 Again', says: 'C-2 was already resolved on Mon 23 Nov 2026 10:00 by alice.', usage: false },
    { cmd: '/resolve C-1 I did it', user: 'bob', says: 'Only its owner alice', usage: false, also: ['an admin can resolve C-1'] },
    { cmd: `/resolve C-1 ${LONG}`, says: 'the limit is 4000', usage: true },
  ],
  promise: [
    { cmd: '/promise Beta Send the quote', says: 'Missing due:', usage: true, also: ['/promise <account> due:<date>'] },
    { cmd: '/promise Beta due:friday', says: 'Missing the text.', usage: true },
    { cmd: '/promise Beta', says: 'Missing due:', usage: true },
    { cmd: '/promise Beta due:2026-11-20 Send the quote', says: 'Fri 20 Nov 2026 has already passed.', usage: true },
    { cmd: '/promise Beta due:yesterday Send the quote', says: 'Sun 22 Nov 2026 has already passed.', usage: true },
    { cmd: '/promise Beta due:someday Send the quote', says: 'I can\'t read "someday" as a date.', usage: true },
    { cmd: '/promise Beta due:2026-02-30 Send the quote', says: '"2026-02-30" isn\'t a real date.', usage: true },
    { cmd: '/promise Beta due:friday owner:bob Send the quote', says: '"bob" isn\'t a person I can find.', usage: true },
    { cmd: '/promise Zzzz due:friday Send the quote', says: 'No account matches "Zzzz".', usage: false },
    { cmd: `/promise Beta due:friday ${LONG}`, says: 'the limit is 4000', usage: true },
    { cmd: '/promise kept', says: 'Missing P-<n>.', usage: true },
    { cmd: '/promise kept C-1', says: '"C-1" isn\'t an id like P-12.', usage: true },
    { cmd: '/promise kept P-99', says: 'There is no promise P-99.', usage: false },
    { cmd: '/promise broken P-2', says: 'P-2 is already marked kept.', usage: false },
    { cmd: '/promise kept P-1', user: 'bob', says: 'Only its owner alice', usage: false, also: ['an admin can close P-1'] },
    { cmd: '/promise list status:late', says: '"late" doesn\'t work for status:', usage: true },
  ],
  signal: [
    { cmd: '/signal Beta', says: 'Missing kind.', usage: true, also: ['/signal <account> <kind> <detail>'] },
    {
      cmd: '/signal Beta weather Rain',
      says: '"weather" isn\'t a kind. Use one of: volume drop (volume-drop), price pressure (price-pressure), competitor activity (competitor)',
      usage: true,
    },
    { cmd: '/signal Beta competitor', says: 'Missing the detail.', usage: true },
    { cmd: '/signal Zzzz competitor Seen SF', says: 'No account matches "Zzzz".', usage: false },
    { cmd: `/signal Beta competitor ${LONG}`, says: 'the limit is 4000', usage: true },
    { cmd: '/signal list Zzzz', says: 'No account matches "Zzzz".', usage: false },
  ],
  steward: [
    { cmd: '/steward role', says: 'Missing @someone.', usage: true },
    { cmd: '/steward role @bob boss', says: '"boss" isn\'t a role. Use one of: rep, manager, executive (exec), admin.', usage: true },
    { cmd: '/steward role @bob', says: 'Missing role.', usage: true },
    { cmd: '/steward role @alice admin', user: 'bob', says: 'Only an admin can change roles.', usage: false },
    { cmd: '/steward role @alice rep', says: 'alice is the last admin; make someone else admin first.', usage: false },
    { cmd: '/steward team @bob', says: 'Missing manager:', usage: true },
    { cmd: '/steward team @bob manager:@bob', says: 'Nobody can be their own manager.', usage: false },
    { cmd: '/steward team @bob manager:alice', says: '"alice" isn\'t a person I can find.', usage: true },
    { cmd: '/steward team @alice manager:@bob', user: 'bob', says: 'Only an admin can change who reports to whom.', usage: false },
    { cmd: '/steward settings deadline-high:12h', user: 'bob', says: 'Only an admin can change settings.', usage: false },
    { cmd: '/steward settings deadline-high:soon', says: '"soon" doesn\'t work for deadline-high:', usage: true },
    { cmd: '/steward settings cadence-key:1.5d', says: '"1.5d" doesn\'t work for cadence-key:', usage: true },
    { cmd: '/steward settings review-start:13-01', says: '"13-01" doesn\'t work for review-start: — expected MM-DD.', usage: true },
    { cmd: '/steward settings review-start:11-15', says: 'The review season must start (11-15) before its deadline (10-31).', usage: false },
    { cmd: '/steward settings working-hours:18:00-09:00', says: '"18:00-09:00" doesn\'t work for working-hours:', usage: true },
    { cmd: '/steward settings digest-day:someday', says: '"someday" doesn\'t work for digest-day:', usage: true },
    { cmd: '/steward settings digest-time:25:00', says: '"25:00" doesn\'t work for digest-time:', usage: true },
    { cmd: '/steward settings timezone:Mars/Base', says: '"Mars/Base" doesn\'t work for timezone:', usage: true },
    { cmd: '/steward settings colour:red', says: 'I don\'t know the option "colour:".', usage: true },
    { cmd: '/steward me locale:fr', says: '"fr" doesn\'t work for locale: — expected en, zh-CN.', usage: true },
    { cmd: '/steward me timezone:Nowhere/City', says: '"Nowhere/City" doesn\'t work for timezone:', usage: true },
    { cmd: '/steward me function:juggler', says: '"juggler" doesn\'t work for function:', usage: true },
    { cmd: '/steward whoami now', says: 'I didn\'t expect "now" here.', usage: true },
  ],
};

for (const [command, rows] of Object.entries(cases)) {
  describe(`bad input: ${command}`, () => {
    it.each(rows)('$cmd', async ({ cmd, says, usage, user, also }) => {
      const before = h.snapshot();
      const out = await h.run(cmd, user);
      expect(out.ok, out.text).toBe(false);
      expect(out.reply.tone).toBe('error');
      if (typeof says === 'string') expect(out.text).toContain(says);
      else expect(out.text).toMatch(says);
      for (const phrase of also ?? []) {
        if (typeof phrase === 'string') expect(out.text).toContain(phrase);
        else expect(out.text).toMatch(phrase);
      }
      if (usage) {
        expect(out.text).toContain('Usage:');
        expect(out.text).toMatch(/More: \/steward help \w+/);
      } else {
        expect(out.text).not.toContain('Usage:');
      }
      expect(h.snapshot()).toBe(before);
    });
  });
}

describe('bad input: refusals in a new workspace leave no tenant or member behind', () => {
  it('a first command that fails creates nothing', async () => {
    const before = h.snapshot();
    const out = await h.engine.handle({ platform: 'shell', workspaceId: 'fresh', user: { platformUserId: 'zed', name: 'zed' }, text: '/touch Beta visit hi' });
    expect(out.ok).toBe(false);
    expect(h.snapshot()).toBe(before);
  });

  it('people mentioned in a refused command are not created', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch Beta dance with:@newperson hi @another');
    expect(out.ok).toBe(false);
    expect(h.snapshot()).toBe(before);
    expect(await h.db.select().from(members).where(eq(members.name, 'newperson')).get()).toBeUndefined();
  });
});

// Regressions for bugs this suite found (each was an it.fails until the source was fixed).
describe('bad input: regressions', () => {
  // Was: src/engine/bind.ts counted positional tokens against the declared args, but an
  // unquoted multi-word account name spends several tokens on one arg, so after
  // "Acme Logistics" the unknown option `colour:` became part of the note ("colour:red hi"),
  // while the same typo after a one-word name (/touch Beta visit colour:red hi) was refused.
  it('an unknown option after a multi-word account name is refused like after a one-word name', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch Acme Logistics visit colour:red hi');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('I don\'t know the option "colour:"');
    expect(out.text).toContain('Usage:');
    expect(h.snapshot()).toBe(before);
  });

  // Was: src/engine/engine.ts mentionsIn took an option value of a bare "@" for a mention; the
  // shell resolver turned it into a member with an empty name and id, created and recorded as a
  // participant ("together with , on ...").
  it('with:@ (a mention with no name) is refused and creates no member', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch Beta visit with:@ hi');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('"@" isn\'t a person I can find.');
    expect(h.snapshot()).toBe(before);
  });

  // Was: src/engine/engine.ts refused an unclosed quote before looking the command up, so the
  // reply never showed the usage, unlike every other syntax error (DESIGN.md: "Bad input gets
  // a reply that says what was wrong and shows the right usage").
  it('an unclosed quote shows the usage of the command being typed', async () => {
    const out = await h.run('/touch Beta visit to:"Li Wei met');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('closing quote is missing');
    expect(out.text).toContain('Usage:');
    expect(out.text).toContain('/touch <account> <kind>');
  });

  /** Runs a command that must be refused, checks nothing changed, and returns what the user read. */
  async function refusedText(cmd: string): Promise<string> {
    const before = h.snapshot();
    const out = await h.run(cmd);
    expect(out.ok, out.text).toBe(false);
    expect(out.reply.tone).toBe('error');
    expect(out.text).toMatch(/Usage:|用法：/);
    expect(h.snapshot()).toBe(before);
    return out.text;
  }

  // Was: src/engine/tokenize.ts keeps an opening quote that never closes as a character (right in a
  // note), so the account was created with the name `"Unclosed quote`, quote mark and all.
  it('an unclosed quote in a name or an account is refused; in a note it is a character', async () => {
    for (const cmd of ['/account add "Unclosed quote', '/account add New “Co', '/contact Beta add "Li Bai', '/account show "Beta', '/touch "Beta visit hi']) {
      expect(await refusedText(cmd), cmd).toContain('A value starts with');
    }
    expect(await refusedText('/account add "Unclosed quote')).toContain('A value starts with " but the closing quote is missing.');
    expect(await refusedText('/客户 添加 「华东')).toContain('A value starts with 「 but the closing quote is missing.');
    expect((await h.run('/touch Beta call he said "maybe next week')).ok).toBe(true);
    expect((await h.db.select().from(touchpoints).get())!.note).toBe('he said "maybe next week');
    expect((await h.run('/account add 5" Pipes')).ok).toBe(true);
  });

  // Was: src/engine/bind.ts let `on:` followed by a space fall into the note, so the visit was logged for today.
  it('an option with nothing after its colon is refused, in English, Chinese and with a full-width colon', async () => {
    expect(await refusedText('/touch Beta visit on: empty on')).toContain('on: needs a value right after the colon');
    expect(await refusedText('/touch Beta visit note on:')).toContain('on: needs a value');
    expect(await refusedText('/拜访 Beta visit 日期： 昨天 见面')).toContain('日期: needs a value');
    expect(await refusedText('/touch Beta visit on： yesterday hi')).toContain('on: needs a value');
    expect(await refusedText('/account set Beta name: Gamma')).toContain('name: needs a value');
    // A word ending in a colon that is no option stays text.
    expect((await h.run('/touch Beta call re: the invoice')).ok).toBe(true);
    expect((await h.db.select().from(touchpoints).get())!.note).toBe('re: the invoice');
  });

  // Was: src/engine/bind.ts kept the last value, so on:yesterday on:today logged the visit today.
  it('an option given twice is refused, naming it; with: may repeat', async () => {
    expect(await refusedText('/touch Beta visit on:yesterday on:today hi')).toContain('on: is given more than once');
    expect(await refusedText('/拜访 Beta visit 日期：昨天 日期:今天 见面')).toContain('日期: is given more than once');
    expect(await refusedText('/touch Beta visit on:yesterday 日期：今天 hi')).toContain('日期: is given more than once');
    expect(await refusedText('/account set Beta tier:key tier:strategic')).toContain('tier: is given more than once');
    expect((await h.run('/touch Beta visit with:@bob with:@carol hi')).ok).toBe(true);
  });

  it('says the same in Chinese', async () => {
    expect((await h.run('/steward me locale:zh-CN')).ok).toBe(true);
    expect(await refusedText('/拜访 Beta visit 日期： 昨天 见面')).toContain('日期: 缺少值');
    expect(await refusedText('/拜访 Beta visit 日期：昨天 日期：今天 见面')).toContain('日期: 填了不止一次');
    expect(await refusedText('/客户 添加 “未闭合')).toContain('有一个值以 “ 开头，但缺少对应的后引号。');
  });

  it('reads what Chinese speakers type: the words they use for options and values, full-width dates, languages by name', async () => {
    expect((await h.run('/steward me locale:中文')).ok).toBe(true);
    expect((await h.db.select().from(members).where(eq(members.name, 'alice')).get())!.locale).toBe('zh-CN');
    // 严重 and 优先级 for severity, 等级 for tier, 截至 for due: they were swallowed into the text, with defaults saved.
    expect((await h.run('/投诉 Beta 严重:高 货物损坏')).ok).toBe(true);
    expect((await h.db.select().from(complaints).where(eq(complaints.summary, '货物损坏')).get())!.severity).toBe('high');
    expect((await h.run('/投诉 Beta 优先级:紧急 冷链断了')).ok).toBe(true);
    expect((await h.db.select().from(complaints).where(eq(complaints.summary, '冷链断了')).get())!.severity).toBe('critical');
    expect((await h.run('/客户 添加 新客户 等级:战略')).ok).toBe(true);
    expect((await h.db.select().from(accounts).where(eq(accounts.name, '新客户')).get())!.tier).toBe('strategic');
    expect((await h.run('/承诺 Beta 截至:下周五 送样品')).ok).toBe(true);
    expect((await h.run('/承诺 列表 状态:待兑现')).text).toContain('送样品');
    // A value refused is named as the reader calls it, and its Chinese name is accepted too.
    const refusedTier = (await h.run('/客户 添加 小客户 级别:普通')).text;
    expect(refusedTier).toContain('级别: 不能填“普通”，应填战略客户 (strategic)、重点客户 (key)、一般客户 (standard)。');
    expect((await h.run('/客户 添加 小客户 级别:一般客户')).ok).toBe(true);
    expect((await h.run('/拜访 Beta 吃饭 请客')).text).toContain('可选：拜访 (visit)');
    expect((await h.run('/拜访 Beta 电话 确认了货量')).ok).toBe(true);
    // Commands are suggested, and their help pointed to, by their Chinese names.
    expect((await h.run('/拜仿 Beta')).text).toContain('你是不是要用 /拜访');
    expect((await h.run('/拜访 Beta')).text).toMatch(/\n用法：\n[\s\S]*详见：\/助手 帮助 拜访/);
    expect((await h.run('/流失 Beta')).text).toContain('原因:<原因> [竞品:<名称>] <教训>');
    // Settings speak of themselves as the reader types them.
    const settings = (await h.run('/助手 设置 周报日:周五')).text;
    expect(settings).toContain('设置已更新：周报日。');
    expect(settings).toMatch(/周报日 \/ 周报时间 +周五 08:30/);
    expect(settings).toMatch(/投诉处理时限（deadline-\*） +紧急 4h、高 24h/);
    // Full-width digits and dashes, as a Chinese keyboard types them.
    expect((await h.run('/拜访 Beta 拜访 日期:２０２６－１１－２０ 看了新仓库')).ok).toBe(true);
    expect((await h.db.select().from(touchpoints).where(eq(touchpoints.note, '看了新仓库')).get())!.occurredAt.toISOString().slice(0, 10)).toBe('2026-11-20');
  });
});

describe('odd but valid input is accepted and stored verbatim', () => {
  const SQL = "'; DROP TABLE accounts; --";
  const MARKUP = '<!channel> <script>alert(1)</script> <@U123> *bold* `code`';
  const EMOJI = '🚚📦 delivered ✅ 👍🏽';
  const CHINESE = '参观了新仓库，对方想要冷链报价；“下周”再谈';

  it.each([
    ['SQL-looking', SQL],
    ['markup-looking', MARKUP],
    ['emoji', EMOJI],
    ['Chinese', CHINESE],
  ])('%s text in notes, summaries, promises, signals and resolutions', async (_label, text) => {
    await expect(h.run(`/touch Beta visit ${text}`)).resolves.toMatchObject({ ok: true });
    await expect(h.run(`/complaint Beta ${text}`)).resolves.toMatchObject({ ok: true });
    await expect(h.run(`/promise Beta due:friday ${text}`)).resolves.toMatchObject({ ok: true });
    await expect(h.run(`/signal Beta competitor ${text}`)).resolves.toMatchObject({ ok: true });
    await expect(h.run(`/resolve C-3 ${text}`)).resolves.toMatchObject({ ok: true });

    expect((await h.db.select().from(touchpoints).get())!.note).toBe(text);
    const c3 = (await h.db.select().from(complaints).where(eq(complaints.number, 3)).get())!;
    expect(c3.summary).toBe(text);
    expect(c3.resolution).toBe(text);
    expect((await h.db.select().from(promises).where(eq(promises.number, 3)).get())!.text).toBe(text);
    expect((await h.db.select().from(churnSignals).get())!.detail).toBe(text);
    // Every table is still there and whole.
    expect((await h.db.select().from(accounts).orderBy(asc(accounts.id)).all()).map((a) => a.name)).toEqual(['Acme Logistics', 'Acme Freight', 'Beta']);
    // What the user reads back is the text as typed.
    expect((await h.run('/complaint show C-3')).text).toContain(text);
    expect((await h.run('/signal list Beta')).text).toContain(text);
  });

  it.each([
    ['SQL-looking', SQL],
    ['markup-looking', MARKUP],
    ['emoji', EMOJI],
    ['Chinese', '华东物流（上海）'],
  ])('%s account and contact names', async (_label, name) => {
    const added = await h.run(`/account add ${name}`);
    expect(added.ok, added.text).toBe(true);
    expect(added.text).toContain(`Added ${name} (standard)`);
    const row = await h.db.select().from(accounts).where(eq(accounts.name, name)).get();
    expect(row?.name).toBe(name);
    expect(await h.db.select().from(accounts).all()).toHaveLength(4);

    const contact = await h.run(`/contact Beta add ${name}`);
    expect(contact.ok, contact.text).toBe(true);
    expect((await h.db.select().from(contacts).where(eq(contacts.name, name)).get())?.name).toBe(name);

    const shown = await h.run(`/account show "${name}"`);
    expect(shown.ok, shown.text).toBe(true);
    expect(shown.text.split('\n')[0]).toContain(name);
  });

  it('a note of exactly 4000 characters is accepted; 4001 is refused with the limit', async () => {
    expect((await h.run(`/touch Beta call ${'y'.repeat(4000)}`)).ok).toBe(true);
    expect((await h.db.select().from(touchpoints).get())!.note).toHaveLength(4000);
    const before = h.snapshot();
    const out = await h.run(`/touch Beta call ${'y'.repeat(4001)}`);
    expect(out.ok).toBe(false);
    expect(out.text).toContain('That is 4001 characters; the limit is 4000.');
    expect(h.snapshot()).toBe(before);
  });

  it('the limit counts characters, not UTF-16 units: 4000 emoji fit', async () => {
    const note = '🚚'.repeat(4000);
    expect((await h.run(`/touch Beta call ${note}`)).ok).toBe(true);
    expect((await h.db.select().from(touchpoints).get())!.note).toBe(note);
  });

  it('a name with quote marks in it: the command Steward suggests next reads it back whole', async () => {
    const added = await h.run('/account add "Gamma ""Q"" Co" tier:key');
    expect(added.ok, added.text).toBe(true);
    const hint = /with (\/contact .+ add) <name>/.exec(added.text)?.[1];
    expect(hint).toBeDefined();
    expect((await h.run(`${hint} Bob level:decision-maker`)).ok).toBe(true);
    const gamma = (await h.db.select().from(accounts).where(eq(accounts.name, 'Gamma "Q" Co')).get())!;
    expect((await h.db.select().from(contacts).where(eq(contacts.accountId, gamma.id)).all()).map((c) => c.name)).toEqual(['Bob']);
  });

  it('full-width colons and Chinese quotes work like their ASCII forms', async () => {
    const out = await h.run('/touch Beta visit 对方：“Li Wei” 日期：昨天 见面');
    expect(out.ok, out.text).toBe(true);
    const t = (await h.db.select().from(touchpoints).get())!;
    expect(t.note).toBe('见面');
    expect(t.occurredAt.toISOString()).toBe('2026-11-22T04:00:00.000Z');
  });
});
