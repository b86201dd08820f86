// `npm run bench`: commands per second through the real engine on a large book,
// beside a raw SQLite baseline that inserts the same rows with plain prepared
// statements. Reports figures only; there are no pass/fail thresholds.
//
//   BENCH_COMMANDS=3000  measured commands (after BENCH_WARMUP=300 warm-up ones)
//   BENCH_ACCOUNTS=10000 BENCH_TOUCHPOINTS=200000  size of the seeded book
//   BENCH_KEEP=1         keep the temp SQLite file (its path is printed)
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/index.js';
import { commands } from '../handlers/index.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { normalize } from '../src/domain/text.js';
import { Engine } from '../src/engine/engine.js';
import { plain } from '../src/engine/reply.js';
import { accountName, DAY, fmt, INDUSTRIES, int, latency as lat, NOTES, NOW, percentile, picker, rng, table, tierOf, TIMEZONE, TOUCH_KINDS, withTempDb } from './lib.js';

const ACCOUNTS = int('BENCH_ACCOUNTS', 10_000);
const TOUCHPOINTS = int('BENCH_TOUCHPOINTS', 200_000);
const COMMANDS = int('BENCH_COMMANDS', 3_000);
const WARMUP = int('BENCH_WARMUP', 300);

// Fixed clock (NOW) and seeded randomness: two runs do the same work.
const random = rng(42);
const pick = picker(random);

