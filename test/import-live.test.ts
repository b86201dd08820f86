// `steward import` beside a running server (issue 17, part 11): a 40 000-row
// touchpoints file imported while another connection keeps writing as commands
// do. The import must succeed every time, the writer's writes must never fail
// (it waits at most its busy timeout of 1 s, as a command's would), and the file
// is in the book whole or not at all.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { count, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, touchpoints } from '../db/schema.js';
import { importCsv } from '../src/io/cli.js';
import { harness, type Harness } from './harness.js';
import { cst } from './kit.js';

const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * A command-like writer on its own connection and thread: each "command" is an
 * IMMEDIATE transaction logging a touchpoint, stamping its account and writing
 * the audit row, with busy_timeout 1 s. Shared counters: [stop, commits, failures].
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const flag = new Int32Array(workerData.shared);
const touch = db.prepare("insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform) values (?, ?, ?, 'sales', 'call', ?, ?, 'shell')");
const stamp = db.prepare('update accounts set updated_at = ? where id = ?');
const audit = db.prepare("insert into audit_log (tenant_id, actor_id, action, entity, entity_id, at) values (?, ?, 'touch.log', 'touchpoint', ?, ?)");
const command = db.transaction((i) => {
  const at = Date.now();
  const t = touch.run(workerData.tenant, workerData.account, workerData.member, at - i, 'live ' + i);
  stamp.run(at, workerData.account);
  audit.run(workerData.tenant, workerData.member, Number(t.lastInsertRowid), at);
});
const errors = [];
let i = 0;
while (Atomics.load(flag, 0) === 0) {
  try {
    command.immediate(i++);
    Atomics.add(flag, 1, 1);
  } catch (e) {
    Atomics.add(flag, 2, 1);
    errors.push(String(e.code || e.message));
  }
  Atomics.wait(flag, 3, 0, 3);
}
db.close();
parentPort.postMessage(errors);
`;

let h: Harness;
afterEach(() => h?.close());

/** A small generator, so each seed gives another file. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function bigFile(seed: number, rows: number): string {
  const r = rng(seed);
  const names = ['Acme', 'Beta Trading', '华东化工', 'Delta'];
  const people = ['zhang', 'wang', '张伟', 'newrep'];
  const lines = ['account,member,kind,date,contact,note'];
  for (let i = 0; i < rows; i++) {
    const day = 1 + Math.floor(r() * 28);
    const month = 1 + Math.floor(r() * 10);
    lines.push(
      `${names[Math.floor(r() * names.length)]},${people[Math.floor(r() * people.length)]},${['visit', 'call', 'meeting'][i % 3]},2026-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')},,row ${i} of seed ${seed}`,
    );
  }
  return lines.join('\n');
}

async function book() {
  h = harness({ now: cst('2026-11-23T10:00') });
  for (const a of ['Acme', '"Beta Trading"', '华东化工', 'Delta']) expect((await h.run(`/account add ${a} owner:@zhang`)).ok).toBe(true);
  await h.run('/steward whoami', 'wang');
  await h.run('/steward whoami', '张伟');
}

