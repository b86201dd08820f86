// `npm run bench` (early warning): does account health see each churn story of
// ../shared/DOMAIN.md coming two months ahead, without crying wolf on a healthy book?
//
// Eight dated stories, each the nine-month life of one account ending in its loss, and a
// control book of healthy accounts with ordinary noise, replayed with Steward's real
// commands through the engine (test/harness.ts) on a fake clock, with the daily sweep.
// Health is read every Monday as /risk reads it (healthOf). Three months of ordinary care
// come first, so every account has a history when the nine months begin.
//
//   BENCH_CONTROLS=24   healthy accounts in the control book (at least 20)
//   BENCH_SEED=7        the control book's noise
//   BENCH_TRACE=1       print each account's Monday scores and main reason
import { DateTime } from 'luxon';
import { eq } from 'drizzle-orm';
import { accounts, pairings, tenants } from '../db/schema.js';
import { healthOf, type Band } from '../src/domain/health.js';
import { sweepTenant } from '../src/scheduler/sweep.js';
import { harness } from '../test/harness.js';
import { int, picker, rng, TIMEZONE } from './lib.js';
import { transact } from '../db/index.js';

const CONTROLS = int('BENCH_CONTROLS', 24, 1);
const TRACE = int('BENCH_TRACE', 0) === 1;
const random = rng(int('BENCH_SEED', 7));
const pick = picker(random);

/** 10:00 in Shanghai on a day, plus `hours`. */
const day = (iso: string, hours = 0) => DateTime.fromISO(`${iso}T10:00`, { zone: TIMEZONE }).plus({ hours }).toJSDate();
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000);
const iso = (d: Date) => DateTime.fromJSDate(d, { zone: TIMEZONE }).toISODate()!;

const START = day('2025-12-01'); // ordinary care begins
const WATCH_FROM = day('2026-03-02'); // the nine months begin
const END = day('2026-11-30');

const h = harness({ now: START });
type Event = { at: Date; run: () => Promise<void> };
const events: Event[] = [];
const on = (at: Date, run: () => Promise<unknown>) => events.push({ at, run: async () => void (await run()) });

/** Runs a command that must succeed; returns what it said. */
async function cmd(user: string, text: string): Promise<string> {
  const out = await h.run(text, user);
  if (!out.ok) throw new Error(`${iso(h.now)} ${user}: ${text}\n${out.text}`);
  return out.text;
}
/** Runs a command that opens a C-<n> or P-<n>; returns the reference. */
async function opens(user: string, text: string, prefix: 'C' | 'P'): Promise<string> {
  const said = await cmd(user, text);
  const ref = said.match(new RegExp(`${prefix}-\\d+`))?.[0];
  if (!ref) throw new Error(`${text}: no ${prefix}-<n> in\n${said}`);
  return ref;
}

