// `steward import|export`: row validation by line, idempotent upserts, Chinese
// names, a 50 000-row file, the CSV round trip, and the real CLI's exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../db/index.js';
import { accountAliases, accounts, complaints, contacts, members, tenants, touchpoints } from '../db/schema.js';
import { exportCsv, ImportError, importCsv } from '../src/io/cli.js';
import { catalog } from '../prompts/index.js';
import { harness, type Harness } from './harness.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'steward-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let db: Db;
beforeEach(() => {
  db = openDb(':memory:');
});
afterEach(() => closeDb(db));

const count = async (table: SQLiteTable) => (await db.select().from(table).all()).length;

const ACCOUNTS = `name,tier,owner,region,industry,revenue,spend,cadence_days,aliases
Acme Logistics,strategic,Alice Chen,East,Freight,1.2m,4m,21,"Acme, ACME Freight"
Borealis Foods,key,Bob,North,Food,350000,,,
`;

describe('import accounts', () => {
  it('creates accounts, owners as members, and aliases in both places', async () => {
    const r = await importCsv(db, 'accounts', ACCOUNTS);
    expect(r).toMatchObject({ rows: 2, created: 2, updated: 0, unchanged: 0, errors: [] });
    const acme = (await db.select().from(accounts).where(eq(accounts.nameKey, 'acme logistics')).get())!;
    expect(acme).toMatchObject({ tier: 'strategic', region: 'East', annualRevenue: 1_200_000, categorySpend: 4_000_000, cadenceDays: 21, aliases: ['Acme', 'ACME Freight'] });
    const keys = (await db.select().from(accountAliases).where(eq(accountAliases.accountId, acme.id)).all()).map((a) => a.key);
    expect(keys.sort()).toEqual(['acme', 'acme freight']);
    const owner = (await db.select().from(members).where(eq(members.id, acme.ownerId!)).get())!;
    expect(owner).toMatchObject({ name: 'Alice Chen', platformUserId: 'alice chen' });
    const tenant = (await db.select().from(tenants).get())!;
    expect(tenant).toMatchObject({ platform: 'shell', workspaceId: 'local' });
  });

  it('reports bad rows by their line in the file and imports the rest', async () => {
    const csv = [
      'name,tier,owner,revenue',
      'Good One,key,Ann,100', // line 2
      'Bad Tier,platinum,Ann,100', // line 3
      ',key,Ann,100', // line 4: missing name
      '"Multi',
      'Line",standard,Ann,lots', // lines 5-6: bad revenue, reported at line 5
      'Good Two,,,', // line 7
    ].join('\n');
    const r = await importCsv(db, 'accounts', csv, { actor: 'Ann' });
    expect(r.created).toBe(2);
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(r.errors[0]!.message).toMatch(/tier: expected one of strategic, key, standard, got "platinum"/);
    expect(r.errors[1]!.message).toMatch(/name is required/);
    expect(r.errors[2]!.message).toMatch(/revenue/);
    expect(await count(accounts)).toBe(2);
  });

  it('refuses revenue above the category spend, in the row or against what is stored, as chat does', async () => {
    const r = await importCsv(db, 'accounts', 'name,tier,revenue,spend\nWide Co,key,500k,100k\nFine Co,key,100k,500k\n', { actor: 'Ann' });
    expect(r.created).toBe(1);
    // The sentence /account add says, naming the column.
    const t = catalog('en');
    expect(r.errors.map((e) => [e.line, e.message])).toEqual([[2, `revenue: ${t.account.revenueOverSpend('500K', '100K')}`]]);
    const later = await importCsv(db, 'accounts', 'name,spend\nFine Co,50k\n');
    expect(later.errors.map((e) => e.message)).toEqual([`spend: ${t.account.revenueOverSpend('100K', '50K')}`]);
    expect((await db.select().from(accounts).where(eq(accounts.name, 'Fine Co')).get())!.categorySpend).toBe(500_000);
  });

  it('is idempotent: the same file twice, and the same name in another case, give one account', async () => {
    await importCsv(db, 'accounts', ACCOUNTS);
    const again = await importCsv(db, 'accounts', ACCOUNTS);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2, errors: [] });
    const r = await importCsv(db, 'accounts', 'name,tier\nACME LOGISTICS,key\nａｃｍｅ logistics,key\n');
    expect(r).toMatchObject({ created: 0, updated: 2, unchanged: 0 });
    expect(await count(accounts)).toBe(2);
    expect(await count(accountAliases)).toBe(2);
    expect(await count(members)).toBe(2);
    expect((await db.select().from(accounts).where(eq(accounts.nameKey, 'acme logistics')).get())!.tier).toBe('key');
  });

  it('rejects an alias that belongs to another account', async () => {
    await importCsv(db, 'accounts', ACCOUNTS);
    const r = await importCsv(db, 'accounts', 'name,aliases\nNewco,acme\n');
    expect(r.errors).toEqual([{ line: 2, message: `aliases: ${catalog('en').account.nameTaken('acme', 'Acme Logistics')}` }]);
    expect(await count(accounts)).toBe(2);
  });

  it('handles Chinese names, aliases separated by 、 and a BOM', async () => {
    const csv = '\uFEFFname,tier,owner,aliases\n华东物流有限公司,strategic,王伟,华东物流、华东\n';
    expect(await importCsv(db, 'accounts', csv)).toMatchObject({ created: 1, errors: [] });
    const a = (await db.select().from(accounts).get())!;
    expect(a).toMatchObject({ name: '华东物流有限公司', nameKey: '华东物流有限公司', aliases: ['华东物流', '华东'] });
    expect(await db.select().from(members).get()).toMatchObject({ name: '王伟', platformUserId: '王伟' });
    const contactsCsv = 'account,name,title,level\n华东物流,李娜,采购总监,decision-maker\n';
    expect(await importCsv(db, 'contacts', contactsCsv)).toMatchObject({ created: 1, errors: [] });
    expect(await db.select().from(contacts).get()).toMatchObject({ accountId: a.id, name: '李娜', title: '采购总监' });
  });

  it('stops at a header with an unknown or missing column', async () => {
    await expect(importCsv(db, 'accounts', 'name,teir\nX,key\n')).rejects.toThrow(/line 1: unknown column teir/);
    await expect(importCsv(db, 'contacts', 'name,title\nX,CEO\n')).rejects.toThrow(/missing column account/);
  });

  it('imports a 50 000-row file', async () => {
    const file = join(dir, 'big.csv');
    const lines = ['name,tier,owner,region,revenue,aliases'];
    const tiers = ['strategic', 'key', 'standard'];
    for (let i = 0; i < 50_000; i++) lines.push(`Account ${i},${tiers[i % 3]},Rep ${i % 50},Region ${i % 7},${i * 10},A${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    let last = 0;
    const r = await importCsv(db, 'accounts', readFileSync(file, 'utf8'), { onProgress: (done) => (last = done) });
    expect(r).toMatchObject({ rows: 50_000, created: 50_000, errors: [] });
    expect(last).toBe(50_000);
    expect(await count(accounts)).toBe(50_000);
    expect(await count(accountAliases)).toBe(50_000);
    expect(await count(members)).toBe(50);
  }, 120_000);
});

describe('import contacts and touchpoints', () => {
  beforeEach(async () => {
    await importCsv(db, 'accounts', ACCOUNTS);
  });

  it('reports an unknown account and upserts contacts by account and name', async () => {
    const csv = 'account,name,title,level,function\nAcme,Dana Li,COO,executive,operations\nNowhere Inc,Eve,CFO,executive,\nAcme,dana li,Chief Operating Officer,,\n';
    const r = await importCsv(db, 'contacts', csv);
    expect(r.errors).toEqual([{ line: 3, message: expect.stringMatching(/no account named "Nowhere Inc"/) }]);
    expect(r).toMatchObject({ created: 1, updated: 1 });
    expect(await db.select().from(contacts).all()).toMatchObject([{ name: 'dana li', title: 'Chief Operating Officer', level: 'executive', function: 'operations' }]);
  });

  it('validates dates and kinds, and never duplicates a touchpoint', async () => {
    await importCsv(db, 'contacts', 'account,name\nAcme Logistics,Dana Li\n');
    const csv = [
      'account,member,kind,date,contact,note',
      'Acme,Alice Chen,visit,2024-03-05,Dana Li,quarterly visit',
      'Acme,Alice Chen,visit,2024-02-30,,impossible',
      'Acme,Alice Chen,lunch,2024-03-06,,',
      'Acme,Alice Chen,call,2024-03-07T09:30:00+08:00,Nobody,',
      'Borealis Foods,New Rep,call,2024-03-08T10:00:00Z,,',
    ].join('\n');
    const r = await importCsv(db, 'touchpoints', csv);
    expect(r.errors.map((e) => [e.line, e.message])).toEqual([
      [3, expect.stringMatching(/date: "2024-02-30" is not a date in the calendar/)],
      [4, expect.stringMatching(/kind: expected one of visit, call/)],
      [5, expect.stringMatching(/contact: "Nobody"/)],
    ]);
    expect(r.created).toBe(2);
    expect(await importCsv(db, 'touchpoints', csv)).toMatchObject({ created: 0, unchanged: 2 });
    expect(await count(touchpoints)).toBe(2);
    const t = (await db.select().from(touchpoints).where(eq(touchpoints.kind, 'call')).get())!;
    expect(t.occurredAt.toISOString()).toBe('2024-03-08T10:00:00.000Z');
    expect(await db.select().from(members).where(eq(members.platformUserId, 'new rep')).get()).toBeDefined();
  });
});

describe('export', () => {
  it('round-trips accounts and touchpoints through a fresh database', async () => {
    await importCsv(db, 'accounts', `${ACCOUNTS}华东物流有限公司,strategic,王伟,,,"1,200,000",,,华东物流、华东\n`);
    await importCsv(db, 'touchpoints', 'account,member,kind,date,note\nAcme,Alice Chen,visit,2024-03-05,"said ""hello"", then left"\n华东,王伟,meeting,2024-04-01,季度回顾\n');
    const accountsCsv = await exportCsv(db, 'accounts');
    const touchCsv = await exportCsv(db, 'touchpoints');
    expect(accountsCsv.split('\n')[0]).toBe('name,tier,owner,region,industry,revenue,spend,cadence_days,aliases');

    const fresh = openDb(':memory:');
    try {
      expect(await importCsv(fresh, 'accounts', accountsCsv)).toMatchObject({ created: 3, errors: [] });
      expect(await importCsv(fresh, 'touchpoints', touchCsv)).toMatchObject({ created: 2, errors: [] });
      const pick = async (d: Db) =>
        (await d.select().from(accounts).all()).map(({ name, nameKey, tier, region, industry, annualRevenue, categorySpend, cadenceDays, aliases }) => ({
          name,
          nameKey,
          tier,
          region,
          industry,
          annualRevenue,
          categorySpend,
          cadenceDays,
          aliases,
        }));
      expect(await pick(fresh)).toEqual(await pick(db));
      const touches = async (d: Db) => (await d.select().from(touchpoints).all()).map(({ kind, occurredAt, note }) => ({ kind, occurredAt, note }));
      expect(await touches(fresh)).toEqual(await touches(db));
      expect(await exportCsv(fresh, 'accounts')).toBe(accountsCsv);
      expect(await exportCsv(fresh, 'touchpoints')).toBe(touchCsv);
    } finally {
      closeDb(fresh);
    }
  });

  it('exports complaints', async () => {
    await importCsv(db, 'accounts', ACCOUNTS);
    const tenant = (await db.select().from(tenants).get())!;
    const acme = (await db.select().from(accounts).where(eq(accounts.nameKey, 'acme logistics')).get())!;
    await db
      .insert(complaints)
      .values({
        tenantId: tenant.id,
        number: 1,
        accountId: acme.id,
        severity: 'high',
        category: 'delay',
        summary: 'late, again',
        ownerId: acme.ownerId,
        openedAt: new Date('2024-05-01T00:00:00Z'),
        deadlineAt: new Date('2024-05-02T00:00:00Z'),
      })
      .run();
    const csv = await exportCsv(db, 'complaints');
    expect(csv).toBe(
      'number,account,severity,category,status,summary,owner,opened_at,deadline_at,resolved_at,resolution\n' +
        'C-1,Acme Logistics,high,delay,open,"late, again",Alice Chen,2024-05-01T00:00:00Z,2024-05-02T00:00:00Z,,\n',
    );
  });
});

describe('the steward command', () => {
  const cli = (args: string[], dbFile: string) =>
    spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['src/io/cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, STEWARD_DB: dbFile, STEWARD_TIMEZONE: 'Asia/Shanghai', STEWARD_SHELL_USER: 'Carol' },
    });

  it('imports, reports bad rows on stderr with exit 1, and exports to stdout', () => {
    const dbFile = join(dir, 'cli', 'steward.db');
    const good = join(dir, 'good.csv');
    const bad = join(dir, 'bad.csv');
    writeFileSync(good, ACCOUNTS);
    writeFileSync(bad, 'name,tier\nFine Co,key\nWrong Co,gold\n');

    const ok = cli(['import', 'accounts', good], dbFile);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/accounts: 2 rows, 2 created, 0 updated, 0 unchanged, 0 rejected/);
    expect(ok.status).toBe(0);

    const partial = cli(['import', 'accounts', bad], dbFile);
    expect(partial.status).toBe(1);
    expect(partial.stderr).toContain(`${bad}:3: tier: expected one of strategic, key, standard, got "gold"`);
    expect(partial.stdout).toMatch(/1 created, .* 1 rejected/);

    const byName = join(dir, 'accounts.csv');
    writeFileSync(byName, 'name\n华东物流\n');
    const inferred = cli(['import', byName], dbFile);
    expect(inferred.status).toBe(0);
    expect(inferred.stdout).toMatch(/accounts: 1 rows, 1 created/);

    const out = cli(['export', 'accounts'], dbFile);
    expect(out.status).toBe(0);
    expect(
      out.stdout
        .split('\n')
        .slice(1, 5)
        .map((l) => l.split(',')[0]),
    ).toEqual(['Acme Logistics', 'Borealis Foods', 'Fine Co', '华东物流']);
    // No owner column: the account is the shell user's, as if they had typed /account add.
    expect(out.stdout.split('\n')[3]).toBe('Fine Co,key,Carol,,,,,,');

    const usage = cli(['import', 'deals', good], dbFile);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/import: expected accounts, contacts or touchpoints/);
    // A lone file whose name does not start with its kind: how to say which.
    const unnamed = cli(['import', join(dir, 'book.csv')], dbFile);
    expect(unnamed.status).toBe(2);
    expect(unnamed.stderr).toContain('say which: import accounts');

    const missing = cli(['import', 'accounts', join(dir, 'nope.csv')], dbFile);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);
  }, 60_000);
});

// The same book through chat and through a file: a file may not do what a command refuses.
describe('import agrees with chat', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  const SLACK = { platform: 'slack', workspaceId: 'T0123' } as const;
  const slackUser = (platformUserId: string, name: string) => ({ platformUserId, name });
  const inSlack = (user: { platformUserId: string; name: string }, text: string) => h.engine.handle({ ...SLACK, user, text }, async () => user);
  const membersIn = () => h.db.select({ id: members.id, platformUserId: members.platformUserId, name: members.name }).from(members).all();
  const ownerOf = async (name: string) => {
    const a = await h.db.select().from(accounts).where(eq(accounts.nameKey, name.toLowerCase())).get();
    return a && (await h.db.select().from(members).where(eq(members.id, a.ownerId!)).get())?.platformUserId;
  };

  it('export contacts exists, so accounts, contacts and touchpoints exported read back into an empty database with the touches on their contacts', async () => {
    await h.run('/account add Acme tier:strategic owner:@zhang');
    await h.run('/contact Acme add "Wu Gang" title:COO level:decision-maker function:purchasing');
    await h.run('/contact Acme add 李娜 level:operator');
    await h.run('/touch Acme visit to:"Wu Gang" on:2026-11-20 Plant tour', 'zhang');
    await h.run('/touch Acme call to:李娜 on:2026-11-21 电话', 'zhang');
    const contactsCsv = await exportCsv(h.db, 'contacts');
    expect(contactsCsv.split('\n').slice(0, 3)).toEqual(['account,name,title,level,function', 'Acme,Wu Gang,COO,decision-maker,purchasing', 'Acme,李娜,,operator,']);
    const fresh = harness();
    try {
      // A new workspace's zone, as STEWARD_TIMEZONE gives the command line.
      expect(await importCsv(fresh.db, 'accounts', await exportCsv(h.db, 'accounts'), { timezone: 'Asia/Shanghai' })).toMatchObject({ created: 1, errors: [] });
      expect(await importCsv(fresh.db, 'contacts', contactsCsv)).toMatchObject({ created: 2, errors: [] });
      expect(await importCsv(fresh.db, 'touchpoints', await exportCsv(h.db, 'touchpoints'))).toMatchObject({ created: 2, errors: [] });
      for (const kind of ['accounts', 'contacts', 'touchpoints'] as const) expect(await exportCsv(fresh.db, kind)).toBe(await exportCsv(h.db, kind));
    } finally {
      fresh.close();
    }
  });

  it('reads a Slack export back onto the same members, by name or user id, and refuses an unknown or ambiguous one', async () => {
    const alice = slackUser('U01ALICE', 'Alice Zhang');
    const bob = slackUser('U02BOB', 'Bob Wu');
    await inSlack(alice, '/account add Acme Logistics tier:strategic');
    await inSlack(alice, '/touch Acme visit on:2026-11-20 quarterly review');
    await inSlack(bob, '/steward whoami');
    const before = await membersIn();

    const accountsCsv = await exportCsv(h.db, 'accounts', SLACK);
    expect(accountsCsv.split('\n')[1]).toBe('Acme Logistics,strategic,Alice Zhang,,,,,,');
    expect(await importCsv(h.db, 'accounts', accountsCsv, { workspace: SLACK })).toMatchObject({ unchanged: 1, errors: [] });
    expect(await importCsv(h.db, 'touchpoints', await exportCsv(h.db, 'touchpoints', SLACK), { workspace: SLACK })).toMatchObject({ unchanged: 1, errors: [] });
    expect(await membersIn()).toEqual(before);
    expect(await ownerOf('Acme Logistics')).toBe('U01ALICE');

    const r = await importCsv(h.db, 'accounts', 'name,owner\nAcme Logistics,bob wu\nBeta Trading,U01ALICE\nGamma Freight,Nobody Here\n', { workspace: SLACK });
    expect(r).toMatchObject({ created: 1, updated: 1 });
    expect(r.errors).toEqual([{ line: 4, message: 'owner: nobody named "Nobody Here" in slack:T0123; write the name or user id of someone who has used Steward there' }]);
    expect(await ownerOf('Acme Logistics')).toBe('U02BOB');
    expect(await ownerOf('Beta Trading')).toBe('U01ALICE');
    expect(await membersIn()).toEqual(before);

    // A namesake: the name no longer says who; the user id still does.
    await inSlack(slackUser('U03ALICE', 'Alice Zhang'), '/steward whoami');
    const snapshot = h.snapshot();
    const bad = await importCsv(h.db, 'accounts', 'name,owner\nDelta Foods,Alice Zhang\n', { workspace: SLACK });
    expect(bad.errors).toEqual([{ line: 2, message: expect.stringContaining('owner: 2 members are named "Alice Zhang" (U01ALICE, U03ALICE)') }]);
    const badTouch = await importCsv(h.db, 'touchpoints', 'account,member,kind,date\nAcme Logistics,Nobody Here,call,2026-11-20\n', { workspace: SLACK });
    expect(badTouch.errors).toEqual([{ line: 2, message: expect.stringMatching(/^member: nobody named "Nobody Here"/) }]);
    expect(h.snapshot()).toBe(snapshot);
    expect(await importCsv(h.db, 'accounts', 'name,owner\nDelta Foods,U03ALICE\n', { workspace: SLACK })).toMatchObject({ created: 1, errors: [] });
    expect(await ownerOf('Delta Foods')).toBe('U03ALICE');
  });

  it('refuses a touchpoint in the future or more than five years back, as /touch does', async () => {
    await h.run('/account add Acme tier:key');
    // Now is Monday 23 Nov 2026, 10:00 in Shanghai, the workspace's zone.
    expect((await h.run('/touch Acme visit on:2026-11-24 planned')).text).toMatch(/in the future/);
    const csv = [
      'account,member,kind,date,note',
      'Acme,alice,visit,2026-11-24,tomorrow', // 2
      'Acme,alice,call,2026-11-23T18:00:00+08:00,tonight', // 3
      'Acme,alice,visit,2021-11-01,long ago', // 4
      'Acme,alice,call,2026-11-23,today', // 5
      'Acme,alice,call,2026-11-23T09:00:00+08:00,this morning', // 6
      'Acme,alice,visit,2021-11-24,within five years', // 7
    ].join('\n');
    const r = await importCsv(h.db, 'touchpoints', csv, { now: h.now });
    const t = catalog('en');
    expect(r.errors).toEqual([
      // /touch's sentences, with the day in the workspace's words, naming the column.
      { line: 2, message: `date: ${t.touch.future('Tue 24 Nov 2026')}` },
      { line: 3, message: `date: ${t.touch.future('Mon 23 Nov 2026')}` },
      { line: 4, message: `date: ${t.touch.tooOld('Mon 1 Nov 2021')}` },
    ]);
    expect(r.created).toBe(3);
    expect((await h.db.select().from(touchpoints).all()).map((t) => t.note).sort()).toEqual(['this morning', 'today', 'within five years']);
  });

  it('refuses an owner who has left, but reads back an account they still own', async () => {
    await h.run('/account add Acme tier:key');
    await h.run('/account add Borealis tier:key owner:@bob');
    await h.run('/leave @bob');
    const exported = await exportCsv(h.db, 'accounts');
    expect(exported).toContain('Borealis,key,bob,');
    expect(await importCsv(h.db, 'accounts', exported)).toMatchObject({ unchanged: 2, errors: [] });

    const snapshot = h.snapshot();
    const r = await importCsv(h.db, 'accounts', 'name,owner\nAcme,bob\nEpsilon,Bob\n');
    expect(r.errors).toEqual([
      { line: 2, message: `owner: ${catalog('en').complaint.inactiveMember('bob')}` },
      { line: 3, message: `owner: ${catalog('en').complaint.inactiveMember('bob')}` },
    ]);
    expect(h.snapshot()).toBe(snapshot);
    expect(await ownerOf('Acme')).toBe('alice');
  });

  it('gives a new account without an owner to whoever imports it, and refuses it when nobody is named', async () => {
    await h.run('/account add Acme tier:key');
    const none = await importCsv(h.db, 'accounts', 'name,tier\nZeta Freight,key\nAcme,strategic\n');
    expect(none.errors).toEqual([{ line: 2, message: 'owner: a new account needs an owner; fill in the owner column, or say who is importing (--as)' }]);
    expect(none.updated).toBe(1); // an existing account keeps its owner
    expect(await ownerOf('Acme')).toBe('alice');

    expect(await importCsv(h.db, 'accounts', 'name,tier\nZeta Freight,key\n', { actor: 'alice' })).toMatchObject({ created: 1, errors: [] });
    expect(await ownerOf('Zeta Freight')).toBe('alice');
    // In the shell, whoever imports is a member from then on, as they would be by typing a command.
    expect(await importCsv(h.db, 'accounts', 'name\nEta Metals\n', { actor: 'Dana' })).toMatchObject({ created: 1, errors: [] });
    expect(await ownerOf('Eta Metals')).toBe('dana');

    // Elsewhere the importer must already be a member: nothing is written otherwise.
    const alice = slackUser('U01ALICE', 'Alice Zhang');
    await inSlack(alice, '/steward whoami');
    const before = h.snapshot();
    await expect(importCsv(h.db, 'accounts', 'name\nTheta\n', { workspace: SLACK, actor: 'Nobody' })).rejects.toThrow(ImportError);
    expect(h.snapshot()).toBe(before);
    expect(await importCsv(h.db, 'accounts', 'name\nTheta\n', { workspace: SLACK, actor: 'U01ALICE' })).toMatchObject({ created: 1, errors: [] });
    expect(await ownerOf('Theta')).toBe('U01ALICE');
  });

  it('exports formula-looking cells behind a quote and reads them back unchanged', async () => {
    const names = ['=HYPERLINK("http://evil","x")', '+1 Logistics', '-2 Trading', '@SUM(A1)', "'plain", '＝Fullwidth'];
    const csv = `name,owner,region,revenue\n${names.map((n) => `"${n.replaceAll('"', '""')}",alice,-East,1.2m`).join('\n')}\n`;
    expect(await importCsv(h.db, 'accounts', csv)).toMatchObject({ created: names.length, errors: [] });
    // Really named with a leading quote: the export adds one more, so the import's strip gives it back.
    await h.run(`/account add "'=Quoted"`);
    names.push("'=Quoted");
    await h.run('/touch "@SUM(A1)" call @SUM(A1:A9)');
    await h.run('/complaint "@SUM(A1)" severity:low -2+3 cmd');

    const accountsCsv = await exportCsv(h.db, 'accounts');
    expect(accountsCsv.split('\n').slice(1, -1)).toEqual([
      `"'=HYPERLINK(""http://evil"",""x"")",standard,alice,'-East,,1200000,,,`,
      `'+1 Logistics,standard,alice,'-East,,1200000,,,`,
      `'-2 Trading,standard,alice,'-East,,1200000,,,`,
      `'@SUM(A1),standard,alice,'-East,,1200000,,,`,
      `'plain,standard,alice,'-East,,1200000,,,`,
      `'＝Fullwidth,standard,alice,'-East,,1200000,,,`,
      `''=Quoted,standard,alice,,,,,,`,
    ]);
    const touchCsv = await exportCsv(h.db, 'touchpoints');
    expect(touchCsv).toContain(`'@SUM(A1),alice,call,`);
    expect(touchCsv).toMatch(/,'@SUM\(A1:A9\)\n$/);
    expect(await exportCsv(h.db, 'complaints')).toContain(`,'-2+3 cmd,`);

    expect(await importCsv(h.db, 'accounts', accountsCsv)).toMatchObject({ unchanged: names.length, errors: [] });
    expect(await importCsv(h.db, 'touchpoints', touchCsv)).toMatchObject({ unchanged: 1, errors: [] });
    const fresh = harness();
    try {
      expect(await importCsv(fresh.db, 'accounts', accountsCsv)).toMatchObject({ created: names.length, errors: [] });
      const pick = (d: Db) => d.select({ name: accounts.name, region: accounts.region, annualRevenue: accounts.annualRevenue }).from(accounts).all();
      expect((await pick(fresh.db)).map((a) => a.name)).toEqual(names);
      expect(await pick(fresh.db)).toEqual(await pick(h.db));
      expect(await exportCsv(fresh.db, 'accounts')).toBe(accountsCsv);
    } finally {
      fresh.close();
    }
  });
});
