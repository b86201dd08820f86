// Risk that hides in plain sight (issue 18, part 7): what /account and /risk say about accounts a
// key-account manager would call at risk, replayed with real commands on the test clock.
import { afterEach, describe, expect, it } from 'vitest';
import { accounts } from '../db/schema.js';
import { harness, type Harness } from './harness.js';
import { DAY, kit, plus } from './kit.js';
import { renderText } from '../src/engine/render-text.js';
import { watchHealth } from '../src/scheduler/sweep.js';
import type { Reply } from '../src/engine/reply.js';
import { transact } from '../db/index.js';
import { mapSeq } from './async-array.js';

let h: Harness;
const k = kit(() => h);
afterEach(() => h.close());
const NOW = new Date('2026-11-23T02:00:00Z');
/** Five warning signs a key-account manager would call an account burning, as /signal takes them. */
const FIVE_SIGNS = [
  'decision-maker-change New GM from the parent group',
  'volume-drop Orders down 30% on last quarter',
  'competitor JD Logistics quoted the whole network',
  'payment-delay March invoices 40 days late',
  'strategy-change Building their own warehouse in Kunshan',
];

/** A well-covered account: two of ours have met two of their levels this week. */
async function covered(name: string, tier: string) {
  await k.ok(`/account add ${name} tier:${tier} owner:@zhang`);
  await k.ok(`/contact ${name} add Wu Gang title:GM level:decision-maker`);
  await k.ok(`/contact ${name} add Li Na title:Dispatcher level:operator`);
  await k.ok(`/touch ${name} visit to:"Wu Gang" Quarterly review of the lanes`, 'zhang');
  await k.ok(`/touch ${name} call to:"Li Na" Pallet counts for the week`, 'li');
}

