// `steward export --all` / `import --all` (src/io/book-io.ts): a book built with the
// real commands, moved into an empty database, reads exactly as before in every
// view; the import is all-or-nothing with a report by file, line and column; and
// every table of the schema is either in the full export or named as not book data.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as schema from '../db/schema.js';
import { BookError, ENTITIES, exportBook, exportBookTo, FOLDED, importBook, NOT_BOOK, readBookDir } from '../src/io/book-io.js';
import { run } from '../src/io/cli.js';
import { harness, type Harness } from './harness.js';
import { ACCOUNTS, NOW, PEOPLE, RICH_START, richBook, views } from './rich-book.js';

const dir = mkdtempSync(join(tmpdir(), 'steward-book-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let h: Harness;
let fresh: Harness | undefined;
afterEach(() => {
  h?.close();
  fresh?.close();
  fresh = undefined;
});
describe('export --all, import --all', () => {
  it('a book moved into an empty database reads exactly as before, in every view', async () => {
    h = harness({ now: RICH_START });
    await richBook(h);
    const before = await views(h);
    // The views read what the book holds: a complaint's life, a promise's moves, a review's ticks, the organisation's views.
    const all = before.join('\n');
    for (const seen of [
      'note by wang: Carrier admits the damage',
      'passed from wang to zhang by li',
      'resolved by zhang: Pallets replaced, carrier pays',
      'reopened by alice: Two more pallets crushed',
      'escalated to the manager li',
      'kept · moved 2 times',
      'li, Mon 16 Nov 2026 10:00 · They want the fuel surcharge in',
      '[competitors] — ticked by li, Fri 11 Sept 2026',
      'Weekly digest for the organisation',
      "Churn of li's team",
      'Accounts at risk or to watch in the organisation',
    ])
      expect(all).toContain(seen);
    // The views themselves changed nothing in the book.
    const files = (await exportBook(h.db, { platform: 'shell', workspaceId: 'local' }))!;
    const out = join(dir, 'roundtrip');
    await exportBookTo(h.db, { platform: 'shell', workspaceId: 'local' }, out);
    fresh = harness({ now: NOW });
    const result = await importBook(fresh.db, readBookDir(out));
    expect(result.rows).toMatchObject({ members: PEOPLE.length, accounts: ACCOUNTS.length });
    const after = await views(fresh);
    for (let i = 0; i < before.length; i++) expect(after[i]).toBe(before[i]);
    // And the book exported again is the same files.
    expect(await exportBook(fresh.db, { platform: 'shell', workspaceId: 'local' })).toEqual(files);
    // References are names and short ids, not database ids.
    const touches = readFileSync(join(out, 'touchpoints.csv'), 'utf8');
    expect(touches.split('\n')[0]).toBe('account,member,our_level,contact,kind,occurred_at,note,source_platform,source_ref,created_at,with');
    expect(touches).toContain('Acme,zhang,sales,Wu Gang,visit,');
    expect(touches).toContain("'=SUM(A1) rates review");
    expect(readFileSync(join(out, 'promises.csv'), 'utf8')).toMatch(/\n2,华东化工,张伟,提供新报价,2026-09-10,broken,/);
    expect(readFileSync(join(out, 'accounts.csv'), 'utf8')).toMatch(/\nGamma,\["?[^\n]*,standard,zhang,lost,/);
    expect(readFileSync(join(out, 'complaint_events.csv'), 'utf8')).toContain(
      'complaint,kind,actor,from,to,text,at\nC-1,note,zhang,,,"Called the warehouse, photos on the way",2026-10-20T15:00:00.000+08:00\nC-1,pass,li,zhang,wang,,',
    );
    expect(readFileSync(join(out, 'promise_moves.csv'), 'utf8')).toContain(
      'promise,from_on,to_on,reason,by,moved_at\nP-4,2026-11-10,2026-11-17,Their CFO is away,wang,2026-11-08T10:00:00.000+08:00\n',
    );
    expect(readFileSync(join(out, 'reviews.csv'), 'utf8')).toContain('{""key"":""competitors"",""done"":true,""tickedBy"":""li"",""tickedAt"":""2026-09-11T16:00:00.000+08:00""}');
    expect(readFileSync(join(out, 'escalations.csv'), 'utf8')).toMatch(/\nescalation:C-1:2,escalation,complaint,C-1,li,2,/);
  }, 120_000);

  it('one bad cell in any file writes nothing, and the report names the file, the line and the column', async () => {
    h = harness({ now: RICH_START });
    await richBook(h);
    const out = join(dir, 'bad');
    await exportBookTo(h.db, { platform: 'shell', workspaceId: 'local' }, out);
    const promisesCsv = readFileSync(join(out, 'promises.csv'), 'utf8').split('\n');
    promisesCsv[3] = promisesCsv[3]!.replace(',open,', ',pending,');
    writeFileSync(join(out, 'promises.csv'), promisesCsv.join('\n'));
    const edit = (file: string, line: number, from: string, to: string) => {
      const lines = readFileSync(join(out, file), 'utf8').split('\n');
      expect(lines[line - 1], `${file}:${line}`).toContain(from);
      lines[line - 1] = lines[line - 1]!.replace(from, to);
      writeFileSync(join(out, file), lines.join('\n'));
    };
    edit('complaint_events.csv', 3, ',pass,', ',passed,');
    edit('promise_moves.csv', 3, ',li,', ',nobody,');
    edit('reviews.csv', 2, '""tickedBy"":""li""', '""tickedBy"":""ghost""');
    // The rungs are in the order the sweeps decided them; C-2's first is wherever that put it.
    const c2 =
      readFileSync(join(out, 'escalations.csv'), 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('escalation:C-2:1,')) + 1;
    edit('escalations.csv', c2, 'escalation:C-2:1', 'escalation:C-9:1');
    const escalations = readFileSync(join(out, 'escalations.csv'), 'utf8').trimEnd().split('\n');
    escalations.push(escalations[3]!);
    writeFileSync(join(out, 'escalations.csv'), `${escalations.join('\n')}\n`);
    const audit = readFileSync(join(out, 'audit.csv'), 'utf8').trimEnd().split('\n');
    audit.push(audit.at(-1)!.replace(/^[^,]*/, 'nobody'));
    writeFileSync(join(out, 'audit.csv'), `${audit.join('\n')}\n`);
    fresh = harness({ now: NOW });
    const empty = fresh.snapshot();
    let problems: string[] = [];
    try {
      await importBook(fresh.db, readBookDir(out));
    } catch (e) {
      expect(e).toBeInstanceOf(BookError);
      problems = (e as Error).message.split('\n');
    }
    expect(problems).toEqual([
      'complaint_events.csv:3: kind: expected one of note, pass, resolve, reopen, got "passed"',
      'promises.csv:4: status: expected one of open, kept, broken, got "pending"',
      'promise_moves.csv:3: by: no member "nobody" in members.csv',
      'reviews.csv:2: checklist: item 5 (competitors): tickedBy: no member "ghost" in members.csv',
      `escalations.csv:${c2}: dedupe_key: no complaint "C-9" in complaints.csv`,
      `escalations.csv:${escalations.length}: dedupe_key: "${escalations[3]!.split(',')[0]}" appears twice`,
      `audit.csv:${audit.length}: actor: no member "nobody" in members.csv`,
    ]);
    expect(fresh.snapshot()).toBe(empty);
  }, 120_000);

  it('refuses a workspace that already has a book, and the command line reports it', async () => {
    h = harness({ now: RICH_START });
    await richBook(h);
    const out = join(dir, 'twice');
    await exportBookTo(h.db, { platform: 'shell', workspaceId: 'local' }, out);
    const before = h.snapshot();
    await expect(importBook(h.db, readBookDir(out))).rejects.toThrow(/shell:local already has a book/);
    expect(h.snapshot()).toBe(before);
    const io = { stdout: sink(), stderr: sink() as unknown as NodeJS.WriteStream };
    process.env.STEWARD_DB = h.file;
    try {
      expect(await run(['import', '--all', out], io)).toBe(2);
      expect(text(io.stderr)).toContain('workspace.csv:2: shell:local already has a book');
      expect(text(io.stderr)).toContain('nothing imported');
      // The command line's round trip: export --all from this database, import --all into an empty one.
      const cli = join(dir, 'cli');
      expect(await run(['export', '--all', cli], io)).toBe(0);
      fresh = harness({ now: NOW });
      process.env.STEWARD_DB = fresh.file;
      expect(await run(['import', '--all', cli], io)).toBe(0);
      expect(text(io.stdout)).toContain(`imported into shell:local: workspace.csv 1 row, members.csv ${PEOPLE.length} rows, accounts.csv ${ACCOUNTS.length} rows`);
      expect(await exportBook(fresh.db, { platform: 'shell', workspaceId: 'local' })).toEqual(await exportBook(h.db, { platform: 'shell', workspaceId: 'local' }));
    } finally {
      delete process.env.STEWARD_DB;
    }
  }, 120_000);

  it('every table of the schema is in the full export or named as not book data, with a reason', () => {
    const tables = Object.values(schema)
      .filter((v) => is(v, SQLiteTable))
      .map((t) => getTableName(t as SQLiteTable));
    const covered = new Set([...ENTITIES.map((e) => getTableName(e.table)), ...Object.keys(FOLDED)]);
    const unaccounted = tables.filter((t) => !covered.has(t) && !(t in NOT_BOOK));
    expect(unaccounted, 'add each to src/io/book-io.ts ENTITIES (the full export) or NOT_BOOK (with why it is not the book)').toEqual([]);
    for (const reason of Object.values(NOT_BOOK)) expect(reason.length).toBeGreaterThan(10);
  });

  it('a folder that is not there is one problem; missing files each one line, the list of a full export once', () => {
    const gone = join(tmpdir(), `steward-no-such-${process.pid}`);
    expect(() => readBookDir(gone)).toThrow(new RegExp(`^workspace\\.csv:0: no such folder: ${gone.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const half = mkdtempSync(join(tmpdir(), 'steward-half-'));
    writeFileSync(join(half, 'workspace.csv'), 'x\n');
    let lines: string[] = [];
    try {
      readBookDir(half);
    } catch (e) {
      lines = (e as Error).message.split('\n');
    }
    expect(lines).toHaveLength(ENTITIES.length - 1);
    expect(lines.filter((l) => l.includes('a full export has'))).toHaveLength(1);
  });

  it('every column that points at another row is written as a reference, not a database id', () => {
    for (const e of ENTITIES) {
      const config = getTableConfigOf(e.table);
      for (const fk of config.foreignKeys) {
        for (const col of fk.reference().columns) {
          if (col.name === 'tenant_id') continue;
          const key = Object.entries(e.table).find(([, c]) => c === col)?.[0];
          expect(Object.keys(e.refs), `${getTableName(e.table)}.${col.name}`).toContain(key);
        }
      }
    }
  });
});

import { getTableConfig } from 'drizzle-orm/sqlite-core';
const getTableConfigOf = (t: SQLiteTable) => getTableConfig(t);

function sink() {
  const chunks: string[] = [];
  return Object.assign({ write: (c: string) => (chunks.push(c), true) }, { chunks }) as unknown as NodeJS.WritableStream & { chunks: string[] };
}
const text = (s: unknown) => (s as { chunks: string[] }).chunks.join('');
