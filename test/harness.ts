// A real SQLite file per test, the real engine and handlers, and a clock the test moves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDb, openDb, type Db } from '../db/index.js';
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
  /** Every row of every table, to prove a failed command changed nothing. */
  snapshot(): string;
  close(): void;
}

export function harness(opts: { locale?: Locale; timezone?: string; now?: Date; dir?: string } = {}): Harness {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'steward-test-'));
  const file = join(dir, 'steward.db');
  const db = openDb(file);
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
      const tables = db.$client.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name").all() as {
        name: string;
      }[];
      return JSON.stringify(tables.map(({ name }) => [name, db.$client.prepare(`select * from "${name}" order by rowid`).all()]));
    },
    close() {
      closeDb(db);
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  h.engine = new Engine({ db, commands, defaults: { locale: opts.locale ?? 'en', timezone: opts.timezone ?? 'Asia/Shanghai' }, clock: () => h.now });
  return h;
}