const REGIONS = ['East', 'North', 'South', 'West', 'Central'];
const SURNAMES = ['Li', 'Wang', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu', 'Xu', 'Sun', 'Ma', 'Zhu', 'Hu', 'Guo', 'He', 'Gao', 'Lin', 'Luo'];
const GIVEN = ['Wei', 'Fang', 'Min', 'Jing', 'Lei', 'Yan', 'Jun', 'Hao', 'Lan', 'Ting', 'Feng', 'Yu', 'Qiang', 'Na', 'Bo', 'Xin'];
const CONTACT_SEATS = [
  { level: 'executive', title: 'COO', fn: 'operations' },
  { level: 'decision-maker', title: 'Logistics Director', fn: 'logistics' },
  { level: 'manager', title: 'Purchasing Manager', fn: 'purchasing' },
  { level: 'operator', title: 'Warehouse Supervisor', fn: 'warehouse' },
] as const;
const REPS = ['zhang', 'wang', 'li', 'zhao', 'sun', 'zhou', 'wu', 'qian'];
const COMPLAINTS = [
  ['high', 'damage', '3 pallets crushed on the Shanghai-Chengdu lane'],
  ['medium', 'delay', 'Two containers held at Ningbo port for four days'],
  ['critical', 'service', 'Driver refused to unload at the customer DC'],
  ['low', 'billing', 'Fuel surcharge billed twice on the October invoice'],
] as const;
const PROMISES = [
  'Send the cold-chain quote for the new warehouse',
  'Root-cause report on the crushed pallets',
  'Credit note for the duplicated surcharge',
  'Propose a dedicated line-haul schedule',
];

interface Book {
  names: string[];
  /** Contact names per account index. */
  contacts: string[][];
}

/** Seeds tenant, members, accounts, contacts and touchpoints with raw prepared statements in one transaction. */
function seed(db: Db): Book {
  const c = db.$client;
  const tenantId = Number(
    c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('shell', ?, 'Bench Logistics', 'en', ?)").run(SHELL_WORKSPACE, TIMEZONE)
      .lastInsertRowid,
  );
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function) values (?, ?, ?, ?, ?)');
  const insAccount = c.prepare(
    'insert into accounts (tenant_id, name, name_key, tier, owner_id, region, industry, annual_revenue, category_spend, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insContact = c.prepare('insert into contacts (tenant_id, account_id, name, name_key, title, level, function, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare(
    "insert into touchpoints (tenant_id, account_id, member_id, our_level, contact_id, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, 'shell', ?)",
  );
  const book: Book = { names: [], contacts: [] };
  c.transaction(() => {
    const memberIds: number[] = [];
    memberIds.push(Number(insMember.run(tenantId, 'bench', 'bench', 'admin', 'sales').lastInsertRowid));
    for (const r of REPS) memberIds.push(Number(insMember.run(tenantId, r, r, 'rep', 'sales').lastInsertRowid));
    memberIds.push(Number(insMember.run(tenantId, 'chen', 'chen', 'exec', 'executive').lastInsertRowid));
    const accountIds: number[] = [];
    const contactIds: number[][] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const name = accountName(i);
      const tier = tierOf(i);
      const revenue = Math.round(50_000 + random() * 2_000_000);
      const created = NOW.getTime() - 800 * DAY;
      const id = Number(
        insAccount.run(
          tenantId,
          name,
          normalize(name),
          tier,
          memberIds[1 + (i % REPS.length)]!,
          pick(REGIONS),
          INDUSTRIES[i % INDUSTRIES.length]!,
          revenue,
          revenue * (2 + random() * 4),
          created,
          created,
        ).lastInsertRowid,
      );
      accountIds.push(id);
      book.names.push(name);
      const seats = tier === 'standard' ? CONTACT_SEATS.slice(1, 3) : CONTACT_SEATS;
      const names: string[] = [];
      const ids: number[] = [];
      for (const [k, seat] of seats.entries()) {
        const person = `${SURNAMES[(i + k * 7) % SURNAMES.length]} ${GIVEN[(i * 3 + k) % GIVEN.length]}`;
        if (names.includes(person)) continue;
        names.push(person);
        ids.push(Number(insContact.run(tenantId, id, person, normalize(person), seat.title, seat.level, seat.fn, created).lastInsertRowid));
      }
      book.contacts.push(names);
      contactIds.push(ids);
    }
    for (let n = 0; n < TOUCHPOINTS; n++) {
      const a = Math.floor(random() * ACCOUNTS);
      const at = NOW.getTime() - Math.floor(random() * 730 * DAY) - DAY;
      const member = memberIds[1 + Math.floor(random() * REPS.length)]!;
      const contact = random() < 0.8 ? pick(contactIds[a]!) : null;
      insTouch.run(tenantId, accountIds[a]!, member, 'sales', contact, pick(TOUCH_KINDS), at, pick(NOTES), at);
    }
  })();
  c.pragma('optimize');
  return book;
}

type Kind = 'touch' | 'show' | 'complaint' | 'promise';
interface Cmd {
  kind: Kind;
  /** Whether the account name is quoted (`"Wuxi Retail 00042"`) or typed as plain words. */
  quoted: boolean;
  user: string;
  text: string;
}

/** The mix: mostly touchpoints and lookups, some complaints and promises; names quoted or typed in full. */
function makeMix(book: Book, n: number): Cmd[] {
  const out: Cmd[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.floor(random() * book.names.length);
    const name = book.names[a]!;
    const quoted = random() < 0.5;
    const typed = quoted ? `"${name}"` : name;
    const user = pick(REPS);
    const r = random();
    if (r < 0.45) {
      const contact = pick(book.contacts[a]!);
      const when = pick(['yesterday', 'today', '-3d', '2026-11-20']);
      out.push({ kind: 'touch', quoted, user, text: `/touch ${typed} ${pick(TOUCH_KINDS)} to:"${contact}" on:${when} ${pick(NOTES)}` });
    } else if (r < 0.75) {
      out.push({ kind: 'show', quoted, user, text: random() < 0.5 ? `/account ${typed}` : `/account show ${typed}` });
    } else if (r < 0.88) {
      const [sev, cat, summary] = pick(COMPLAINTS);
      out.push({ kind: 'complaint', quoted, user, text: `/complaint ${typed} severity:${sev} category:${cat} ${summary}` });
    } else {
      out.push({ kind: 'promise', quoted, user, text: `/promise ${typed} due:${pick(['+7d', '+14d', 'friday', '+1m'])} ${pick(PROMISES)}` });
    }
  }
  return out;
}

async function main(): Promise<void> {
  await withTempDb('steward-bench-', async (db, file) => {
    let t0 = performance.now();
    const book = seed(db);
    const seedMs = performance.now() - t0;
    const client = db.$client;
    const counted = (table: string) => (client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    console.log(
      `steward bench: ${fmt(counted('accounts'))} accounts, ${fmt(counted('contacts'))} contacts, ${fmt(counted('touchpoints'))} touchpoints seeded in ${fmt(seedMs / 1000, 1)} s (${file})`,
    );

    const engine = new Engine({ db, commands, defaults: { locale: 'en', timezone: TIMEZONE }, clock: () => NOW });
    const run = (cmd: Cmd) => engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(cmd.user), text: cmd.text }, async (m) => shellUser(m));

    // Warm-up: JIT, statement caches, page cache.
    for (const cmd of makeMix(book, WARMUP)) await run(cmd);

    const maxId = (table: string) => (client.prepare(`select coalesce(max(id), 0) as n from ${table}`).get() as { n: number }).n;
    const before = { touchpoints: maxId('touchpoints'), complaints: maxId('complaints'), promises: maxId('promises') };
    const mix = makeMix(book, COMMANDS);
    const latencies: Record<Kind, number[]> = { touch: [], show: [], complaint: [], promise: [] };
    const byStyle: Record<'quoted' | 'plain', number[]> = { quoted: [], plain: [] };
    const failures: string[] = [];
    t0 = performance.now();
    for (const cmd of mix) {
      const s = performance.now();
      const out = await run(cmd);
      const ms = performance.now() - s;
      latencies[cmd.kind].push(ms);
      byStyle[cmd.quoted ? 'quoted' : 'plain'].push(ms);
      if (!out.ok && failures.length < 5) failures.push(`${cmd.text} -> ${plain(out.reply.title ?? '')}`);
      else if (!out.ok) failures.push('');
    }
    const engineMs = performance.now() - t0;
    const engineOps = (COMMANDS / engineMs) * 1000;
    const writeMs = [...latencies.touch, ...latencies.complaint, ...latencies.promise].reduce((a, b) => a + b, 0);
    const writes = latencies.touch.length + latencies.complaint.length + latencies.promise.length;

    // The rows the measured commands wrote, read back to be inserted again by the baseline.
    const written = {
      touchpoints: client.prepare('select * from touchpoints where id > ? order by id').all(before.touchpoints) as Record<string, unknown>[],
      complaints: client.prepare('select * from complaints where id > ? order by id').all(before.complaints) as Record<string, unknown>[],
      promises: client.prepare('select * from promises where id > ? order by id').all(before.promises) as Record<string, unknown>[],
    };
    type Row = { table: keyof typeof written; row: Record<string, unknown> };
    const rows: Row[] = (['touchpoints', 'complaints', 'promises'] as const).flatMap((table) => written[table].map((row) => ({ table, row })));
    if (rows.length === 0) throw new Error('the measured commands wrote no rows; nothing to compare against');
    rows.sort((a, b) => Number(a.row.id) - Number(b.row.id)); // roughly the mix's order

    // Raw baseline: one plain prepared insert per transaction, the same count as engine commands,
    // cycling through the rows the engine wrote (reads like /account show write nothing of their own).
    const numberBase = { complaints: maxId('complaints') + 1_000_000, promises: maxId('promises') + 1_000_000 };
    const insert = {
      touchpoints: client.prepare(
        'insert into touchpoints (tenant_id, account_id, member_id, our_level, contact_id, kind, occurred_at, note, source_platform, source_ref, created_at) values (@tenant_id, @account_id, @member_id, @our_level, @contact_id, @kind, @occurred_at, @note, @source_platform, @source_ref, @created_at)',
      ),
      complaints: client.prepare(
        'insert into complaints (tenant_id, number, account_id, severity, category, summary, owner_id, reporter_id, status, opened_at, deadline_at) values (@tenant_id, @number, @account_id, @severity, @category, @summary, @owner_id, @reporter_id, @status, @opened_at, @deadline_at)',
      ),
      promises: client.prepare(
        'insert into promises (tenant_id, number, account_id, owner_id, text, due_on, status, created_at) values (@tenant_id, @number, @account_id, @owner_id, @text, @due_on, @status, @created_at)',
      ),
    };
    let seq = 0;
    const rawOne = client.transaction((r: Row) => {
      const { id: _id, ...values } = r.row;
      if (r.table !== 'touchpoints') values.number = numberBase[r.table] + seq++;
      insert[r.table].run(values);
    });
    const rawImmediate = (r: Row) => rawOne.immediate(r); // the engine's transactions are IMMEDIATE too
    for (let i = 0; i < Math.min(WARMUP, rows.length); i++) rawImmediate(rows[i]!);
    t0 = performance.now();
    for (let i = 0; i < COMMANDS; i++) rawImmediate(rows[i % rows.length]!);
    const rawMs = performance.now() - t0;
    const rawOps = (COMMANDS / rawMs) * 1000;

    const kinds: Kind[] = ['touch', 'show', 'complaint', 'promise'];
    const all = kinds.flatMap((k) => latencies[k]).sort((a, b) => a - b);

    console.log(`\n${fmt(COMMANDS)} commands after ${fmt(WARMUP)} warm-up, one SQLite file in WAL mode (synchronous=NORMAL), fixed clock\n`);
    console.log(
      table([
        ['path', 'ops', 'seconds', 'ops/s', 'ratio'],
        ['engine.handle, mixed commands', fmt(COMMANDS), fmt(engineMs / 1000, 2), fmt(engineOps), fmt(engineOps / rawOps, 3)],
        ['engine.handle, writes only', fmt(writes), fmt(writeMs / 1000, 2), fmt((writes / writeMs) * 1000), fmt(((writes / writeMs) * 1000) / rawOps, 3)],
        ['raw better-sqlite3 insert, 1 tx each', fmt(COMMANDS), fmt(rawMs / 1000, 2), fmt(rawOps), '1.000'],
      ]),
    );
    console.log('\nlatency per command (ms)\n');
    console.log(
      table([
        ['command', 'n', 'p50', 'p99'],
        ...kinds.map((k) => {
          const l = lat(latencies[k]);
          return [k === 'show' ? '/account show' : `/${k}`, fmt(l.n), fmt(l.p50, 2), fmt(l.p99, 2)];
        }),
        ['all', fmt(all.length), fmt(percentile(all, 50), 2), fmt(percentile(all, 99), 2)],
      ]),
    );
    console.log('\nlatency by how the account name is typed (ms)\n');
    console.log(
      table([
        ['account name', 'n', 'p50', 'p99', 'mean'],
        ...(['quoted', 'plain'] as const).map((k) => {
          const l = lat(byStyle[k]);
          const mean = byStyle[k].reduce((a, b) => a + b, 0) / Math.max(1, byStyle[k].length);
          return [k === 'quoted' ? '"quoted full name"' : 'plain words', fmt(l.n), fmt(l.p50, 2), fmt(l.p99, 2), fmt(mean, 2)];
        }),
      ]),
    );
    if (failures.length) console.log(`\n${failures.length} of ${COMMANDS} commands did not succeed, e.g.:\n  ${failures.filter(Boolean).join('\n  ')}`);
    console.log(`\ndatabase file after the run: ${fmt(statSync(file).size / 1_048_576, 1)} MiB\n`);
    console.log(
      JSON.stringify({
        bench: 'steward-commands',
        accounts: ACCOUNTS,
        touchpoints: TOUCHPOINTS,
        commands: COMMANDS,
        warmup: WARMUP,
        seedSeconds: +(seedMs / 1000).toFixed(2),
        engineOpsPerSec: +engineOps.toFixed(1),
        engineWriteOpsPerSec: +((writes / writeMs) * 1000).toFixed(1),
        rawOpsPerSec: +rawOps.toFixed(1),
        ratio: +(engineOps / rawOps).toFixed(4),
        failures: failures.length,
        latencyMs: Object.fromEntries(
          [
            ...kinds.map((k) => [k, lat(latencies[k])] as const),
            ['all', lat(all)] as const,
            ['quotedName', lat(byStyle.quoted)] as const,
            ['plainName', lat(byStyle.plain)] as const,
          ].map(([k, l]) => [k, { n: l.n, p50: +l.p50.toFixed(3), p99: +l.p99.toFixed(3) }]),
        ),
        node: process.version,
      }),
    );
  });
}

await main();