describe('risk hides in plain sight', () => {
  it('a strategic account with a fresh high complaint and a competitor offering less is not healthy', async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @li manager:@zhang');
    h.now = plus(NOW, -3 * DAY);
    await covered('Acme', 'strategic');
    h.now = NOW;
    await k.ok('/complaint Acme severity:high category:damage Two pallets crushed at the Wuxi hub', 'zhang');
    await k.ok('/signal Acme competitor SF offered the Shanghai lanes 8% below our rate', 'zhang');
    const shown = (await k.ok('/account Acme', 'zhang')).text;
    expect(shown).toMatch(/Health +\d+\/100, watch/);
    expect((await k.ok('/risk', 'zhang')).text).toMatch(/^ {2}• Acme · zhang · \d+\/100, watch/m);
  });

  it('five warning signs in one week put the account at risk and in /risk', async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @li manager:@zhang');
    h.now = plus(NOW, -10 * DAY);
    await covered('Beta', 'key');
    for (const [i, s] of FIVE_SIGNS.entries()) {
      h.now = plus(NOW, (i - 5) * DAY);
      await k.ok(`/signal Beta ${s}`, 'zhang');
    }
    h.now = NOW;
    expect((await k.ok('/account Beta', 'zhang')).text).toMatch(/Health +\d+\/100, at risk/);
    const risk = (await k.ok('/risk', 'zhang')).text;
    expect(risk).not.toContain('No account is at risk');
    expect(risk).toMatch(/^ {2}• Beta · zhang · \d+\/100, at risk/m);
  });

  it('an imported account known by one thread for a year is single-threaded from its first day in Steward', async () => {
    h = harness({ now: NOW });

    await k.ok('/account add Gamma tier:strategic owner:@zhang');
    await k.ok('/contact Gamma add Zhao Lei title:Buyer level:manager');
    // A year of one rep and one buyer, logged after the fact.
    for (let d = 362; d > 0; d -= 30) await k.ok(`/touch Gamma visit to:"Zhao Lei" on:${new Date(NOW.getTime() - d * DAY).toISOString().slice(0, 10)} Monthly visit`, 'zhang');
    await h.db.update(accounts).set({ createdAt: NOW }).run();
    const shown = (await k.ok('/account Gamma', 'zhang')).text;
    expect(shown).toContain('single-threaded: 1 of ours and 1 of their levels touched in 90 days');
    expect(shown).not.toMatch(/Health +100\/100/);
  });

  it('/risk lists watch as well as at risk, at risk first and worst first, and counts the reasons it does not show', async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @li manager:@zhang');
    h.now = plus(NOW, -10 * DAY);
    await covered('Acme', 'strategic');
    await covered('Beta', 'key');
    await covered('Calm', 'key');
    h.now = plus(NOW, -5 * DAY);
    for (const s of ['decision-maker-change New GM', 'volume-drop Orders down 30%', 'competitor JD quoted', 'payment-delay 40 days late']) await k.ok(`/signal Beta ${s}`, 'zhang');
    h.now = NOW;
    await k.ok('/complaint Acme severity:high Two pallets crushed', 'zhang');
    await k.ok('/signal Acme competitor SF offered 8% less', 'zhang');
    const lines = (await k.ok('/risk', 'zhang')).text.split('\n');
    expect(lines[0]).toBe('! Accounts at risk or to watch in your team: 2');
    expect(lines[1]).toMatch(/^ {2}• Beta · zhang · \d+\/100, at risk[^·]* · .+ · \+\d+ more reasons$/);
    expect(lines[2]).toMatch(/^ {2}• Acme · zhang · \d+\/100, watch[^·]* · /);
    expect(lines.join('\n')).not.toContain('Calm');
  });

  it("a strategic account's warning signs weigh more than a standard one's, and /account shows every reason", async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @li manager:@zhang');
    h.now = plus(NOW, -3 * DAY);
    await covered('Big', 'strategic');
    await covered('Small', 'standard');
    h.now = NOW;
    for (const a of ['Big', 'Small']) {
      await k.ok(`/signal ${a} competitor SF quoted`, 'zhang');
      await k.ok(`/signal ${a} payment-delay 30 days late`, 'zhang');
      await k.ok(`/signal ${a} price-pressure Asked for 5% off`, 'zhang');
      await k.ok(`/signal ${a} volume-drop Orders down a fifth`, 'zhang');
    }
    const score = async (a: string) => Number((await k.ok(`/account ${a}`, 'zhang')).text.match(/Health +(\d+)\/100/)![1]);
    expect(await score('Big')).toBeLessThan(await score('Small'));
    const why = (await k.ok('/account Big', 'zhang')).text;
    for (const kind of ['competitor activity', 'payment delay', 'price pressure', 'volume drop']) expect(why).toContain(`${kind} reported today`);
    expect(why).toContain('strategic account: its warning signs count ×1.3');
  });

  it('health reads the record: a complaint passed between owners, a handover, a promise our executive broke', async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @li manager:@zhang');
    await k.ok('/steward team @wang manager:@zhang');
    await k.ok('/steward role @chen exec');
    h.now = plus(NOW, -40 * DAY);
    await covered('Delta', 'key');
    const c = (await k.ok('/complaint Delta severity:high category:damage Drums leaked', 'zhang')).text.match(/C-\d+/)![0];
    await k.ok(`/complaint assign ${c} @li`, 'zhang');
    h.now = plus(NOW, -30 * DAY);
    await k.ok(`/complaint assign ${c} @wang`, 'zhang');
    const p = (await k.ok('/promise Delta due:+5d A dedicated line to Shanghai', 'chen')).text.match(/P-\d+/)![0];
    h.now = plus(NOW, -20 * DAY);
    await k.ok(`/resolve ${c} Claim paid`, 'wang');
    await k.ok(`/promise broken ${p} No trucks free`, 'chen');
    h.now = plus(NOW, -10 * DAY);
    await k.ok('/handover @zhang @li Delta');
    h.now = NOW;
    await k.ok('/touch Delta visit to:"Wu Gang" First visit as the new owner', 'li');
    const why = (await k.ok('/account Delta', 'li')).text;
    expect(why).toContain('1 complaint in 180 days, 1 resolved past deadline, the longest 20 days, passed between owners 2 times');
    expect(why).toContain('1 broken (1 by our executive) and 0 overdue promises');
    expect(why).toContain('handed over 10 days ago: a new relationship for 90 days');
  });

  it('the revisit clock and how long we have known them read touches older than the window health looks back on', async () => {
    h = harness({ now: NOW });
    await k.ok('/account add Epsilon tier:key owner:@zhang');
    await k.ok('/contact Epsilon add Zhao Lei title:Buyer level:manager');
    await k.ok('/touch Epsilon visit to:"Zhao Lei" on:2025-12-01 The last visit anyone made', 'zhang');
    const shown = (await k.ok('/account Epsilon', 'zhang')).text;
    expect(shown).toContain('revisit 326 days overdue (every 30 days) (−20)');
    expect(shown).toContain('single-threaded: 0 of ours and 0 of their levels touched in 90 days');
  });
});