async function beside<T>(work: () => Promise<T>): Promise<{ value: T; commitsDuring: number; errors: string[] }> {
  const shared = new SharedArrayBuffer(16);
  const flag = new Int32Array(shared);
  const account = (await h.db.select().from(accounts).get())!;
  const worker = new Worker(WRITER, { eval: true, workerData: { sqlite: SQLITE, file: h.file, shared, tenant: account.tenantId, account: account.id, member: account.ownerId } });
  const finished = new Promise<string[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  // The server is busy before the import starts.
  while (Atomics.load(flag, 1) < 20) await new Promise((r) => setTimeout(r, 5));
  const before = Atomics.load(flag, 1);
  let value: T;
  try {
    value = await work();
  } finally {
    Atomics.store(flag, 0, 1);
  }
  const commitsDuring = Atomics.load(flag, 1) - before;
  const errors = await finished;
  await worker.terminate();
  return { value, commitsDuring, errors };
}

const ROWS = 40_000;
const imported = async () => (await h.db.select({ n: count() }).from(touchpoints).where(eq(touchpoints.sourceRef, 'import')).get())!.n;

describe('steward import beside a running server', () => {
  for (const seed of [1, 2]) {
    it(`imports ${ROWS} rows while commands keep writing, and no command fails (seed ${seed})`, async () => {
      await book();
      const csv = bigFile(seed, ROWS);
      const { value: result, commitsDuring, errors } = await beside(() => importCsv(h.db, 'touchpoints', csv, { now: h.now }));
      expect(errors).toEqual([]);
      expect(result.errors).toEqual([]);
      expect(result.created + result.unchanged).toBe(ROWS);
      expect(await imported()).toBe(result.created);
      // The writer was writing while the file was imported, not only before and after it.
      expect(commitsDuring).toBeGreaterThan(0);
    }, 300_000);
  }

  it('a failure while writing the last rows leaves the book as it was', async () => {
    await book();
    // Ten batches: the failure comes after nine were written.
    const csv = bigFile(7, 5_000);
    const before = h.snapshot();
    const { value: thrown, errors } = await beside(async () => {
      try {
        await importCsv(h.db, 'touchpoints', csv, {
          now: h.now,
          onWritten: (written, total) => {
            if (written === total) throw new Error('disk full');
          },
        });
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(thrown).toBe('disk full');
    expect(errors).toEqual([]);
    expect(await imported()).toBe(0);
    // Only the writer's own rows were added: the members and touchpoints the file made are gone.
    const live = (s: string) => (JSON.parse(s) as [string, Record<string, unknown>[]][]).map(([t, rows]) => [t, t === 'members' ? rows.length : undefined]);
    expect(live(h.snapshot())).toEqual(live(before));
  }, 300_000);

  it('a bad row at the end of a big file is reported, and nothing of the file is written before every row was read', async () => {
    await book();
    const rows = 10_000;
    const csv = `${bigFile(9, rows)}\nAcme,zhang,lunch,2026-01-05,,bad kind at the end`;
    let writtenBeforeRead = -1;
    let read = 0;
    const result = await importCsv(h.db, 'touchpoints', csv, {
      now: h.now,
      onProgress: (done) => {
        read = done;
      },
      onWritten: () => {
        if (writtenBeforeRead < 0) writtenBeforeRead = read;
      },
    });
    expect(result.errors).toEqual([{ line: rows + 2, message: expect.stringContaining('kind: expected one of visit, call') }]);
    expect(writtenBeforeRead).toBe(rows + 1);
    expect(await imported()).toBe(result.created);
  }, 300_000);

  it('a command that adds an account the file also adds, while the file is read, makes the import read it again rather than fail', async () => {
    await book();
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
    const other = new Database(h.file);
    other.pragma('busy_timeout = 1000');
    const tenant = (await h.db.select().from(accounts).get())!.tenantId;
    let added = false;
    try {
      const result = await importCsv(h.db, 'accounts', 'name,tier,owner\nZeta Freight,key,zhang\nOmega Foods,standard,wang\n', {
        now: h.now,
        onProgress: (done, total) => {
          // A command (another connection) adds Zeta Freight after the import has read the book.
          if (done === total && !added) {
            other.prepare("insert into accounts (tenant_id, name, name_key, tier) values (?, 'Zeta Freight', 'zeta freight', 'standard')").run(tenant);
            added = true;
          }
        },
      });
      expect(result).toMatchObject({ created: 1, updated: 1, errors: [] });
    } finally {
      other.close();
    }
    const zeta = await h.db.select().from(accounts).where(eq(accounts.nameKey, 'zeta freight')).all();
    expect(zeta.map((a) => a.tier)).toEqual(['key']);
    expect(await h.db.select().from(accounts).where(eq(accounts.nameKey, 'omega foods')).all()).toHaveLength(1);
  });
});
