// A real SQLite file per test, the real engine and handlers, and a clock the test moves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDatabase, closeDb, engineOf, openDatabase, openDb, type Db } from '../db/index.js';
import type { Locale } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { Engine, type Outcome } from '../src/engine/engine.js';
import { renderText } from '../src/engine/render-text.js';

export const TEST_NOW = new Date('2026-11-23T02:00:00Z'); // Monday 10:00 in Asia/Shanghai

export interface Harness {
  db: Db;
  file: string;
  engine: Engine;
  now: Date;
  /** Runs one command as `user` (the first user to speak becomes admin). */
  run(text: string, user?: string): Promise<Outcome & { text: string }>;
  /** Every row of every table, to prove a failed command changed nothing (SQLite only). */
  snapshot(): string;
  close(): void;
}

type HarnessOptions = { locale?: Locale; timezone?: string; now?: Date; dir?: string };

export function harness(opts: HarnessOptions = {}): Harness {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'steward-test-'));
  const file = join(dir, 'steward.db');
  return harnessOf(openDb(file), file, dir, opts);
}

/**
 * The same harness on either engine: `{ url }` a PostgreSQL database (test/pg.ts makes a fresh one; openDatabase
 * migrates it), otherwise a SQLite file as {@link harness}. Close a PostgreSQL one with `closeAsync`.
 */
export async function harnessOn(at: { url: string } | { sqlite: true }, opts: HarnessOptions = {}): Promise<Harness & { closeAsync(): Promise<void> }> {
  if ('sqlite' in at) {
    const h = harness(opts);
    return Object.assign(h, { closeAsync: async () => h.close() });
  }
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'steward-test-'));
  const h = harnessOf(await openDatabase(at), at.url, dir, opts);
  return Object.assign(h, {
    async closeAsync() {
      await closeDatabase(h.db);
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  });
}

function harnessOf(db: Db, file: string, dir: string, opts: HarnessOptions): Harness {
  const h: Harness = {
    db,
    file,
    now: opts.now ?? TEST_NOW,
    engine: undefined as unknown as Engine,
    async run(text, user = 'alice') {
      const out = await h.engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user), text }, async (m) => shellUser(m));
      return { ...out, text: renderText(out.reply) };
    },
    snapshot() {
      if (engineOf(db) !== 'sqlite') throw new Error('snapshot() reads SQLite');
      const tables = db.$client.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name").all() as {
        name: string;
      }[];
      return JSON.stringify(tables.map(({ name }) => [name, db.$client.prepare(`select * from "${name}" order by rowid`).all()]));
    },
    close() {
      if (engineOf(db) !== 'sqlite') throw new Error('a PostgreSQL harness closes with closeAsync()');
      closeDb(db);
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  h.engine = new Engine({ db, commands, defaults: { locale: opts.locale ?? 'en', timezone: opts.timezone ?? 'Asia/Shanghai' }, clock: () => h.now });
  return h;
}
