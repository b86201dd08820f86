// `npx tsx bench/handover.ts`: how long a /handover of a whole large book holds SQLite's write
// lock. A small handover is one transaction; a large one validates, counts and lists its checklist
// in the command's transaction (recording the job), then moves the book a batch per transaction
// (src/domain/handovers.ts). Each transaction is timed from before BEGIN IMMEDIATE to after its
// COMMIT (the command's parse and reply included: an upper bound of its hold). Measured in one
// run, on the same book, back and forth: the batched handover ("new") beside the whole command in
// one transaction ("old": the same engine with a batch larger than the book).
//
//   BENCH_HANDOVER_SIZES=5000,20000  accounts @zhang owns (1 in 20 strategic, 4 contacts each), one book per size
//   BENCH_HANDOVER_COMPLAINTS=300    open complaints per 5 000 accounts
//   BENCH_HANDOVER_ROUNDS=6          handovers measured per size, new and old in turn (after one of each not measured)
//   BENCH_HANDOVER_BATCH             accounts per transaction (HANDOVER_BATCH)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { commands } from '../handlers/index.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { HANDOVER_BATCH } from '../src/domain/handovers.js';
import { Engine } from '../src/engine/engine.js';
import { importCsv } from '../src/io/cli.js';
import { accountName, fmt, int, ints, median, NOW, table, tierOf, TIMEZONE, withTempDb } from './lib.js';

const SIZES = ints('BENCH_HANDOVER_SIZES', [5_000, 20_000]);
const COMPLAINTS = int('BENCH_HANDOVER_COMPLAINTS', 300);
const ROUNDS = int('BENCH_HANDOVER_ROUNDS', 6, 1);
const BATCH = int('BENCH_HANDOVER_BATCH', HANDOVER_BATCH, 1);

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Run {
  /** Each write transaction's hold (ms), the command's first. */
  holds: number[];
  /** The CPU time of each (ms): what the machine's load does not stretch. */
  cpu: number[];
  /** From the command to the last batch's commit (ms), the event loop's turns between batches included. */
  wall: number;
}

