// `steward backup <file> [--force]`: a copy of the SQLite book (STEWARD_DB) taken
// while Steward runs (db/backup.ts: SQLite's online backup, checked, renamed when
// complete). Exit code 0 copied and checked, 2 a usage, configuration or file problem.
// A PostgreSQL book is backed up with PostgreSQL's own tools (pg_dump).
import { parseArgs } from 'node:util';
import { backupBook, BackupError } from '../../db/backup.js';

const BACKUP_USAGE = `usage: steward backup <file> [--force]

Copies the SQLite book (STEWARD_DB) into <file> while Steward may go on
running: one consistent snapshot, written beside <file> under a temporary name
and renamed once SQLite's integrity check of the copy says ok. An existing
<file> is refused unless --force. For a PostgreSQL book use pg_dump.`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `configuredBook` gives STEWARD_DB (src/io/cli.ts); it throws a configuration problem as a one-line error. */
export async function runBackup(argv: string[], io: Io, configuredBook: () => string): Promise<number> {
  let file: string;
  let force: boolean;
  try {
    const parsed = parseArgs({ args: argv, options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (parsed.values.help) {
      io.stdout.write(`${BACKUP_USAGE}\n`);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new Error(parsed.positionals.length ? `unexpected argument ${JSON.stringify(parsed.positionals[1])}` : 'backup: which file?');
    file = parsed.positionals[0]!;
    force = parsed.values.force ?? false;
  } catch (e) {
    io.stderr.write(`steward: ${(e as Error).message}\n${BACKUP_USAGE}\n`);
    return 2;
  }
  try {
    let book: string;
    try {
      book = configuredBook();
    } catch (e) {
      throw new BackupError((e as Error).message);
    }
    if (/^postgres(?:ql)?:\/\//.test(book)) throw new BackupError('the book is in PostgreSQL: back it up with pg_dump (README: Backing up)');
    const r = await backupBook(book, file, { force });
    const tables = Object.entries(r.rows);
    const width = Math.max(...tables.map(([t]) => t.length));
    io.stdout.write(`${tables.map(([t, n]) => `${t.padEnd(width)}  ${String(n).padStart(8)}`).join('\n')}\n`);
    io.stdout.write(`backed up ${book} to ${file}: ${r.pages} pages, ${(r.bytes / 1024 / 1024).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s; integrity ok\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`steward: ${(e as Error).message}\n`);
    return 2;
  }
}