describe('health news (issue 21: told to the right person)', () => {
  /** The sweep job's daily look at health, in its own transaction as the scheduler runs it. */
  const watch = (at: Date) => transact(h.db, async (tx) => watchHealth(tx, await k.tenant(), at), { behavior: 'immediate' });
  it('an account entering at risk is told once to its owner and their manager, with the reasons and the next step; a lost one is not', async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @zhang manager:@li');
    h.now = plus(NOW, -10 * DAY);
    await covered('Beta', 'key');
    await covered('Delta', 'key');
    // Healthy as of the first look: nothing to say.
    expect((await watch(plus(NOW, -9 * DAY))).length).toBe(0);
    for (const [i, s] of FIVE_SIGNS.entries()) {
      h.now = plus(NOW, (i - 5) * DAY);
      await k.ok(`/signal Beta ${s}`, 'zhang');
      await k.ok(`/signal Delta ${s}`, 'zhang');
    }
    h.now = plus(NOW, -1 * DAY);
    await k.ok('/lost Delta reason:competitor They moved to JD after the rate review', 'zhang');
    h.now = NOW;
    expect((await watch(NOW)).length).toBe(2);
    const news = await k.allNudges('health');
    expect(await mapSeq(news, async (n) => [await k.nameOf(n.recipientId), n.subjectId])).toEqual([
      ['zhang', await k.accountId('Beta')],
      ['li', await k.accountId('Beta')],
    ]);
    const text = renderText(news[0]!.payload as Reply);
    expect(text.split('\n')[0]).toMatch(/Beta's health moved to at risk/);
    expect(text).toMatch(/decision-maker|Decision-maker/);
    expect(text).toMatch(/Next step/i);
    // Told once: later sweeps that day, and the days after, say nothing new while nothing changes.
    expect((await watch(plus(NOW, 3_600_000))).length).toBe(0);
    expect((await watch(plus(NOW, 1 * DAY))).length).toBe(0);
    expect((await watch(plus(NOW, 2 * DAY))).length).toBe(0);
  });
});

describe('the digest leads with the flagged accounts (issue 21)', () => {
  it('an account at risk for two months is still first in the digest, not only the week its band changed', async () => {
    h = harness({ now: plus(NOW, -200 * DAY) });
    await k.ok('/steward team @zhang manager:@li');
    h.now = plus(NOW, -70 * DAY);
    await covered('Beta', 'key');
    for (const [i, s] of FIVE_SIGNS.entries()) {
      h.now = plus(NOW, (i - 65) * DAY);
      await k.ok(`/signal Beta ${s}`, 'zhang');
    }
    h.now = NOW;
    const risk = (await k.ok('/risk', 'zhang')).text;
    expect(risk).toMatch(/^ {2}• Beta · zhang · \d+\/100, (at risk|watch)/m);
    const digest = (await k.ok('/digest', 'li')).text.split('\n');
    expect(digest[1]).toBe('At risk or to watch (1)');
    expect(digest[2]).toMatch(/^ {2}• Beta: (at risk|watch) \(\d+\) · /);
  });
});
