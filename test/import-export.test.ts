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
import { exportCsv, importCsv } from '../src/cli.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'steward-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let db: Db;
beforeEach(() => {
  db = openDb(':memory:');
});
afterEach(() => closeDb(db));

const count = (table: SQLiteTable) => db.select().from(table).all().length;

const ACCOUNTS = `name,tier,owner,region,industry,revenue,spend,cadence_days,aliases
Acme Logistics,strategic,Alice Chen,East,Freight,1.2m,4m,21,"Acme, ACME Freight"
Borealis Foods,key,Bob,North,Food,350000,,,
`;

describe('import accounts', () => {
  it('creates accounts, owners as members, and aliases in both places', () => {
    const r = importCsv(db, 'accounts', ACCOUNTS);
    expect(r).toMatchObject({ rows: 2, created: 2, updated: 0, unchanged: 0, errors: [] });
    const acme = db.select().from(accounts).where(eq(accounts.nameKey, 'acme logistics')).get()!;
    expect(acme).toMatchObject({ tier: 'strategic', region: 'East', annualRevenue: 1_200_000, categorySpend: 4_000_000, cadenceDays: 21, aliases: ['Acme', 'ACME Freight'] });
    const keys = db.select().from(accountAliases).where(eq(accountAliases.accountId, acme.id)).all().map((a) => a.key);
    expect(keys.sort()).toEqual(['acme', 'acme freight']);
    const owner = db.select().from(members).where(eq(members.id, acme.ownerId!)).get()!;
    expect(owner).toMatchObject({ name: 'Alice Chen', platformUserId: 'alice chen' });
    const tenant = db.select().from(tenants).get()!;
    expect(tenant).toMatchObject({ platform: 'shell', workspaceId: 'local' });
  });

  it('reports bad rows by their line in the file and imports the rest', () => {
    const csv = [
      'name,tier,owner,revenue',
      'Good One,key,Ann,100', // line 2
      'Bad Tier,platinum,Ann,100', // line 3
      ',key,Ann,100', // line 4: missing name
      '"Multi',
      'Line",standard,Ann,lots', // lines 5-6: bad revenue, reported at line 5
      'Good Two,,,', // line 7
    ].join('\n');
    const r = importCsv(db, 'accounts', csv);
    expect(r.created).toBe(2);
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(r.errors[0]!.message).toMatch(/tier: expected one of strategic, key, standard, got "platinum"/);
    expect(r.errors[1]!.message).toMatch(/name is required/);
    expect(r.errors[2]!.message).toMatch(/revenue/);
    expect(count(accounts)).toBe(2);
  });

  it('is idempotent: the same file twice, and the same name in another case, give one account', () => {
    importCsv(db, 'accounts', ACCOUNTS);
    const again = importCsv(db, 'accounts', ACCOUNTS);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2, errors: [] });
    const r = importCsv(db, 'accounts', 'name,tier\nACME LOGISTICS,key\nａｃｍｅ logistics,key\n');
    expect(r).toMatchObject({ created: 0, updated: 2, unchanged: 0 });
    expect(count(accounts)).toBe(2);
    expect(count(accountAliases)).toBe(2);
    expect(count(members)).toBe(2);
    expect(db.select().from(accounts).where(eq(accounts.nameKey, 'acme logistics')).get()!.tier).toBe('key');
  });

  it('rejects an alias that belongs to another account', () => {
    importCsv(db, 'accounts', ACCOUNTS);
    const r = importCsv(db, 'accounts', 'name,aliases\nNewco,acme\n');
    expect(r.errors).toEqual([{ line: 2, message: expect.stringMatching(/already an alias/) }]);
    expect(count(accounts)).toBe(2);
  });

  it('handles Chinese names, aliases separated by 、 and a BOM', () => {
    const csv = '\uFEFFname,tier,owner,aliases\n华东物流有限公司,strategic,王伟,华东物流、华东\n';
    expect(importCsv(db, 'accounts', csv)).toMatchObject({ created: 1, errors: [] });
    const a = db.select().from(accounts).get()!;
    expect(a).toMatchObject({ name: '华东物流有限公司', nameKey: '华东物流有限公司', aliases: ['华东物流', '华东'] });
    expect(db.select().from(members).get()).toMatchObject({ name: '王伟', platformUserId: '王伟' });
    const contactsCsv = 'account,name,title,level\n华东物流,李娜,采购总监,decision-maker\n';
    expect(importCsv(db, 'contacts', contactsCsv)).toMatchObject({ created: 1, errors: [] });
    expect(db.select().from(contacts).get()).toMatchObject({ accountId: a.id, name: '李娜', title: '采购总监' });
  });

  it('stops at a header with an unknown or missing column', () => {
    expect(() => importCsv(db, 'accounts', 'name,teir\nX,key\n')).toThrow(/line 1: unknown column teir/);
    expect(() => importCsv(db, 'contacts', 'name,title\nX,CEO\n')).toThrow(/missing column account/);
  });

  it('imports a 50 000-row file', () => {
    const file = join(dir, 'big.csv');
    const lines = ['name,tier,owner,region,revenue,aliases'];
    const tiers = ['strategic', 'key', 'standard'];
    for (let i = 0; i < 50_000; i++) lines.push(`Account ${i},${tiers[i % 3]},Rep ${i % 50},Region ${i % 7},${i * 10},A${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    let last = 0;
    const r = importCsv(db, 'accounts', readFileSync(file, 'utf8'), { onProgress: (done) => (last = done) });
    expect(r).toMatchObject({ rows: 50_000, created: 50_000, errors: [] });
    expect(last).toBe(50_000);
    expect(count(accounts)).toBe(50_000);
    expect(count(accountAliases)).toBe(50_000);
    expect(count(members)).toBe(50);
  }, 120_000);
});

describe('import contacts and touchpoints', () => {
  beforeEach(() => {
    importCsv(db, 'accounts', ACCOUNTS);
  });

  it('reports an unknown account and upserts contacts by account and name', () => {
    const csv = 'account,name,title,level,function\nAcme,Dana Li,COO,executive,operations\nNowhere Inc,Eve,CFO,executive,\nAcme,dana li,Chief Operating Officer,,\n';
    const r = importCsv(db, 'contacts', csv);
    expect(r.errors).toEqual([{ line: 3, message: expect.stringMatching(/no account named "Nowhere Inc"/) }]);
    expect(r).toMatchObject({ created: 1, updated: 1 });
    expect(db.select().from(contacts).all()).toMatchObject([{ name: 'dana li', title: 'Chief Operating Officer', level: 'executive', function: 'operations' }]);
  });

  it('validates dates and kinds, and never duplicates a touchpoint', () => {
    importCsv(db, 'contacts', 'account,name\nAcme Logistics,Dana Li\n');
    const csv = [
      'account,member,kind,date,contact,note',
      'Acme,Alice Chen,visit,2024-03-05,Dana Li,quarterly visit',
      'Acme,Alice Chen,visit,2024-02-30,,impossible',
      'Acme,Alice Chen,lunch,2024-03-06,,',
      'Acme,Alice Chen,call,2024-03-07T09:30:00+08:00,Nobody,',
      'Borealis Foods,New Rep,call,2024-03-08T10:00:00Z,,',
    ].join('\n');
    const r = importCsv(db, 'touchpoints', csv);
    expect(r.errors.map((e) => [e.line, e.message])).toEqual([
      [3, expect.stringMatching(/date: "2024-02-30" is not a date in the calendar/)],
      [4, expect.stringMatching(/kind: expected one of visit, call/)],
      [5, expect.stringMatching(/contact: "Nobody"/)],
    ]);
    expect(r.created).toBe(2);
    expect(importCsv(db, 'touchpoints', csv)).toMatchObject({ created: 0, unchanged: 2 });
    expect(count(touchpoints)).toBe(2);
    const t = db.select().from(touchpoints).where(eq(touchpoints.kind, 'call')).get()!;
    expect(t.occurredAt.toISOString()).toBe('2024-03-08T10:00:00.000Z');
    expect(db.select().from(members).where(eq(members.platformUserId, 'new rep')).get()).toBeDefined();
  });
});

describe('export', () => {
  it('round-trips accounts and touchpoints through a fresh database', () => {
    importCsv(db, 'accounts', ACCOUNTS + '华东物流有限公司,strategic,王伟,,,"1,200,000",,,华东物流、华东\n');
    importCsv(db, 'touchpoints', 'account,member,kind,date,note\nAcme,Alice Chen,visit,2024-03-05,"said ""hello"", then left"\n华东,王伟,meeting,2024-04-01,季度回顾\n');
    const accountsCsv = exportCsv(db, 'accounts');
    const touchCsv = exportCsv(db, 'touchpoints');
    expect(accountsCsv.split('\n')[0]).toBe('name,tier,owner,region,industry,revenue,spend,cadence_days,aliases');

    const fresh = openDb(':memory:');
    try {
      expect(importCsv(fresh, 'accounts', accountsCsv)).toMatchObject({ created: 3, errors: [] });
      expect(importCsv(fresh, 'touchpoints', touchCsv)).toMatchObject({ created: 2, errors: [] });
      const pick = (d: Db) =>
        d
          .select()
          .from(accounts)
          .all()
          .map(({ name, nameKey, tier, region, industry, annualRevenue, categorySpend, cadenceDays, aliases }) => ({ name, nameKey, tier, region, industry, annualRevenue, categorySpend, cadenceDays, aliases }));
      expect(pick(fresh)).toEqual(pick(db));
      const touches = (d: Db) => d.select().from(touchpoints).all().map(({ kind, occurredAt, note }) => ({ kind, occurredAt, note }));
      expect(touches(fresh)).toEqual(touches(db));
      expect(exportCsv(fresh, 'accounts')).toBe(accountsCsv);
      expect(exportCsv(fresh, 'touchpoints')).toBe(touchCsv);
    } finally {
      closeDb(fresh);
    }
  });

  it('exports complaints', () => {
    importCsv(db, 'accounts', ACCOUNTS);
    const tenant = db.select().from(tenants).get()!;
    const acme = db.select().from(accounts).where(eq(accounts.nameKey, 'acme logistics')).get()!;
    db.insert(complaints)
      .values({ tenantId: tenant.id, number: 1, accountId: acme.id, severity: 'high', category: 'delay', summary: 'late, again', ownerId: acme.ownerId, openedAt: new Date('2024-05-01T00:00:00Z'), deadlineAt: new Date('2024-05-02T00:00:00Z') })
      .run();
    const csv = exportCsv(db, 'complaints');
    expect(csv).toBe(
      'number,account,severity,category,status,summary,owner,opened_at,deadline_at,resolved_at,resolution\n' +
        'C-1,Acme Logistics,high,delay,open,"late, again",Alice Chen,2024-05-01T00:00:00Z,2024-05-02T00:00:00Z,,\n',
    );
  });
});

describe('the steward command', () => {
  const cli = (args: string[], dbFile: string) =>
    spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['src/cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, STEWARD_DB: dbFile, STEWARD_TIMEZONE: 'Asia/Shanghai' },
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
    expect(out.stdout.split('\n').slice(1, 5).map((l) => l.split(',')[0])).toEqual(['Acme Logistics', 'Borealis Foods', 'Fine Co', '华东物流']);

    const usage = cli(['import', 'deals', good], dbFile);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/import: expected accounts, contacts or touchpoints/);

    const missing = cli(['import', 'accounts', join(dir, 'nope.csv')], dbFile);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);
  }, 60_000);
});
