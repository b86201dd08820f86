// `npx tsx bench/handover.ts`: how long one /handover of a whole large book holds
// SQLite's write lock. The command runs in one transaction (a command is all or
// nothing); this measures the whole command through the real engine, an upper
// bound of the time its transaction holds the lock.
//
//   BENCH_HANDOVER_ACCOUNTS=5000  accounts @zhang owns (1 in 20 strategic, 4 contacts each)
//   BENCH_HANDOVER_COMPLAINTS=300 open complaints on them
//   BENCH_HANDOVER_ROUNDS=5       handovers measured (back and forth)
import { performance } from 'node:perf_hooks';
import { commands } from '../handlers/index.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { Engine } from '../src/engine/engine.js';
import { importCsv } from '../src/io/cli.js';
import { accountName, fmt, int, latency, NOW, table, tierOf, TIMEZONE, withTempDb } from './lib.js';

const ACCOUNTS = int('BENCH_HANDOVER_ACCOUNTS', 5_000, 1);
const COMPLAINTS = int('BENCH_HANDOVER_COMPLAINTS', 300);
const ROUNDS = int('BENCH_HANDOVER_ROUNDS', 5, 1);

await withTempDb('steward-bench-handover-', async (db) => {
  const engine = new Engine({ db, commands, defaults: { locale: 'en', timezone: TIMEZONE }, clock: () => NOW });
  const run = async (text: string, user = 'alice') => {
    const started = performance.now();
    const out = await engine.handle({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user), text }, async (m) => shellUser(m));
    const ms = performance.now() - started;
    if (out.reply.tone === 'error') throw new Error(`${text}: ${JSON.stringify(out.reply.title)}`);
    return ms;
  };
  await run('/steward whoami'); // alice speaks first: the workspace's admin
  const names = Array.from({ length: ACCOUNTS }, (_, i) => accountName(i));
  const accountsCsv = ['name,tier,owner', ...names.map((n, i) => `${n},${tierOf(i)},zhang`)].join('\n');
  const strategic = names.filter((_, i) => tierOf(i) === 'strategic');
  const contactsCsv = [
    'account,name,level',
    ...strategic.flatMap((n) => ['executive', 'decision-maker', 'manager', 'operator'].map((level, k) => `${n},Contact ${k} of ${n},${level}`)),
  ].join('\n');
  const opts = { actor: 'alice', now: NOW, timezone: TIMEZONE };
  if (importCsv(db, 'accounts', accountsCsv, opts).errors.length) throw new Error('accounts did not import');
  if (importCsv(db, 'contacts', contactsCsv, opts).errors.length) throw new Error('contacts did not import');
  await run('/steward whoami', 'wang');
  for (let i = 0; i < COMPLAINTS; i++) await run(`/complaint "${names[(i * 7) % ACCOUNTS]}" severity:medium Late delivery ${i}`, 'zhang');

  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) times.push(await run(r % 2 === 0 ? '/handover @zhang @wang' : '/handover @wang @zhang'));
  const single: number[] = [];
  for (let r = 0; r < 20; r++)
    single.push(await run(r % 2 === 0 ? `/handover @${ROUNDS % 2 ? 'wang' : 'zhang'} @li "${names[r]}"` : `/handover @li @${ROUNDS % 2 ? 'wang' : 'zhang'} "${names[r - 1]}"`));
  // The floor: the same book moved by hand in one transaction, plain SQL, nothing else (no checklist, no events, no reply).
  const floor: number[] = [];
  const [zhang, wang] = ['zhang', 'wang'].map((u) => (db.$client.prepare('select id from members where platform_user_id = ?').get(u) as { id: number }).id);
  const holder = ROUNDS % 2 ? wang! : zhang!;
  for (let r = 0; r < ROUNDS; r++) {
    const [a, b] = r % 2 === 0 ? [holder, zhang === holder ? wang! : zhang!] : [zhang === holder ? wang! : zhang!, holder];
    const started = performance.now();
    db.$client
      .transaction(() => {
        db.$client.prepare("update accounts set owner_id = ?, owner_gone_at = null, updated_at = ? where owner_id = ? and status = 'active'").run(b, NOW.getTime(), a);
        db.$client.prepare("update complaints set owner_id = ? where owner_id = ? and status = 'open'").run(b, a);
      })
      .immediate();
    floor.push(performance.now() - started);
  }
  const whole = latency(times);
  const one = latency(single);
  console.log(
    `/handover of ${fmt(ACCOUNTS)} accounts (${fmt(strategic.length)} strategic, ${fmt(strategic.length * 4)} meetings listed, ${fmt(COMPLAINTS)} open complaints), whole command through the engine:`,
  );
  console.log(
    table([
      ['handover', 'runs', 'p50 ms', 'max ms'],
      ['whole book', String(whole.n), fmt(whole.p50, 1), fmt(Math.max(...times), 1)],
      ['one account', String(one.n), fmt(one.p50, 1), fmt(Math.max(...single), 1)],
      ['floor: plain UPDATEs of the same rows', String(floor.length), fmt(latency(floor).p50, 1), fmt(Math.max(...floor), 1)],
    ]),
  );
  console.log(`whole book / floor (p50): ${fmt(whole.p50 / latency(floor).p50, 1)}x`);
});
