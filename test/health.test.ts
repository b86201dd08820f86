import { afterEach, describe, expect, it } from 'vitest';
import { band, bandsAt, health, healthAndBandsAt, healthNews, healthOf, HEALTH_WEIGHTS as W, loadFacts, nextStep, type AccountFacts } from '../src/domain/health.js';
import { digestTrends, TREND_WEEKS, trendEnds } from '../src/domain/digest.js';
import { accounts, tenants } from '../db/schema.js';
import { healthNewsReply } from '../src/views/health.js';
import { viewFor } from '../src/domain/view.js';
import { renderText } from '../src/engine/render-text.js';
import type { Tenant } from '../src/domain/types.js';
import { harness, type Harness } from './harness.js';
import { catalog } from '../prompts/index.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T02:00:00Z');
const tenant = { id: 1, timezone: 'Asia/Shanghai', locale: 'en', settings: {} } as unknown as Tenant;

/** A healthy standard account visited every two weeks: last week by two of ours, at two of their levels. */
function facts(over: Partial<AccountFacts> = {}, account: Partial<AccountFacts['account']> = {}): AccountFacts {
  return {
    account: { id: 1, tier: 'standard', cadenceDays: 14, createdAt: new Date(NOW - 400 * DAY), annualRevenue: null, categorySpend: null, ownerGoneAt: null, ...account },
    owned: true,
    ownerLeftAt: null,
    firstTouchAt: null,
    touches: [
      { at: NOW - 7 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
      { at: NOW - 20 * DAY, memberId: 2, ourLevel: 'operations', theirLevel: 'operator', kind: 'call' },
      { at: NOW - 35 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
      { at: NOW - 48 * DAY, memberId: 2, ourLevel: 'operations', theirLevel: 'operator', kind: 'call' },
    ],
    complaints: [],
    signals: [],
    promises: [],
    pairings: [],
    handovers: [],
    snoozes: [],
    ...over,
  };
}
const only = (f: AccountFacts) => health(tenant, f, NOW);
/** The signs alone, without the fall they make in four weeks. */
const signsOf = (f: AccountFacts) => only(f).reasons.filter((r) => r.key !== 'falling');

describe('account health: each signal, its weight and its evidence', () => {
  it('a well-kept account scores 100, healthy, with no reasons', () => {
    expect(only(facts())).toEqual({ score: 100, band: 'healthy', reasons: [] });
  });

  it('revisit overdue grows with the days past the cadence, up to its weight', () => {
    const at = (daysSinceVisit: number) =>
      only(
        facts({
          touches: [
            { at: NOW - daysSinceVisit * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
            { at: NOW - DAY, memberId: 2, ourLevel: 'finance', theirLevel: 'manager', kind: 'call' },
          ],
        }),
      );
    expect(at(14).reasons).toEqual([]);
    expect(at(21).reasons).toEqual([{ key: 'revisit', weight: 10, evidence: { days: 7, cadence: 14 } }]);
    expect(at(60).reasons[0]).toEqual({ key: 'revisit', weight: W.revisitOverdue, evidence: { days: 46, cadence: 14 } });
    expect(at(60).score).toBe(80);
    // An account added today with its history (an imported book) counts from its last visit, as the revisit nudges do.
    const imported = facts(
      {
        touches: [
          { at: NOW - 21 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
          { at: NOW - DAY, memberId: 2, ourLevel: 'finance', theirLevel: 'manager', kind: 'call' },
        ],
      },
      { createdAt: new Date(NOW - DAY) },
    );
    expect(only(imported).reasons).toEqual([{ key: 'revisit', weight: 10, evidence: { days: 7, cadence: 14 } }]);
  });

  it('open complaints weigh by severity, more past their deadline and per escalation rung, capped', () => {
    const c = (severity: 'critical' | 'high' | 'medium' | 'low', overdue: boolean, level = 0, number = 1) => ({
      number,
      severity,
      openedAt: NOW - 3 * DAY,
      deadlineAt: overdue ? NOW - DAY : NOW + DAY,
      resolvedAt: null,
      escalationLevel: level,
      passes: [],
    });
    expect(only(facts({ complaints: [c('medium', false)] })).reasons).toEqual([{ key: 'complaints', weight: 6, evidence: { open: 1, overdue: 0, oldestDays: 3, ids: 'C-1' } }]);
    expect(only(facts({ complaints: [c('high', true, 2)] })).reasons[0]!.weight).toBe(12 * 1.5 + 2 * 3);
    expect(only(facts({ complaints: [c('critical', true, 3, 1), c('critical', true, 3, 2)] })).reasons[0]!.weight).toBe(W.complaintsCap);
    // Resolved before now: no weight now.
    expect(only(facts({ complaints: [{ ...c('critical', true), resolvedAt: NOW - DAY }] })).reasons).toEqual([]);
  });

  it('single-threaded: one person of ours, or one level of theirs, in 90 days, on a key or strategic account', () => {
    const touches = [
      { at: NOW - 5 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'manager', kind: 'visit' },
      { at: NOW - 9 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'executive', kind: 'call' },
    ];
    const one = facts({ touches }, { tier: 'key' });
    expect(only(one).reasons).toEqual([{ key: 'single-threaded', weight: W.singleThreaded * W.tier.key, evidence: { ours: 1, theirs: 2 } }]);
    // A brand-new account is not blamed for being new.
    expect(only({ ...one, account: { ...one.account, createdAt: new Date(NOW - 30 * DAY) } }).reasons).toEqual([]);
    // A standard account is one rep's.
    expect(only(facts({ touches })).reasons).toEqual([]);
  });

  it('a lapsed leadership pairing, reset by the executive touching the account', () => {
    const pairing = { execId: 9, cadenceDays: 90, createdAt: NOW - 200 * DAY };
    expect(only(facts({ pairings: [pairing] })).reasons).toEqual([{ key: 'pairing', weight: W.lapsedPairing, evidence: { days: 110 } }]);
    const f = facts({ pairings: [pairing] });
    f.touches.push({ at: NOW - 10 * DAY, memberId: 9, ourLevel: 'executive', theirLevel: 'executive', kind: 'meeting' });
    expect(only(f).reasons).toEqual([]);
  });

  it('a decision-maker change is a new relationship for six months: one executive meeting eases it, does not clear it', () => {
    const f = facts({ signals: [{ kind: 'decision-maker-change', at: NOW - 12 * DAY }] });
    expect(signsOf(f)).toEqual([{ key: 'decision-maker', weight: W.decisionMaker.unmet, evidence: { days: 12, met: 0 } }]);
    f.touches.push({ at: NOW - 2 * DAY, memberId: 9, ourLevel: 'executive', theirLevel: 'decision-maker', kind: 'meeting' });
    expect(only(f).reasons).toEqual([{ key: 'decision-maker', weight: W.decisionMaker.met, evidence: { days: 12, met: 1 } }]);
    expect(health(tenant, f, NOW + 170 * DAY).reasons.map((r) => r.key)).not.toContain('decision-maker');
  });

  it('a handover is a new relationship for 90 days, though two of ours now touch the account', () => {
    const f = facts({ handovers: [NOW - 20 * DAY] });
    expect(only(f).reasons).toEqual([{ key: 'handover', weight: W.handover.weight, evidence: { days: 20 } }]);
    expect(health(tenant, f, NOW + 71 * DAY).reasons.map((r) => r.key)).not.toContain('handover');
  });

  it('warning signs count in full for a month, then fade to nothing at four months', () => {
    const sign = (days: number) => only(facts({ signals: [{ kind: 'volume-drop', at: NOW - days * DAY }] })).reasons;
    expect(sign(0)).toEqual([{ key: 'signal', weight: 12, evidence: { kind: 'volume-drop', days: 0 } }]);
    expect(sign(30)).toEqual([{ key: 'signal', weight: 12, evidence: { kind: 'volume-drop', days: 30 } }]);
    expect(sign(75)).toEqual([{ key: 'signal', weight: 6, evidence: { kind: 'volume-drop', days: 75 } }]);
    expect(sign(120)).toEqual([]);
  });

  it('three warning signs in a quarter are a pattern; the same three over a year are not', () => {
    const signs = (gap: number) => ({
      signals: [
        { kind: 'price-pressure' as const, at: NOW - 2 * gap * DAY },
        { kind: 'payment-delay' as const, at: NOW - gap * DAY },
      ],
      complaints: [{ number: 1, severity: 'medium' as const, openedAt: NOW - DAY, deadlineAt: NOW + DAY, resolvedAt: null, escalationLevel: 0, passes: [] }],
    });
    expect(only(facts(signs(30))).reasons.find((r) => r.key === 'pattern')).toEqual({ key: 'pattern', weight: W.pattern.weight, evidence: { count: 3, days: 90 } });
    expect(only(facts(signs(100))).reasons.map((r) => r.key)).not.toContain('pattern');
    // The pattern holds while signs keep coming, until a quarter passes without one.
    const kept = (lastDaysAgo: number) =>
      only(facts({ signals: [150, 140, 130, lastDaysAgo].map((d) => ({ kind: 'competitor' as const, at: NOW - d * DAY })) })).reasons.find((r) => r.key === 'pattern');
    expect(kept(60)).toEqual({ key: 'pattern', weight: W.pattern.weight, evidence: { count: 4, days: 151 } });
    expect(kept(125)).toBeUndefined();
    // A low complaint is ordinary noise, not a sign.
    const low = signs(30);
    low.complaints[0]!.severity = 'low' as never;
    expect(only(facts(low)).reasons.map((r) => r.key)).not.toContain('pattern');
  });

  it('complaints leave a history: recurrence, resolved late, open for long, passed between owners', () => {
    const c = (number: number, openedDaysAgo: number, tookDays: number, deadlineDays: number, passes: number[] = []) => ({
      number,
      severity: 'high' as const,
      openedAt: NOW - openedDaysAgo * DAY,
      deadlineAt: NOW - openedDaysAgo * DAY + deadlineDays * DAY,
      resolvedAt: NOW - openedDaysAgo * DAY + tookDays * DAY,
      escalationLevel: 0,
      passes,
    });
    // Four damage complaints in six months, each resolved: not a perfect score.
    const four = facts({ complaints: [c(1, 170, 2, 1), c(2, 120, 1, 1), c(3, 80, 45, 1, [NOW - 70 * DAY, NOW - 60 * DAY, NOW - 50 * DAY]), c(4, 30, 0.5, 1)] });
    // 3 recurrences × 5, 2 resolved late × 3, 1 open over 30 days × 5, 3 passes × 2 = 32, at most 20.
    expect(only(four).reasons).toEqual([{ key: 'complaint-history', weight: W.history.cap, evidence: { count: 4, late: 2, longest: 45, passes: 3 } }]);
    // A claim opened seven months ago and paid last month is recent history.
    expect(only(facts({ complaints: [c(1, 210, 180, 1)] })).reasons).toEqual([
      { key: 'complaint-history', weight: W.history.late + W.history.long, evidence: { count: 1, late: 1, longest: 180, passes: 0 } },
    ]);
    // One complaint resolved on time leaves nothing.
    expect(only(facts({ complaints: [c(1, 30, 0.5, 1)] })).reasons).toEqual([]);
  });

  it('single-threaded reads the history an imported book brings, not the day it was added', () => {
    const one = facts(
      { firstTouchAt: NOW - 365 * DAY, touches: [{ at: NOW - 5 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'manager', kind: 'visit' }] },
      { createdAt: new Date(NOW - DAY), tier: 'strategic' },
    );
    expect(only(one).reasons).toEqual([{ key: 'single-threaded', weight: W.singleThreaded * W.tier.strategic, evidence: { ours: 1, theirs: 1 } }]);
  });

  it('owner gone, low wallet share, dependence, broken and overdue promises (our executive’s weigh double)', () => {
    expect(signsOf({ ...facts(), ownerLeftAt: NOW - DAY })).toEqual([{ key: 'owner-gone', weight: W.ownerGone, evidence: {} }]);
    // Before they left, they were not gone: a rep leaving shows as a drop in four weeks.
    expect(health(tenant, { ...facts(), ownerLeftAt: NOW - DAY }, NOW - 28 * DAY).reasons.map((r) => r.key)).not.toContain('owner-gone');
    expect(signsOf({ ...facts(), owned: false })).toEqual([{ key: 'no-owner', weight: W.ownerGone, evidence: {} }]);
    expect(only(facts({}, { annualRevenue: 100, categorySpend: 1000 })).reasons).toEqual([{ key: 'wallet', weight: W.lowWalletShare, evidence: { share: 10 } }]);
    expect(only(facts({}, { annualRevenue: 300, categorySpend: 1000 })).reasons).toEqual([]);
    const courted = facts({ signals: [{ kind: 'competitor', at: NOW - 40 * DAY }] }, { annualRevenue: 700, categorySpend: 1000 });
    expect(only(courted).reasons.find((r) => r.key === 'dependence')).toEqual({ key: 'dependence', weight: W.dependence, evidence: { share: 70 } });
    const promises = [
      { number: 1, dueAt: NOW - 10 * DAY, status: 'broken', closedAt: NOW - 5 * DAY, byExec: false },
      { number: 2, dueAt: NOW - 2 * DAY, status: 'open', closedAt: null, byExec: false },
    ];
    expect(signsOf(facts({ promises }))).toEqual([{ key: 'promises', weight: W.brokenPromise.other + W.overduePromise, evidence: { broken: 1, byExec: 0, overdue: 1 } }]);
    promises[0]!.byExec = true;
    expect(signsOf(facts({ promises }))).toEqual([{ key: 'promises', weight: W.brokenPromise.exec + W.overduePromise, evidence: { broken: 1, byExec: 1, overdue: 1 } }]);
  });

  it("a tier's weight: a strategic account's signs count ×1.3, a key account's ×1.15; the revisit clock does not", () => {
    const f = (tier: 'strategic' | 'key' | 'standard') => facts({ signals: [{ kind: 'competitor', at: NOW }] }, { tier });
    expect([f('standard'), f('key'), f('strategic')].map((x) => only(x).reasons[0]!.weight)).toEqual([12, 13.8, 15.6]);
    const late = facts(
      {
        touches: [
          { at: NOW - 21 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
          { at: NOW - DAY, memberId: 2, ourLevel: 'finance', theirLevel: 'manager', kind: 'call' },
        ],
      },
      { tier: 'strategic' },
    );
    expect(only(late).reasons).toEqual([{ key: 'revisit', weight: 10, evidence: { days: 7, cadence: 14 } }]);
  });

  it('reasons come worst first, and the bands split at 75 and 50', () => {
    const f = facts(
      {
        signals: [{ kind: 'competitor', at: NOW }],
        complaints: [{ number: 4, severity: 'critical', openedAt: NOW - DAY, deadlineAt: NOW - 1000, resolvedAt: null, escalationLevel: 1, passes: [] }],
      },
      { annualRevenue: 1, categorySpend: 100 },
    );
    const h = only(f);
    expect(h.reasons.map((r) => r.key)).toEqual(['complaints', 'signal', 'wallet']);
    // 100 − (18 × 1.5 + 3) − 12 − 8 = 50.
    expect([h.score, h.band]).toEqual([50, 'watch']);
    expect([band(100), band(75), band(74), band(50), band(49)]).toEqual(['healthy', 'healthy', 'watch', 'watch', 'at-risk']);
  });

  it('read as of four weeks ago, for the trend; down 15 in four weeks flags by itself', () => {
    const f = facts({ complaints: [{ number: 1, severity: 'high', openedAt: NOW - 10 * DAY, deadlineAt: NOW - 9 * DAY, resolvedAt: null, escalationLevel: 0, passes: [] }] });
    expect(health(tenant, f, NOW - 28 * DAY).reasons.find((r) => r.key === 'complaints')).toBeUndefined();
    // 100 − 12 × 1.5 = 82: healthy by the score, watch by the fall.
    expect(only(f)).toEqual({
      score: 82,
      band: 'watch',
      reasons: [
        { key: 'complaints', weight: 18, evidence: { open: 1, overdue: 1, oldestDays: 10, ids: 'C-1' } },
        { key: 'falling', weight: 0, evidence: { drop: 18 } },
      ],
    });
    // A visit running late is nudged and costs its points, but it is not the customer falling away.
    const late = facts({
      touches: [
        { at: NOW - 30 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
        { at: NOW - 2 * DAY, memberId: 2, ourLevel: 'operations', theirLevel: 'operator', kind: 'call' },
      ],
    });
    expect(only(late)).toEqual({ score: 80, band: 'healthy', reasons: [{ key: 'revisit', weight: 20, evidence: { days: 16, cadence: 14 } }] });
    // Four weeks on, visited again and no worse: the fall no longer flags.
    f.touches.push(
      { at: NOW + 20 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
      { at: NOW + 21 * DAY, memberId: 2, ourLevel: 'operations', theirLevel: 'operator', kind: 'call' },
    );
    // (The complaint, open over 30 days, now leaves a history of its own.)
    expect(health(tenant, f, NOW + 28 * DAY)).toMatchObject({ score: 77, band: 'healthy' });
  });
});

describe('who hears of a change in health, once', () => {
  const h = (score: number, b = band(score)) => ({ score, band: b, reasons: [{ key: 'decision-maker' as const, weight: 100 - score, evidence: { days: 3, met: 0 } }] });
  it('entering watch or at risk is news once, with the next step; a recovery is remembered, so falling again is news again', () => {
    const first = healthNews(null, h(70), h(80));
    expect(first.tell).toMatchObject({ kind: 'entered', band: 'watch', score: 70, step: 'meet-decision-maker' });
    expect(healthNews(first.remember, h(68), h(78)).tell).toBeNull();
    expect(healthNews(first.remember, h(45), h(70)).tell).toMatchObject({ kind: 'entered', band: 'at-risk' });
    const better = healthNews(first.remember, h(90), h(70));
    expect(better.tell).toBeNull();
    expect(healthNews(better.remember, h(72), h(90)).tell).toMatchObject({ kind: 'entered', band: 'watch' });
  });

  it("the news reads in the reader's language, with every reason and the next step", () => {
    const news = healthNews(null, h(70), h(80)).tell!;
    const en = renderText(healthNewsReply(viewFor(tenant, undefined, new Date(NOW)), 'Acme', news));
    expect(en).toBe(
      "• Acme's health moved to watch (70/100)\nWhy\n  • decision-maker change 3 days ago, no executive of ours has met them since (−30)\nNext step: an executive of ours meets the new decision-maker.",
    );
    const zh = renderText(healthNewsReply(viewFor({ ...tenant, locale: 'zh-CN' } as Tenant, undefined, new Date(NOW)), 'Acme', news));
    expect(zh).toContain('下一步：我方高层拜访新的决策人。');
  });

  it('a fall of 15 in four weeks is news within a band, once', () => {
    const fall = healthNews({ band: 'at-risk', score: 45 }, h(28), h(45));
    expect(fall.tell).toMatchObject({ kind: 'falling', drop: 17 });
    expect(healthNews(fall.remember, h(27), h(44)).tell).toBeNull();
    expect(nextStep(h(90))).toBeUndefined();
  });
});

describe('health in replies', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('/account shows the score with its trend and top reasons; /risk lists the at-risk accounts worst first', async () => {
    h = harness({ now: new Date(NOW - 120 * DAY) });
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    await h.run('/account add Beta tier:key owner:@zhang', 'admin');
    h.now = new Date(NOW);
    await h.run('/complaint Acme severity:critical Reefer failed', 'zhang');
    h.now = new Date(NOW + 2 * DAY);
    const shown = (await h.run('/account Acme', 'zhang')).text;
    expect(shown).toMatch(/Health +\d+\/100, at risk, down \d+ in four weeks/);
    expect(shown).toContain('Why\n  • 1 open complaint (C-1), 1 past deadline, oldest 2 days (−35.1)');
    const risk = (await h.run('/risk', 'zhang')).text.split('\n');
    expect(risk[0]).toBe('! Accounts at risk or to watch in your book: 2');
    expect(risk[1]).toMatch(/^ {2}• Acme · zhang · \d+\/100, at risk/);
    // Never visited in four months: watch, after the account at risk.
    expect(risk[2]).toMatch(/^ {2}• Beta · zhang · \d+\/100, watch, steady · revisit 92 days overdue \(every 30 days\) \(−20\) · \+1 more reason$/);
    expect((await h.run('/risk mine', 'admin')).text).toBe('✔ Accounts at risk or to watch in your book: 0\n  No account is at risk or to watch. Keep the cadence.');
  });

  it("a promise is overdue at the end of its day in the workspace's zone, not in UTC", async () => {
    h = harness({ now: new Date('2026-11-23T17:00:00Z'), timezone: 'America/Los_Angeles' }); // 09:00 in Los Angeles
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    await h.run('/touch Acme visit Walked the new warehouse', 'zhang');
    await h.run('/promise Acme due:today Send the cold-chain quote', 'zhang');
    h.now = new Date('2026-11-24T00:30:00Z'); // 16:30 on the due day there
    expect((await h.run('/account Acme', 'zhang')).text).not.toContain('overdue');
    h.now = new Date('2026-11-24T08:00:00Z'); // 00:00 the next day
    expect((await h.run('/account Acme', 'zhang')).text).toContain('1 overdue');
  });

  it("a book's facts: each account has only its own complaints, the whole book read at once or a few accounts", async () => {
    h = harness({ now: new Date(NOW - 120 * DAY) });
    for (const name of ['Acme', 'Beta', 'Gamma']) await h.run(`/account add ${name} tier:key owner:@zhang`, 'admin');
    h.now = new Date(NOW);
    await h.run('/complaint Acme severity:critical Reefer failed', 'zhang');
    await h.run('/complaint Gamma severity:low Label missing', 'zhang');
    const tenant = (await h.db.select().from(tenants).get())!;
    const ids = new Map((await h.db.select({ id: accounts.id, name: accounts.name }).from(accounts).all()).map((a) => [a.name, a.id]));
    const scopes: (number[] | 'all')[] = ['all', [...ids.values()]];
    for (const scope of scopes) {
      const facts = await loadFacts(h.db, tenant, scope, NOW);
      const of = (name: string) => facts.get(ids.get(name)!)!;
      expect(of('Acme').complaints.map((c) => c.severity)).toEqual(['critical']);
      expect(of('Beta').complaints).toEqual([]);
      expect(of('Gamma').complaints.map((c) => c.severity)).toEqual(['low']);
      const scores = await healthOf(h.db, tenant, scope, new Date(NOW));
      expect(scores.get(ids.get('Beta')!)!.now.reasons.map((r) => r.key)).not.toContain('complaints');
      expect(scores.get(ids.get('Acme')!)!.now.reasons.map((r) => r.key)).toContain('complaints');
    }
  });

  it('over random books (several seeds), the whole book read at once scores each account as read alone or in a few', async () => {
    // A seeded generator (mulberry32), so a failing seed can be replayed.
    const rng = (seed: number) => {
      let s = seed >>> 0;
      return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = Math.imul(s ^ (s >>> 15), s | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
      };
    };
    const names = ['Acme', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta'];
    const tiers = ['strategic', 'key', 'standard'];
    const signals = ['volume-drop', 'price-pressure', 'competitor', 'payment-delay', 'strategy-change', 'decision-maker-change'];
    const severities = ['critical', 'high', 'medium', 'low'];
    let withReasons = 0;
    for (const seed of [1, 2, 3, 4]) {
      const random = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      h = harness({ now: new Date(NOW - 260 * DAY) });
      for (const name of names) await h.run(`/account add ${name} tier:${pick(tiers)} owner:@${pick(['zhang', 'ma'])}`, 'admin');
      await h.run('/risk', 'chen');
      await h.run('/steward role @chen exec', 'admin');
      let complaintsMade = 0;
      for (let step = 0; step < 70; step++) {
        h.now = new Date(h.now.getTime() + Math.floor(random() * 4 * DAY));
        if (step === 55) await h.run('/leave @li', 'admin');
        const name = pick(names);
        const who = pick(['zhang', 'ma', 'chen']);
        const roll = random();
        if (roll < 0.35) await h.run(`/touch ${name} ${pick(['visit', 'call', 'meeting', 'review'])} Catch-up`, who);
        else if (roll < 0.5) {
          await h.run(`/complaint ${name} severity:${pick(severities)} Late pickup`, who);
          complaintsMade++;
        } else if (roll < 0.6 && complaintsMade) await h.run(`/resolve C-${1 + Math.floor(random() * complaintsMade)} Fixed the schedule`, who);
        else if (roll < 0.72) await h.run(`/signal ${name} ${pick(signals)} Heard from their buyer`, who);
        else if (roll < 0.8) await h.run(`/promise ${name} due:today Send the quote`, who);
        else if (roll < 0.85) await h.run(`/pair ${name} @chen every:${pick([30, 60, 90])}d confirm`, 'admin');
        else if (roll < 0.9) await h.run(`/handover @${pick(['zhang', 'ma'])} @${pick(['zhang', 'ma', 'li'])} ${name}`, 'admin');
        else await h.run(`/contact ${name} add "${pick(['Li Wei', 'Sun Hao', 'Zhou Lan'])}" level:${pick(['decision-maker', 'operator', 'executive'])}`, who);
      }
      const tenant = (await h.db.select().from(tenants).get())!;
      const ids = (await h.db.select({ id: accounts.id }).from(accounts).all()).map((a) => a.id);
      // The book has every kind of fact the score reads.
      const count = (table: string) => (h.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      for (const table of ['touchpoints', 'complaints', 'churn_signals', 'promises', 'pairings']) expect(count(table), `${table}, seed ${seed}`).toBeGreaterThan(0);
      for (const at of [new Date(NOW), new Date(h.now.getTime() + 3 * DAY)]) {
        const all = await healthOf(h.db, tenant, 'all', at);
        expect([...all.keys()].sort()).toEqual([...ids].sort());
        for (const id of ids) expect((await healthOf(h.db, tenant, [id], at)).get(id)).toEqual(all.get(id));
        expect(await healthOf(h.db, tenant, ids.slice(1, 4), at)).toEqual(new Map(ids.slice(1, 4).map((id) => [id, all.get(id)])));
        withReasons += [...all.values()].filter((x) => x.now.reasons.length > 0).length;
      }
      h.close();
      h = harness();
    }
    // The books are not all quiet: the comparison saw reasons to agree on.
    expect(withReasons).toBeGreaterThan(0);
  });

  it('someone leaving shows as a drop in four weeks', async () => {
    h = harness({ now: new Date(NOW - 60 * DAY) });
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    h.now = new Date(NOW - 30 * DAY);
    await h.run('/touch Acme visit Quarterly review', 'zhang');
    h.now = new Date(NOW - DAY);
    await h.run('/touch Acme visit Walked the new warehouse', 'zhang');
    await h.run('/leave @zhang', 'admin');
    h.now = new Date(NOW);
    expect((await h.run('/account Acme', 'admin')).text).toMatch(/Health +81\/100, watch, down 19 in four weeks/);
  });
});

describe('the reasons in words', () => {
  it('counts open complaints and days in good English: one complaint, two complaints, one day', () => {
    const words = catalog('en').health.reason.complaints;
    expect(words({ open: 1, ids: 'C-1', overdue: 0, oldestDays: 1 })).toBe('1 open complaint (C-1), 0 past deadline, oldest 1 day');
    expect(words({ open: 2, ids: 'C-1, C-2', overdue: 1, oldestDays: 9 })).toBe('2 open complaints (C-1, C-2), 1 past deadline, oldest 9 days');
  });
});

describe('health and the trends read from one load of the facts (healthAndBandsAt)', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('over random books (several seeds), scores each account as healthOf does and counts each week as bandsAt does, whatever lies between their reaches', async () => {
    const rng = (seed: number) => {
      let s = seed >>> 0;
      return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = Math.imul(s ^ (s >>> 15), s | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
      };
    };
    const names = ['Acme', 'Beta', 'Gamma', 'Delta', 'Epsilon', 'Zeta'];
    const tiers = ['strategic', 'key', 'standard'];
    const signals = ['volume-drop', 'price-pressure', 'competitor', 'payment-delay', 'strategy-change', 'decision-maker-change'];
    const severities = ['critical', 'high', 'medium', 'low'];
    const start = NOW - 400 * DAY;
    let narrowedAt = 0;
    let flagged = 0;
    for (const seed of [11, 12, 13, 14]) {
      const random = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      h?.close();
      h = harness({ now: new Date(start) });
      for (const name of names) await h.run(`/account add ${name} tier:${pick(tiers)} owner:@${pick(['zhang', 'ma'])}`, 'admin');
      await h.run('/risk', 'chen');
      await h.run('/steward role @chen exec', 'admin');
      let complaintsMade = 0;
      // About 400 days of facts, so that some fall between health's reach and the trends' (seven weeks earlier).
      for (let step = 0; step < 110; step++) {
        h.now = new Date(h.now.getTime() + Math.floor(random() * 7 * DAY));
        if (step === 90) await h.run('/leave @li', 'admin');
        const name = pick(names);
        const who = pick(['zhang', 'ma', 'chen']);
        const roll = random();
        if (roll < 0.3) await h.run(`/touch ${name} ${pick(['visit', 'call', 'meeting', 'review'])} Catch-up`, who);
        else if (roll < 0.45) {
          await h.run(`/complaint ${name} severity:${pick(severities)} Late pickup`, who);
          complaintsMade++;
        } else if (roll < 0.53 && complaintsMade) await h.run(`/resolve C-${1 + Math.floor(random() * complaintsMade)} Fixed the schedule`, who);
        else if (roll < 0.58 && complaintsMade) await h.run(`/complaint assign C-${1 + Math.floor(random() * complaintsMade)} @${pick(['zhang', 'ma'])}`, 'admin');
        else if (roll < 0.7) await h.run(`/signal ${name} ${pick(signals)} Heard from their buyer`, who);
        else if (roll < 0.78) await h.run(`/promise ${name} due:today Send the quote`, who);
        else if (roll < 0.83) await h.run(`/pair ${name} @chen every:${pick([30, 60, 90])}d confirm`, 'admin');
        else if (roll < 0.9) await h.run(`/handover @${pick(['zhang', 'ma'])} @${pick(['zhang', 'ma', 'li'])} ${name}`, 'admin');
        else await h.run(`/contact ${name} add "${pick(['Li Wei', 'Sun Hao', 'Zhou Lan'])}" level:${pick(['decision-maker', 'operator', 'executive'])}`, who);
      }
      const tenant = (await h.db.select().from(tenants).get())!;
      const ids = (await h.db.select({ id: accounts.id }).from(accounts).all()).map((a) => a.id);
      for (let days = 120; days <= 480; days += 30) {
        const at = new Date(start + days * DAY);
        const ends = trendEnds(at);
        const both = await healthAndBandsAt(h.db, tenant, ids, at, ends);
        expect(both.scores, `seed ${seed}, day ${days}`).toEqual(await healthOf(h.db, tenant, ids, at));
        expect(both.bands, `seed ${seed}, day ${days}`).toEqual(await bandsAt(h.db, tenant, ids, ends));
        // The digest's trends with the bands read so are the trends read on their own.
        expect(await digestTrends(h.db, tenant, ids, at, 'Asia/Shanghai', TREND_WEEKS, both.bands)).toEqual(await digestTrends(h.db, tenant, ids, at, 'Asia/Shanghai'));
        // The two reaches saw different facts here: the shared load was read as each would have read it.
        const near = await loadFacts(h.db, tenant, ids, at.getTime());
        const far = await loadFacts(h.db, tenant, ids, Math.min(...ends));
        if (ids.some((id) => JSON.stringify(near.get(id)) !== JSON.stringify(far.get(id)))) narrowedAt++;
        flagged += [...both.scores.values()].filter((s) => s.now.band !== 'healthy').length;
      }
    }
    expect(narrowedAt).toBeGreaterThan(10);
    expect(flagged).toBeGreaterThan(0);
  });
});
