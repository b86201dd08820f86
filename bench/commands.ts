// `npx tsx bench/commands.ts`: in-process CPU per command (process.cpuUsage around
// N runs, after a warm-up) for /touch, /complaint, /promise, /account show, /risk
// and /digest through the real engine on a seeded temp database, and how many
// SQL statements each run compiles.
//
// Counting compilations: better-sqlite3 compiles a statement in
// `Database#prepare` and exposes no count, so this bench opens its database as
// a subclass of better-sqlite3's `Database` (its public, exported class) whose
// `prepare` counts and calls the inherited one; drizzle is given that client as
// it would be any other. Nothing of either library is replaced; the subclass
// exists only here, never in production code (db/index.ts opens a plain one).
// drizzle's `logger` option would not do: it logs every query run, prepared
// once or not.
//
//   BENCH_RUNS=600 BENCH_WARMUP=100  measured and warm-up runs per command
//   BENCH_BOOK_RUNS=40               runs of the whole-book reads (/risk, /digest), after 5 warm-up
//   BENCH_ACCOUNTS=2000 BENCH_TOUCHPOINTS=40000  size of the seeded book
//   BENCH_ONLY='/touch,/account show'  only these commands (names as in the table), to alternate builds quickly
//   BENCH_METRICS=1                  count each command in a Prometheus registry (src/metrics.ts), as
//                                    `npm start` does with METRICS_PORT set: run with 0 and 1 to compare
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { closeDb, type Db, openDb } from '../db/index.js';
import { commands } from '../handlers/index.js';
import { SHELL_WORKSPACE, shellUser } from '../src/chat/shell/shell.js';
import { normalize } from '../src/domain/text.js';
import { Engine } from '../src/engine/engine.js';
import { Metrics } from '../src/metrics.js';
import { accountName, DAY, fmt, int, KEEP, NOTES, NOW, rng, table, tierOf, TIMEZONE, TOUCH_KINDS } from './lib.js';

const RUNS = int('BENCH_RUNS', 600, 1);
const WARMUP = int('BENCH_WARMUP', 100);
const BOOK_RUNS = int('BENCH_BOOK_RUNS', 40, 1);
const ACCOUNTS = int('BENCH_ACCOUNTS', 2_000, 1);
const TOUCHPOINTS = int('BENCH_TOUCHPOINTS', 40_000);
const METRICS = int('BENCH_METRICS', 0) > 0;

/** Statements compiled on the database, by SQL text. */
const compiled = { n: 0, sql: new Map<string, number>() };

class CountingDatabase extends Database {
  // biome-ignore lint/complexity/noBannedTypes: the signature of better-sqlite3's own prepare, which this overrides
  override prepare<P extends unknown[] | {} = unknown[], R = unknown>(source: string): Database.Statement<P, R> {
    compiled.n++;
    compiled.sql.set(source, (compiled.sql.get(source) ?? 0) + 1);
    return super.prepare<P, R>(source);
  }
}

const REPS = ['zhang', 'wang', 'li', 'zhao', 'sun'];

