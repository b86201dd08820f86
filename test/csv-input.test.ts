// What `steward import` makes of files as spreadsheets really save them: legacy
// code pages, UTF-16 "Unicode text", a column twice, control characters in a cell.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../db/index.js';
import { accounts } from '../db/schema.js';

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'steward-csv-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Runs the real `steward import accounts` on `bytes`; returns what it printed and the account names stored. */
async function importFile(bytes: Buffer | string) {
  n++;
  const dbFile = join(dir, `steward-${n}.db`);
  const file = join(dir, `accounts-${n}.csv`);
  writeFileSync(file, bytes);
  const run = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['src/io/cli.ts', 'import', 'accounts', file], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, STEWARD_DB: dbFile, STEWARD_TIMEZONE: 'UTC', STEWARD_SHELL_USER: 'Carol' },
  });
  const db = openDb(dbFile);
  const names = (await db.select().from(accounts).all()).map((a) => a.name);
  closeDb(db);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.replaceAll(`${file}`, 'FILE'), names };
}

describe('steward import reads the bytes spreadsheets save', () => {
  it('refuses a Windows-1252 file with how to save it, rather than importing mojibake', async () => {
    // "Café Nürnberg" in Windows-1252: é = 0xE9, ü = 0xFC, not UTF-8.
    const r = await importFile(Buffer.from('name,tier\nPlain Co,key\nCaf\xe9 N\xfcrnberg,key\n', 'latin1'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('FILE: line 3: the file is not UTF-8 text');
    expect(r.stderr).toContain('save it as "CSV UTF-8"');
    expect(r.names).toEqual([]);
  }, 30_000);

  it('still reads UTF-8 with a BOM', async () => {
    const r = await importFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,tier\nCafé Nürnberg,key\n')]));
    expect(r.stderr).toBe('');
    expect(r.names).toEqual(['Café Nürnberg']);
  }, 30_000);

  it('reads UTF-16 little- and big-endian files, comma- or tab-separated', async () => {
    const le = await importFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name\ttier\r\n华东物流\tkey\r\nCafé\tstandard\r\n', 'utf16le')]));
    expect(le.stderr).toBe('');
    expect(le.stdout).toMatch(/accounts: 2 rows, 2 created/);
    expect(le.names.sort()).toEqual(['Café', '华东物流']);
    const be = Buffer.from('\uFEFFname,tier\nZürich AG,key\n', 'utf16le').swap16();
    const r = await importFile(be);
    expect(r.stderr).toBe('');
    expect(r.names).toEqual(['Zürich AG']);
  }, 30_000);

  it('refuses a file with the same column twice, naming it', async () => {
    const r = await importFile('name,tier,Tier\nAcme,key,strategic\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('FILE: line 1: the column tier appears more than once; keep one');
    expect(r.names).toEqual([]);
  }, 30_000);

  it('refuses a row with a NUL or another control character, and imports the rest', async () => {
    const r = await importFile('name,tier,region\nAc\u0000me,key,\nGood Co,key,East\nBad Co,key,Ea\u001bst\nTabbed\tName,key,\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FILE:2: name: contains the control character U+0000; remove it');
    expect(r.stderr).toContain('FILE:4: region: contains the control character U+001B; remove it');
    expect(r.names.sort()).toEqual(['Good Co', 'Tabbed\tName']);
  }, 30_000);
});
