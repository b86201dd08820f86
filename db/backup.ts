// A copy of a SQLite book while Steward may be writing to it: SQLite's online
// backup (better-sqlite3's `db.backup`), which restarts on its own when another
// connection writes between its steps, so the copy is one consistent snapshot.
// It is written to a temporary name beside the destination, checked, then renamed:
// a half-written copy never has the final name.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackupResult {
  pages: number;
  bytes: number;
  ms: number;
  /** Each table's rows in the copy, by name. */
  rows: Record<string, number>;
}

export interface BackupOptions {
  force?: boolean;
  /** Called after each step with the pages copied so far and the total (a test's way to fail mid-copy: throw). */
  onProgress?: (done: number, total: number) => void;
  /** Pages per step (SQLite's backup step). */
  pagesPerStep?: number;
}

/** Opens the copy read-only: integrity_check must say ok; returns each table's rows. */
export function checkCopy(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('integrity_check') as { integrity_check: string }[];
    if (check.length !== 1 || check[0]!.integrity_check !== 'ok') {
      throw new BackupError(`the copy fails SQLite's integrity check: ${check.map((r) => r.integrity_check).join('; ')}`);
    }
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const rows: Record<string, number> = {};
    for (const t of tables)
      rows[t] = db
        .prepare(`SELECT count(*) FROM "${t.replaceAll('"', '""')}"`)
        .pluck()
        .get() as number;
    return rows;
  } finally {
    db.close();
  }
}

/** Copies the book at `source` to `dest` (refused when it exists, unless `force`), checks the copy, then gives it its name. */
export async function backupBook(source: string, dest: string, opts: BackupOptions = {}): Promise<BackupResult> {
  if (!existsSync(source)) throw new BackupError(`no book at ${source}`);
  const folder = dirname(dest);
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    throw new BackupError(`the folder ${folder} does not exist: create it first`);
  }
  if (!isDir) throw new BackupError(`${folder} is not a folder`);
  if (existsSync(dest) && !opts.force) throw new BackupError(`${dest} already exists: choose another name, or --force to replace it`);
  const temp = join(folder, `.${basename(dest)}.partial-${process.pid}`);
  const started = performance.now();
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    let pages = 0;
    await db.backup(temp, {
      progress: ({ totalPages, remainingPages }) => {
        pages = totalPages;
        opts.onProgress?.(totalPages - remainingPages, totalPages);
        return opts.pagesPerStep ?? 1000;
      },
    });
    // The pages carry the book's WAL mode: the copy becomes one self-contained file (Steward turns WAL back on when it opens it).
    const copy = new Database(temp, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const rows = checkCopy(temp);
    renameSync(temp, dest);
    return { pages, bytes: statSync(dest).size, ms: performance.now() - started, rows };
  } catch (e) {
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`, `${temp}-journal`]) rmSync(f, { force: true });
    if (e instanceof BackupError) throw e;
    throw new BackupError(`the backup failed, ${dest} was not written: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}