/** Tenant, members (an admin, reps under a manager), accounts with two contacts each, touchpoints. */
function seed(db: Db): string[] {
  const random = rng(7);
  const c = db.$client;
  const tenantId = Number(
    c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('shell', ?, 'Bench Logistics', 'en', ?)").run(SHELL_WORKSPACE, TIMEZONE)
      .lastInsertRowid,
  );
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function, manager_id) values (?, ?, ?, ?, ?, ?)');
  const insAccount = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const insContact = c.prepare('insert into contacts (tenant_id, account_id, name, name_key, title, level, function, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare(
    "insert into touchpoints (tenant_id, account_id, member_id, our_level, contact_id, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, ?, ?, 'shell', ?)",
  );
  const names: string[] = [];
  c.transaction(() => {
    insMember.run(tenantId, 'bench', 'bench', 'admin', 'sales', null);
    const lead = Number(insMember.run(tenantId, 'lead', 'lead', 'rep', 'sales', null).lastInsertRowid);
    const reps = REPS.map((r) => Number(insMember.run(tenantId, r, r, 'rep', 'sales', lead).lastInsertRowid));
    const contactsOf: number[][] = [];
    const ids: number[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const name = accountName(i);
      const created = NOW.getTime() - 800 * DAY;
      const id = Number(insAccount.run(tenantId, name, normalize(name), tierOf(i), reps[i % reps.length]!, created, created).lastInsertRowid);
      ids.push(id);
      names.push(name);
      contactsOf.push([
        Number(insContact.run(tenantId, id, `Li ${i}`, normalize(`Li ${i}`), 'Director', 'decision-maker', 'logistics', created).lastInsertRowid),
        Number(insContact.run(tenantId, id, `Wang ${i}`, normalize(`Wang ${i}`), 'Manager', 'manager', 'purchasing', created).lastInsertRowid),
      ]);
    }
    for (let n = 0; n < TOUCHPOINTS; n++) {
      const a = Math.floor(random() * ACCOUNTS);
      const at = NOW.getTime() - Math.floor(random() * 400 * DAY) - DAY;
      const kind = TOUCH_KINDS[Math.floor(random() * TOUCH_KINDS.length)]!;
      insTouch.run(tenantId, ids[a]!, reps[a % reps.length]!, contactsOf[a]![n % 2]!, kind, at, NOTES[n % NOTES.length]!, at);
    }
  })();
  return names;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-bench-commands-'));
  const db = openDb(join(dir, 'bench.db'), CountingDatabase);
  try {
    const names = seed(db);
    const metrics = METRICS ? new Metrics({ db }) : undefined;
    const engine = new Engine({ db, commands, defaults: { locale: 'en', timezone: TIMEZONE }, clock: () => NOW, ...(metrics ? { metrics } : {}) });
    let i = 0;
    const account = () => names[(i++ * 7919) % names.length]!;
    // Each command as the rep who owns the account, so no permission refusal; /risk and /digest as the rep's lead.
    const owner = (name: string) => REPS[names.indexOf(name) % REPS.length]!;
    const cases: { name: string; book?: true; make: () => { user: string; text: string } }[] = [
      {
        name: '/touch',
        make: () => {
          const a = account();
          const n = names.indexOf(a);
          return { user: owner(a), text: `/touch "${a}" visit to:"Li ${n}" on:yesterday Walked the new warehouse` };
        },
      },
      {
        name: '/complaint',
        make: () => {
          const a = account();
          return { user: owner(a), text: `/complaint "${a}" severity:medium category:delay Two containers held at Ningbo port` };
        },
      },
      {
        name: '/promise',
        make: () => {
          const a = account();
          return { user: owner(a), text: `/promise "${a}" due:+14d Send the cold-chain quote` };
        },
      },
      {
        name: '/account show',
        make: () => {
          const a = account();
          return { user: owner(a), text: `/account show "${a}"` };
        },
      },
      { name: '/risk', book: true, make: () => ({ user: 'lead', text: '/risk' }) },
      { name: '/digest', book: true, make: () => ({ user: 'lead', text: '/digest' }) },
    ];
    const rows = [['command', 'runs', 'CPU ms/run', 'compiled/run']];
    const compiledSql: string[] = [];
    const only = process.env.BENCH_ONLY?.split(',');
    for (const c of cases.filter((k) => !only || only.includes(k.name))) {
      const run = async () => {
        const { user, text } = c.make();
        const out = await engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user), text }, async (m) => shellUser(m));
        if (out.reply.tone === 'error') throw new Error(`${text}: ${JSON.stringify(out.reply).slice(0, 300)}`);
      };
      const [runs, warmup] = c.book ? [BOOK_RUNS, Math.min(WARMUP, 5)] : [RUNS, WARMUP];
      for (let k = 0; k < warmup; k++) await run();
      compiled.n = 0;
      compiled.sql.clear();
      const cpu0 = process.cpuUsage();
      for (let k = 0; k < runs; k++) await run();
      const cpu = process.cpuUsage(cpu0);
      rows.push([c.name, fmt(runs), fmt((cpu.user + cpu.system) / 1000 / runs, 3), fmt(compiled.n / runs, 2)]);
      for (const [s, n] of compiled.sql) compiledSql.push(`${c.name} ×${n}: ${s.length > 160 ? `${s.slice(0, 160)}…` : s}`);
    }
    console.log(
      `${fmt(ACCOUNTS)} accounts, ${fmt(TOUCHPOINTS)} touchpoints; metrics ${METRICS ? 'on' : 'off'}; process.cpuUsage (user + system) over the measured runs, after warm-up\n`,
    );
    console.log(table(rows));
    if (compiledSql.length) console.log(`\nstatements compiled while measuring:\n${compiledSql.join('\n')}`);
    if (metrics) {
      // What counting adds to a command, alone (the runs above are too noisy to show it): the counter and the histogram.
      const calls = 200_000;
      const names = commands.map((c) => c.name);
      const cpu0 = process.cpuUsage();
      for (let k = 0; k < calls; k++) metrics.command(names[k % names.length], k % 5 ? 'ok' : 'refused', 0.001 + (k % 100) / 1000);
      const cpu = process.cpuUsage(cpu0);
      console.log(`\ncounting a command (steward_commands_total and steward_command_duration_seconds): ${fmt((cpu.user + cpu.system) / calls, 3)} µs CPU per command`);
    }
  } finally {
    closeDb(db);
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

await main();
