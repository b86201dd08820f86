// `steward backup` (db/backup.ts, src/io/backup.ts): a book made by real commands copied while
// another connection keeps writing (the copy is one consistent snapshot: integrity ok, and each
// batch of writes is in it whole or not at all); restored as README says (copy over the book, remove
// -wal and -shm), the book reads the snapshot's rows; an existing file is refused, a missing folder
// named; a failure mid-copy leaves nothing under the final name.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backupBook, BackupError } from '../db/backup.js';
import { closeDb, openDb } from '../db/index.js';
import { main } from '../src/io/cli.js';
import { harness, type Harness } from './harness.js';
import { cst, kit } from './kit.js';

const dirs: string[] = [];
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'steward-backup-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let h: Harness;
afterEach(() => h?.close());
const { ok } = kit(() => h);

async function book(): Promise<Harness> {
  h = harness({ locale: 'zh-CN', now: cst('2026-09-01T10:00'), dir: folder() });
  await ok('/steward whoami', 'alice');
  await ok('/steward whoami', 'zhang');
  await ok('/account add Acme tier:strategic owner:@zhang revenue:2m');
  await ok('/account add 华东化工 tier:strategic owner:@王芳 revenue:300万 industry:化工');
  await ok('/contact 华东化工 add 吴刚 title:采购总监 level:decision-maker');
  await ok('/touch 华东化工 visit to:吴刚 拜访采购部', '王芳');
  await ok('/complaint 华东化工 severity:critical category:quality 批次质量问题', '王芳');
  return h;
}

/** Every row of every table of the SQLite file, in rowid order. */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

function sink() {
  const chunks: string[] = [];
  return Object.assign({ write: (c: string) => (chunks.push(c), true) }, { chunks }) as unknown as NodeJS.WriteStream & { chunks: string[] };
}
async function command(argv: string[], book: string) {
  process.env.STEWARD_DB = book;
  try {
    const io = { stdout: sink(), stderr: sink() };
    const code = await main(['backup', ...argv], io);
    return { code, out: io.stdout.chunks.join(''), err: io.stderr.chunks.join('') };
  } finally {
    delete process.env.STEWARD_DB;
  }
}

describe('steward backup', () => {
  it('copies a book while another connection writes: integrity ok, each batch of writes whole or absent', async () => {
    await book();
    const BATCH = 7;
    const writer = h.db.$client;
    const insert = writer.prepare('INSERT INTO seen_requests (key, expires_at) VALUES (?, ?)');
    const batch = writer.transaction((n: number) => {
      for (let i = 0; i < BATCH; i++) insert.run(`请求-${n}-${i}`, Date.now());
    });
    for (let n = 0; n < 50; n++) batch(n); // pages enough for many one-page steps
    const base = writer.prepare('SELECT count(*) FROM seen_requests').pluck().get() as number;
    let steps = 0;
    let written = 0;
    const dest = join(folder(), 'copy.db');
    // Between the backup's steps, the Steward connection commits a batch (the first 20 steps): SQLite restarts the copy.
    const r = await backupBook(h.file, dest, {
      pagesPerStep: 1,
      onProgress: () => {
        if (steps++ < 20) batch(1000 + written++);
      },
    });
    expect(written).toBe(20);
    expect(r.pages).toBeGreaterThan(1);
    const copied = r.rows.seen_requests!;
    expect((copied - base) % BATCH).toBe(0);
    expect(copied).toBeGreaterThanOrEqual(base);
    expect(copied).toBeLessThanOrEqual(base + written * BATCH);
    // The checked copy is the file under its final name, alone in its folder.
    expect(readdirSync(join(dest, '..'))).toEqual(['copy.db']);
    const again = new Database(dest, { readonly: true });
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    again.close();
  });

  it('restored as README says, the book reads the rows of the backup, Chinese text included', async () => {
    await book();
    const dest = join(folder(), 'book.backup');
    const r = await command([dest], h.file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/accounts\s+2\n/);
    expect(r.out).toMatch(/integrity ok/);
    const snapshot = dump(dest);
    expect(JSON.stringify(snapshot.touchpoints)).toContain('拜访采购部');
    await ok('/account add 北方物流 tier:key owner:@王芳'); // after the backup: the restore takes it away
    // Restore: stop Steward, copy the backup over the book, remove its -wal and -shm, start.
    h.close();
    copyFileSync(dest, h.file);
    for (const f of [`${h.file}-wal`, `${h.file}-shm`]) rmSync(f, { force: true });
    const db = openDb(h.file);
    try {
      expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.$client.prepare('SELECT name FROM accounts ORDER BY id').pluck().all()).toEqual(['Acme', '华东化工']);
    } finally {
      closeDb(db);
    }
    expect(dump(h.file)).toEqual(snapshot);
  });

  it('refuses an existing file unless --force, and names a missing folder', async () => {
    await book();
    const dir = folder();
    const dest = join(dir, 'exists.db');
    writeFileSync(dest, 'mine');
    const refused = await command([dest], h.file);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`${dest} already exists`);
    expect(readdirSync(dir)).toEqual(['exists.db']);
    const forced = await command([dest, '--force'], h.file);
    expect(forced.code).toBe(0);
    expect(dump(dest).accounts).toHaveLength(2);

    const missing = await command([join(dir, 'no-such-folder', 'b.db')], h.file);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`the folder ${join(dir, 'no-such-folder')} does not exist`);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);

    expect((await command([], h.file)).code).toBe(2);
  });

  it('with DATABASE_URL set, refuses with one line naming pg_dump, and writes nothing', async () => {
    const dest = join(folder(), 'b.db');
    process.env.DATABASE_URL = 'postgres://steward@db.invalid/steward';
    try {
      const r = await command([dest], h.file);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/the book is in PostgreSQL: back it up with pg_dump/);
      expect(existsSync(dest)).toBe(false);
    } finally {
      delete process.env.DATABASE_URL;
    }
  });

  it('a failure leaves no file under the final name', async () => {
    await book();
    const dir = folder();
    // A destination whose parent is a file.
    writeFileSync(join(dir, 'plain'), 'x');
    const under = await command([join(dir, 'plain', 'b.db')], h.file);
    expect(under.code).toBe(2);
    expect(under.err).toContain('is not a folder');
    // A failure mid-copy (thrown between two steps): neither the final name nor the temporary one remains.
    const dest = join(dir, 'half.db');
    let steps = 0;
    const seen: boolean[] = []; // whether the final name exists while the copy is under way (a crash there would leave it)
    await expect(
      backupBook(h.file, dest, {
        pagesPerStep: 1,
        onProgress: () => {
          seen.push(existsSync(dest));
          if (++steps === 3) throw new Error('disk gone');
        },
      }),
    ).rejects.toThrow(BackupError);
    expect(seen).toEqual([false, false, false]);
    expect(readdirSync(dir)).toEqual(['plain']);
  });
});