// The team: li manages the reps, chen is the executive, ma runs operations.
const REPS = ['zhang', 'wang', 'zhao', 'sun', 'zhou', 'wu'];
const SURNAMES = ['Li', 'Wang', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu', 'Xu', 'Sun', 'Ma', 'Zhu', 'Hu', 'Guo'];
const GIVEN = ['Wei', 'Fang', 'Min', 'Jing', 'Lei', 'Yan', 'Jun', 'Hao', 'Lan', 'Ting', 'Feng', 'Yu', 'Qiang', 'Na', 'Bo', 'Xin'];
const CADENCE = { strategic: 14, key: 30, standard: 90 } as const;
type Tier = keyof typeof CADENCE;

interface Acct {
  name: string;
  tier: Tier;
  owner: string;
  /** Their people by level. */
  people: { executive: string; dm: string; manager: string; operator: string };
  /** Story accounts: when they are lost. */
  lostOn?: Date;
  story?: string;
}
const book: Acct[] = [];

function account(name: string, tier: Tier, owner: string, extra = '', story?: { title: string; lostOn: Date }): Acct {
  const names = new Set<string>();
  while (names.size < 4) names.add(`${pick(SURNAMES)} ${pick(GIVEN)}`);
  const [executive, dm, manager, operator] = [...names] as [string, string, string, string];
  const a: Acct = { name, tier, owner, people: { executive, dm, manager, operator }, lostOn: story?.lostOn, story: story?.title };
  book.push(a);
  on(START, async () => {
    await cmd('alice', `/account add "${name}" tier:${tier} owner:@${owner} ${extra}`);
    await h.db.update(accounts).set({ createdAt: h.now }).where(eq(accounts.name, name)).run();
    const levels =
      tier === 'standard' ? (['manager', 'operator'] as const) : tier === 'key' ? (['dm', 'manager', 'operator'] as const) : (['executive', 'dm', 'manager', 'operator'] as const);
    for (const l of levels) await cmd(owner, `/contact "${name}" add "${a.people[l]}" level:${l === 'dm' ? 'decision-maker' : l}`);
    if (tier === 'strategic') {
      await cmd('alice', `/pair "${name}" @chen every:90d`);
      await h.db.update(pairings).set({ createdAt: h.now }).run();
    }
  });
  return a;
}

/**
 * Ordinary care from `from` to `until`: the owner visits on the tier's cadence (the
 * decision-maker, or the manager of a standard account); operations calls their operator
 * monthly on strategic and key accounts; the paired executive meets theirs each quarter.
 * `skip(d)`: a visit that does not happen; `late(d)`: days a visit slips.
 */
function care(a: Acct, from: Date, until: Date, o: { owner?: string; skip?: (d: Date) => boolean; late?: (d: Date) => number; ops?: boolean; exec?: boolean } = {}) {
  const owner = o.owner ?? a.owner;
  const cadence = CADENCE[a.tier];
  const whom = a.tier === 'standard' ? a.people.manager : a.people.dm;
  for (let d = addDays(from, Math.floor(random() * 5)); d < until; d = addDays(d, cadence - 1 - Math.floor(random() * 3))) {
    if (o.skip?.(d)) continue;
    const at = addDays(d, o.late?.(d) ?? 0);
    if (at < until)
      on(at, () => cmd(owner, `/touch "${a.name}" visit to:"${whom}" ${pick(['Weekly lanes review', 'Walked the warehouse', 'Volumes for next month', 'Checked damage rates'])}`));
  }
  if (a.tier !== 'standard' && o.ops !== false) {
    for (let d = addDays(from, 10 + Math.floor(random() * 10)); d < until; d = addDays(d, 28 + Math.floor(random() * 7)))
      on(d, () => cmd('ma', `/touch "${a.name}" call to:"${a.people.operator}" Dock schedule and pallet counts`));
  }
  if (a.tier === 'standard') {
    for (let d = addDays(from, 40); d < until; d = addDays(d, 85 + Math.floor(random() * 10)))
      on(d, () => cmd(owner, `/touch "${a.name}" call to:"${a.people.operator}" Pickup windows`));
  }
  if (a.tier === 'strategic' && o.exec !== false) {
    for (let d = addDays(from, 20 + Math.floor(random() * 20)); d < until; d = addDays(d, 80 + Math.floor(random() * 8)))
      on(d, () => cmd('chen', `/touch "${a.name}" meeting to:"${a.people.executive}" Executive dinner`));
  }
}

/** The loss itself, as the owner records it. */
function lose(a: Acct, reason: string, lesson: string) {
  on(a.lostOn!, () => cmd(a.owner, `/lost "${a.name}" reason:${reason} ${lesson}`));
}

// ---------------------------------------------------------------------------------------------
// The stories (DOMAIN.md: "Signals that an account is drifting", "Reasons customers are lost").

{
  // 1. A damage complaint bounced between regions for months: the classic "sudden" loss.
  const a = account('Huadong Chemicals', 'strategic', 'zhang', '', { title: 'damage complaint bounced between regions', lostOn: day('2026-11-16') });
  care(a, START, a.lostOn!);
  let c1 = '';
  on(day('2026-04-08'), async () => (c1 = await opens('zhang', '/complaint "Huadong Chemicals" severity:high category:damage 6 drums leaked at the Wuxi hub, product lost', 'C')));
  on(day('2026-04-09'), () => cmd('zhang', `/complaint assign ${c1} @wang`));
  on(day('2026-04-21'), () => cmd('li', `/complaint assign ${c1} @zhao`));
  on(day('2026-05-12'), () => cmd('li', `/complaint assign ${c1} @wang`));
  on(day('2026-06-16'), () => cmd('zhang', '/signal "Huadong Chemicals" price-pressure Purchasing asks 10% off the Wuxi lanes "for the risk"'));
  let c2 = '';
  on(day('2026-07-14'), async () => (c2 = await opens('zhang', '/complaint "Huadong Chemicals" severity:medium category:damage Drum dented on arrival in Nanjing', 'C')));
  on(day('2026-07-24'), () => cmd('zhang', `/resolve ${c2} Credit note issued`));
  on(day('2026-08-20'), () => cmd('wang', `/resolve ${c1} Claim paid after four months; repacking rule for drums`));
  on(day('2026-09-09'), () => cmd('zhang', '/signal "Huadong Chemicals" volume-drop September bookings down a third'));
  on(day('2026-10-13'), () => cmd('zhang', '/signal "Huadong Chemicals" competitor A hazmat specialist is running their Wuxi lanes on trial'));
  lose(a, 'neglected-details', 'A damage claim that bounced between regions for four months');
}
{
  // 2. A decision-maker change the rep knew of but did not record: the new director brings his own supplier.
  const a = account('Nanjing Auto Parts', 'key', 'wang', '', { title: 'decision-maker change known, not recorded', lostOn: day('2026-11-09') });
  care(a, START, day('2026-05-12'));
  on(day('2026-05-12'), () =>
    cmd('wang', `/touch "Nanjing Auto Parts" visit to:"${a.people.manager}" Heard their logistics director left; the new one comes from a competitor's customer`),
  );
  // From then on the rep sees only the buyer and the dispatcher.
  for (let d = day('2026-06-10'); d < a.lostOn!; d = addDays(d, 29)) on(d, () => cmd('wang', `/touch "Nanjing Auto Parts" visit to:"${a.people.manager}" Volumes for next month`));
  for (let d = day('2026-05-25'); d < a.lostOn!; d = addDays(d, 31)) on(d, () => cmd('ma', `/touch "Nanjing Auto Parts" call to:"${a.people.operator}" Dock schedule`));
  on(day('2026-07-01'), () => cmd('wang', `/contact "Nanjing Auto Parts" left "${a.people.dm}"`));
  on(day('2026-08-05'), () => cmd('wang', '/signal "Nanjing Auto Parts" volume-drop Orders down 25% since June'));
  on(day('2026-09-02'), () => cmd('wang', '/signal "Nanjing Auto Parts" price-pressure The new director wants a re-tender on price'));
  lose(a, 'competitor', 'The new logistics director brought his previous supplier; we never met him');
}
{
  // 3. The rep leaves and the customer follows him.
  const a = account('Suzhou Electronics', 'strategic', 'zhao', '', { title: 'rep leaves, customer follows', lostOn: day('2026-11-30') });
  care(a, START, day('2026-07-20'));
  on(day('2026-07-20'), () => cmd('li', '/leave @zhao'));
  on(day('2026-07-31'), () => cmd('li', '/handover @zhao @sun'));
  care(a, day('2026-08-05'), a.lostOn!, { owner: 'sun' });
  on(day('2026-08-25'), () => cmd('sun', '/signal "Suzhou Electronics" competitor Zhao, now at Deppon, had lunch with their GM'));
  on(day('2026-09-21'), () => cmd('sun', '/signal "Suzhou Electronics" volume-drop Two of their lines moved to Deppon'));
  on(day('2026-10-15'), () => cmd('sun', '/signal "Suzhou Electronics" price-pressure Asked us to match Deppon\'s rate'));
  on(a.lostOn!, () => cmd('sun', '/lost "Suzhou Electronics" reason:staff-turnover competitor:Deppon They followed Zhao'));
}
{
  // 4. Their needs outgrew what our one contact sells them, and nobody noticed the opportunity.
  const a = account('Kunshan Machinery', 'key', 'zhou', 'revenue:3m spend:10m', { title: 'needs outgrew what we sell', lostOn: day('2026-11-02') });
  care(a, START, a.lostOn!, { ops: false });
  on(day('2026-04-14'), () => cmd('zhou', `/touch "Kunshan Machinery" visit to:"${a.people.dm}" They are building two warehouses in Kunshan`));
  on(day('2026-06-01'), () => cmd('zhou', '/account set "Kunshan Machinery" spend:16m'));
  on(day('2026-06-10'), () => cmd('zhou', '/signal "Kunshan Machinery" strategy-change Want one 3PL for warehousing and transport from 2027'));
  on(day('2026-08-11'), () => cmd('zhou', '/signal "Kunshan Machinery" volume-drop Spare-parts flows moved to their new DC'));
  on(day('2026-09-15'), () => cmd('zhou', '/signal "Kunshan Machinery" competitor A contract-logistics firm offers warehouse plus transport'));
  lose(a, 'competitor', 'Their needs grew into warehousing; we only ever sold them transport');
}
{
  // 5. The pre-Q4 supplier review brings in a second supplier: they depend on us too much.
  const a = account('Ningbo Retail', 'strategic', 'sun', 'revenue:8m spend:10m', { title: 'pre-Q4 review brings a second supplier', lostOn: day('2026-11-23') });
  care(a, START, a.lostOn!);
  on(day('2026-07-10'), () => cmd('chen', `/touch "Ningbo Retail" meeting to:"${a.people.executive}" Their new CFO worries about depending on one carrier`));
  on(day('2026-08-03'), () => cmd('sun', '/signal "Ningbo Retail" strategy-change Dual-sourcing policy for every category from 2027'));
  on(day('2026-08-20'), () => cmd('sun', '/signal "Ningbo Retail" competitor JD Logistics presented to their COO'));
  on(day('2026-09-15'), () => cmd('sun', '/signal "Ningbo Retail" price-pressure Review prep: they ask for our price against JD'));
  on(day('2026-10-20'), () => cmd('sun', '/review "Ningbo Retail" held Review done; they will split the network'));
  lose(a, 'competitor', 'Dual sourcing after the review: 60% of the volume went to JD');
}
{
  // 6. Promises broken, the executive's among them.
  const a = account('Hangzhou Foods', 'key', 'wu', '', { title: 'promises broken', lostOn: day('2026-10-26') });
  care(a, START, a.lostOn!);
  let p1 = '';
  let p2 = '';
  let c1 = '';
  on(day('2026-04-15'), async () => {
    await cmd('chen', `/touch "Hangzhou Foods" meeting to:"${a.people.dm}" Business review with their GM`);
    p1 = await opens('chen', '/promise "Hangzhou Foods" due:2026-06-30 A dedicated cold-chain line to Shanghai', 'P');
  });
  on(day('2026-05-08'), async () => (c1 = await opens('wu', '/complaint "Hangzhou Foods" severity:medium category:quality Temperature excursion on two reefers', 'C')));
  on(day('2026-05-10'), async () => (p2 = await opens('wu', '/promise "Hangzhou Foods" due:2026-05-20 Root-cause report on the temperature excursion', 'P')));
  on(day('2026-05-11'), () => cmd('wu', `/resolve ${c1} Reefers recalibrated`));
  on(day('2026-05-28'), () => cmd('wu', `/promise broken ${p2} Report never went out`));
  on(day('2026-07-02'), () => cmd('chen', `/promise broken ${p1} No trucks free for a dedicated line`));
  on(day('2026-07-20'), () => cmd('wu', '/signal "Hangzhou Foods" payment-delay They are holding June invoices'));
  on(day('2026-08-18'), () => cmd('wu', '/signal "Hangzhou Foods" price-pressure Want 8% off "for the trouble"'));
  on(day('2026-09-08'), () => cmd('wu', '/signal "Hangzhou Foods" competitor SF Cold Chain is running a trial'));
  lose(a, 'broken-promise', 'Our GM promised a dedicated line and never delivered');
}
{
  // 7. A smaller account left in silence.
  const a = account('Foshan Furniture', 'standard', 'wang', '', { title: 'smaller account left in silence', lostOn: day('2026-11-02') });
  care(a, START, day('2026-05-01'));
  let c1 = '';
  let c2 = '';
  on(day('2026-06-15'), async () => (c1 = await opens('wang', '/complaint "Foshan Furniture" severity:low category:billing Invoice in the wrong currency', 'C')));
  on(day('2026-06-27'), () => cmd('wang', `/resolve ${c1} Invoice reissued`));
  on(day('2026-07-20'), async () => (c2 = await opens('wang', '/complaint "Foshan Furniture" severity:medium category:delay Sofas two days late to the showroom', 'C')));
  on(day('2026-07-27'), () => cmd('wang', `/resolve ${c2} Apologised`));
  on(day('2026-08-24'), () => cmd('wang', '/signal "Foshan Furniture" payment-delay Finance says July invoices are 30 days late'));
  on(day('2026-09-21'), () => cmd('wang', '/signal "Foshan Furniture" volume-drop Hardly any bookings in September'));
  lose(a, 'neglect-small-customers', 'Nobody visited after April; they felt forgotten');
}
{
  // 8. A low wallet share makes us easy to replace.
  const a = account('Xiamen Cosmetics', 'key', 'zhou', 'revenue:800k spend:6m', { title: 'low wallet share, replaceable', lostOn: day('2026-10-19') });
  care(a, START, a.lostOn!);
  on(day('2026-06-09'), () => cmd('zhou', '/signal "Xiamen Cosmetics" price-pressure Their main carrier quotes 12% below us'));
  on(day('2026-07-07'), () => cmd('zhou', '/signal "Xiamen Cosmetics" competitor Their main carrier offers to take our lanes too'));
  on(day('2026-08-11'), () => cmd('zhou', '/signal "Xiamen Cosmetics" volume-drop Our share of their bookings halved'));
  lose(a, 'price-market', 'We were a 13% supplier; consolidating to their main carrier was easy');
}

// ---------------------------------------------------------------------------------------------
// The control book: healthy accounts with ordinary noise.
// zhao leaves in July (story 3): the control book belongs to those who stay.
const STAYING = REPS.filter((r) => r !== 'zhao');
const TIERS: Tier[] = ['strategic', 'key', 'key', 'standard', 'standard'];
const CITIES = ['Wuxi', 'Hefei', 'Qingdao', 'Tianjin', 'Dongguan', 'Chengdu', 'Wuhan', 'Changsha', 'Xian', 'Zhengzhou', 'Shenzhen', 'Chongqing'];
const TRADES = ['Textiles', 'Pharma', 'Packaging', 'Paper', 'Tools', 'Toys'];
for (let i = 0; i < CONTROLS; i++) {
  const tier = TIERS[i % TIERS.length]!;
  const a = account(
    `${CITIES[i % CITIES.length]} ${TRADES[Math.floor(i / CITIES.length) % TRADES.length]} ${i + 1}`,
    tier,
    STAYING[i % STAYING.length]!,
    tier === 'standard' ? '' : 'revenue:2m spend:5m',
  );
  // A visit missed now and then, another a few days late.
  const missed = addDays(WATCH_FROM, Math.floor(random() * 240));
  care(a, START, END, {
    skip: (d) => Math.abs(d.getTime() - missed.getTime()) < (CADENCE[tier] * 86_400_000) / 2,
    late: () => (random() < 0.15 ? 2 + Math.floor(random() * 6) : 0),
  });
  // A low complaint opened on a Friday evening, resolved on Monday.
  const friday = DateTime.fromJSDate(addDays(WATCH_FROM, Math.floor(random() * 250)), { zone: TIMEZONE })
    .set({ weekday: 5, hour: 18 })
    .toJSDate();
  let low = '';
  on(friday, async () => (low = await opens(a.owner, `/complaint "${a.name}" severity:low category:billing Fuel surcharge billed twice`, 'C')));
  on(addDays(friday, 3), () => cmd(a.owner, `/resolve ${low} Credit note sent`));
  // A price discussion.
  on(addDays(WATCH_FROM, Math.floor(random() * 250)), () => cmd(a.owner, `/signal "${a.name}" price-pressure Asked about next year's rates before their budget round`));
  // Now and then a medium complaint, fixed in time, and a promise kept.
  if (random() < 0.5) {
    const d = addDays(WATCH_FROM, Math.floor(random() * 250));
    let c = '';
    on(d, async () => (c = await opens(a.owner, `/complaint "${a.name}" severity:medium category:delay One pickup missed`, 'C')));
    on(addDays(d, 1), () => cmd(a.owner, `/resolve ${c} Picked up the next morning`));
  }
  if (random() < 0.5) {
    const d = addDays(WATCH_FROM, Math.floor(random() * 240));
    let p = '';
    on(d, async () => (p = await opens(a.owner, `/promise "${a.name}" due:${iso(addDays(d, 14))} Send the updated SLA`, 'P')));
    on(addDays(d, 10), () => cmd(a.owner, `/promise kept ${p}`));
  }
}

// ---------------------------------------------------------------------------------------------
// The replay: each day the sweep at 08:00, each Monday health as /risk reads it, then the day's commands.
const flagged = new Map<string, { at: Date; band: Band; score: number; why: string }[]>();

async function replay() {
  await cmd('alice', '/steward whoami');
  for (const r of REPS) await cmd('alice', `/steward team @${r} manager:@li`);
  await cmd('alice', '/steward role @chen exec');
  await cmd('chen', '/steward me function:executive');
  await cmd('ma', '/steward me function:operations');
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  let next = 0;
  for (let d = START; d <= END; d = addDays(d, 1)) {
    h.now = addDays(d, -2 / 24);
    const tenant = (await h.db.select().from(tenants).get())!;
    await transact(h.db, (tx) => sweepTenant(tx, tenant, h.now), { behavior: 'immediate' });
    if (d >= WATCH_FROM && DateTime.fromJSDate(d, { zone: TIMEZONE }).weekday === 1) {
      h.now = addDays(d, -1 / 24);
      const ids = await h.db.select({ id: accounts.id, name: accounts.name, status: accounts.status }).from(accounts).all();
      const scores = await transact(h.db, (tx) =>
        healthOf(
          tx,
          tenant,
          ids.filter((x) => x.status === 'active').map((x) => x.id),
          h.now,
        ),
      );
      for (const x of ids) {
        const s = scores.get(x.id);
        if (s)
          flagged.set(x.name, [
            ...(flagged.get(x.name) ?? []),
            { at: d, band: s.now.band, score: s.now.score, why: s.now.reasons.map((r) => `${r.key}${r.evidence.kind ? `:${r.evidence.kind}` : ''} ${r.weight}`).join(', ') },
          ]);
      }
    }
    const tomorrow = addDays(d, 1);
    while (next < events.length && events[next]!.at < tomorrow) {
      const e = events[next++]!;
      // biome-ignore lint/complexity/useMathMinMax: Dates; Math.max would turn them into numbers.
      h.now = e.at < d ? d : e.at;
      await e.run();
    }
  }
}

await replay();
h.close();

if (TRACE) {
  for (const a of book) {
    console.log(a.name);
    for (const r of flagged.get(a.name) ?? []) if (!a.lostOn || r.at < a.lostOn) console.log(`  ${iso(r.at)} ${String(r.score).padStart(3)} ${r.band.padEnd(8)} ${r.why}`);
  }
}
const weeks = (ms: number) => Math.floor(ms / (7 * 86_400_000));
console.log('Early warning: weeks of warning before each loss (health read every Monday)\n');
let early = 0;
const stories = book.filter((a) => a.lostOn);
for (const a of stories) {
  const reads = (flagged.get(a.name) ?? []).filter((r) => r.at < a.lostOn!);
  const first = reads.find((r) => r.band !== 'healthy');
  // Flagged without a break until the loss: from the last healthy Monday on.
  const lastHealthy = reads.map((r) => r.band).lastIndexOf('healthy');
  const since = reads[lastHealthy + 1];
  const held = since ? weeks(a.lostOn!.getTime() - since.at.getTime()) : 0;
  const atRisk = reads.find((r) => r.band === 'at-risk');
  if (held >= 8) early++;
  console.log(
    `  ${a.name.padEnd(20)} ${a.story!.padEnd(42)} lost ${iso(a.lostOn!)}: ` +
      (first
        ? `flagged ${held} weeks before (first ${weeks(a.lostOn!.getTime() - first.at.getTime())})${atRisk ? `, at risk ${weeks(a.lostOn!.getTime() - atRisk.at.getTime())} weeks before` : ', never at risk'}, last read ${reads.at(-1)!.score}`
        : 'never flagged'),
  );
}
console.log('\nControl book: healthy accounts, ever flagged (watch or at risk) from March to November\n');
let alarms = 0;
const controls = book.filter((a) => !a.lostOn);
for (const a of controls) {
  const reads = flagged.get(a.name) ?? [];
  const bad = reads.filter((r) => r.band !== 'healthy');
  if (bad.length) alarms++;
  const low = Math.min(...reads.map((r) => r.score));
  console.log(
    `  ${a.name.padEnd(20)} ${a.tier.padEnd(9)} ${bad.length ? `FLAGGED ${bad.length} week(s), first ${iso(bad[0]!.at)} (${bad[0]!.score}, ${bad[0]!.band})` : 'never flagged'}; lowest ${low}`,
  );
}
console.log(`\n${early} of ${stories.length} stories flagged 8+ weeks before the loss; ${alarms} false alarms in ${controls.length} healthy accounts`);