async function measure(accounts: number): Promise<void> {
  await withTempDb('steward-bench-handover-', async (db) => {
    const defaults = { locale: 'en' as const, timezone: TIMEZONE };
    const engine = new Engine({ db, commands, defaults, clock: () => NOW, handover: { batch: BATCH } });
    // The same engine as before batches: a batch larger than any book, so every handover is one transaction.
    const whole = new Engine({ db, commands, defaults, clock: () => NOW, handover: { batch: Number.MAX_SAFE_INTEGER } });
    const run = async (text: string, user = 'alice') => {
      const out = await engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user), text }, async (m) => shellUser(m));
      if (out.reply.tone === 'error') throw new Error(`${text}: ${JSON.stringify(out.reply.title)}`);
    };
    await run('/steward whoami'); // alice speaks first: the workspace's admin
    const names = Array.from({ length: accounts }, (_, i) => accountName(i));
    const accountsCsv = ['name,tier,owner', ...names.map((n, i) => `${n},${tierOf(i)},zhang`)].join('\n');
    const strategic = names.filter((_, i) => tierOf(i) === 'strategic');
    const contactsCsv = [
      'account,name,level',
      ...strategic.flatMap((n) => ['executive', 'decision-maker', 'manager', 'operator'].map((level, k) => `${n},Contact ${k} of ${n},${level}`)),
    ].join('\n');
    const opts = { actor: 'alice', now: NOW, timezone: TIMEZONE };
    if ((await importCsv(db, 'accounts', accountsCsv, opts)).errors.length) throw new Error('accounts did not import');
    if ((await importCsv(db, 'contacts', contactsCsv, opts)).errors.length) throw new Error('contacts did not import');
    await run('/steward whoami', 'wang');
    const complaints = Math.round((COMPLAINTS * accounts) / 5_000);
    for (let i = 0; i < complaints; i++) await run(`/complaint "${names[(i * 7) % accounts]}" severity:medium Late delivery ${i}`, 'zhang');

    const mentions = { '@zhang': shellUser('zhang'), '@wang': shellUser('wang') };
    /** One handover, each of its transactions timed; the rest finished as the engine thread does, a batch per turn. */
    const handOver = async (e: Engine, text: string): Promise<Run> => {
      const cpuMs = (since: NodeJS.CpuUsage) => {
        const used = process.cpuUsage(since);
        return (used.user + used.system) / 1000;
      };
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const [out] = await e.handleAll([{ incoming: { platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text }, mentions }]);
      const holds = [performance.now() - started];
      const cpu = [cpuMs(cpu0)];
      if (out!.reply.tone === 'error') throw new Error(`${text}: ${JSON.stringify(out!.reply.title)}`);
      if (e.takeUnfinished())
        for (;;) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          const t = performance.now();
          const c = process.cpuUsage();
          if (!(await e.finishStep())) break;
          holds.push(performance.now() - t);
          cpu.push(cpuMs(c));
        }
      return { holds, cpu, wall: performance.now() - started };
    };
    const runs: Record<'new' | 'old', Run[]> = { new: [], old: [] };
    // Two rounds first, one of each, not counted: V8 compiles the hot paths.
    for (let r = -2; r < ROUNDS; r++) {
      const mode = r % 2 === 0 ? 'new' : 'old';
      const one = await handOver(mode === 'new' ? engine : whole, r % 2 === 0 ? '/handover @zhang @wang' : '/handover @wang @zhang');
      if (r >= 0) runs[mode].push(one);
    }
    // The floor: the same book moved by hand in one transaction, plain SQL, nothing else (no checklist, no events, no reply).
    const floor: number[] = [];
    const [zhang, wang] = ['zhang', 'wang'].map((u) => (db.$client.prepare('select id from members where platform_user_id = ?').get(u) as { id: number }).id);
    for (let r = 0; r < ROUNDS; r++) {
      const [a, b] = r % 2 === 0 ? [zhang!, wang!] : [wang!, zhang!];
      const started = performance.now();
      db.$client
        .transaction(() => {
          db.$client.prepare("update accounts set owner_id = ?, owner_gone_at = null, updated_at = ? where owner_id = ? and status = 'active'").run(b, NOW.getTime(), a);
          db.$client.prepare("update complaints set owner_id = ? where owner_id = ? and status = 'open'").run(b, a);
        })
        .immediate();
      floor.push(performance.now() - started);
    }
    /** A batch's figure, the command's own transaction left out: its median over the runs (none: a dash). */
    const x1 = (xs: number[]) => (xs.some((x) => x > 0) ? fmt(median(xs), 1) : '-');
    const row = (label: string, rs: Run[]) => {
      const longest = rs.map((x) => Math.max(...x.holds));
      return [
        label,
        String(rs.length),
        fmt(median(rs.map((x) => x.holds.length))),
        fmt(median(rs.map((x) => x.holds[0]!)), 1),
        fmt(median(rs.map((x) => x.cpu[0]!)), 1),
        fmt(median(longest), 1),
        fmt(Math.max(...longest), 1),
        fmt(median(rs.map((x) => Math.max(...x.cpu))), 1),
        x1(rs.map((x) => Math.max(0, ...x.holds.slice(1)))),
        x1(rs.map((x) => Math.max(0, ...x.cpu.slice(1)))),
        fmt(median(rs.map((x) => x.holds.reduce((s, h) => s + h, 0))), 1),
        fmt(median(rs.map((x) => x.wall)), 1),
      ];
    };
    console.log(
      `\n/handover of ${fmt(accounts)} accounts (${fmt(strategic.length)} strategic, ${fmt(strategic.length * 4)} meetings listed, ${fmt(complaints)} open complaints); load average ${load()}:`,
    );
    console.log(
      table([
        [
          'handover',
          'runs',
          'transactions',
          "command's tx ms (p50)",
          'its CPU ms (p50)',
          'longest hold ms (p50)',
          'longest hold ms (max)',
          'longest CPU ms (p50)',
          'longest batch ms (p50)',
          'its CPU ms (p50)',
          'held in all ms (p50)',
          'to the last commit ms (p50)',
        ],
        row(`new: batches of ${fmt(BATCH)} accounts`, runs.new),
        row('old: one transaction', runs.old),
        [
          'floor: plain UPDATEs of the same rows',
          String(floor.length),
          '1',
          '',
          '',
          fmt(median(floor), 1),
          fmt(Math.max(...floor), 1),
          '',
          '',
          '',
          fmt(median(floor), 1),
          fmt(median(floor), 1),
        ],
      ]),
    );
    const longest = (rs: Run[]) => median(rs.map((x) => Math.max(...x.holds)));
    const cpu = (rs: Run[]) => median(rs.map((x) => Math.max(...x.cpu)));
    console.log(
      `longest hold, new / old (p50): ${fmt(longest(runs.new) / longest(runs.old), 2)}x (its CPU time: ${fmt(cpu(runs.new) / cpu(runs.old), 2)}x); old / floor: ${fmt(longest(runs.old) / median(floor), 1)}x`,
    );
  });
}

for (const size of SIZES) await measure(size);
console.log(`\nload average at the end: ${load()}`);
