import { afterEach, describe, expect, it } from 'vitest';
import { band, health, HEALTH_WEIGHTS as W, type AccountFacts } from '../src/domain/health.js';
import type { Tenant } from '../src/domain/types.js';
import { harness, type Harness } from './harness.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T02:00:00Z');
const tenant = { id: 1, timezone: 'Asia/Shanghai', locale: 'en', settings: {} } as unknown as Tenant;

/** A healthy strategic account: visited last week by two of ours, at two of their levels. */
function facts(over: Partial<AccountFacts> = {}, account: Partial<AccountFacts['account']> = {}): AccountFacts {
  return {
    account: { id: 1, tier: 'strategic', cadenceDays: null, createdAt: new Date(NOW - 400 * DAY), annualRevenue: null, categorySpend: null, ownerGoneAt: null, ...account },
    owned: true,
    ownerLeftAt: null,
    touches: [
      { at: NOW - 7 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' },
      { at: NOW - 20 * DAY, memberId: 2, ourLevel: 'operations', theirLevel: 'operator', kind: 'call' },
    ],
    complaints: [],
    signals: [],
    promises: [],
    pairings: [],
    ...over,
  };
}
const only = (f: AccountFacts) => health(tenant, f, NOW);

describe('account health: each signal, its weight and its evidence', () => {
  it('a well-kept account scores 100, healthy, with no reasons', () => {
    expect(only(facts())).toEqual({ score: 100, band: 'healthy', reasons: [] });
  });

  it('revisit overdue grows with the days past the cadence, up to its weight', () => {
    const at = (daysSinceVisit: number) => only(facts({ touches: [{ at: NOW - daysSinceVisit * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' }, { at: NOW - DAY, memberId: 2, ourLevel: 'finance', theirLevel: 'manager', kind: 'call' }] }));
    expect(at(14).reasons).toEqual([]);
    expect(at(21).reasons).toEqual([{ key: 'revisit', weight: 10, evidence: { days: 7, cadence: 14 } }]);
    expect(at(60).reasons[0]).toEqual({ key: 'revisit', weight: W.revisitOverdue, evidence: { days: 46, cadence: 14 } });
    expect(at(60).score).toBe(80);
    // An account added today with its history (an imported book) counts from its last visit, as the revisit nudges do.
    const imported = facts({ touches: [{ at: NOW - 21 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'decision-maker', kind: 'visit' }, { at: NOW - DAY, memberId: 2, ourLevel: 'finance', theirLevel: 'manager', kind: 'call' }] }, { createdAt: new Date(NOW - DAY) });
    expect(only(imported).reasons).toEqual([{ key: 'revisit', weight: 10, evidence: { days: 7, cadence: 14 } }]);
  });

  it('open complaints weigh by severity, more past their deadline and per escalation rung, capped', () => {
    const c = (severity: 'critical' | 'high' | 'medium' | 'low', overdue: boolean, level = 0, number = 1) => ({ number, severity, openedAt: NOW - 3 * DAY, deadlineAt: overdue ? NOW - DAY : NOW + DAY, resolvedAt: null, escalationLevel: level });
    expect(only(facts({ complaints: [c('medium', false)] })).reasons).toEqual([{ key: 'complaints', weight: 6, evidence: { open: 1, overdue: 0, oldestDays: 3, ids: 'C-1' } }]);
    expect(only(facts({ complaints: [c('high', true, 2)] })).reasons[0]!.weight).toBe(10 * 1.5 + 2 * 3);
    expect(only(facts({ complaints: [c('critical', true, 3, 1), c('critical', true, 3, 2)] })).reasons[0]!.weight).toBe(W.complaintsCap);
    // Resolved before now: no weight now.
    expect(only(facts({ complaints: [{ ...c('critical', true), resolvedAt: NOW - DAY }] })).reasons).toEqual([]);
  });

  it('single-threaded: one person of ours, or one level of theirs, in 90 days', () => {
    const one = facts({ touches: [{ at: NOW - 5 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'manager', kind: 'visit' }, { at: NOW - 9 * DAY, memberId: 1, ourLevel: 'sales', theirLevel: 'executive', kind: 'call' }] });
    expect(only(one).reasons).toEqual([{ key: 'single-threaded', weight: W.singleThreaded, evidence: { ours: 1, theirs: 2 } }]);
    // A brand-new account is not blamed for being new.
    expect(only({ ...one, account: { ...one.account, createdAt: new Date(NOW - 30 * DAY) } }).reasons).toEqual([]);
  });

  it('a lapsed leadership pairing, reset by the executive touching the account', () => {
    const pairing = { execId: 9, cadenceDays: 90, createdAt: NOW - 200 * DAY };
    expect(only(facts({ pairings: [pairing] })).reasons).toEqual([{ key: 'pairing', weight: W.lapsedPairing, evidence: { days: 110 } }]);
    const f = facts({ pairings: [pairing] });
    f.touches.push({ at: NOW - 10 * DAY, memberId: 9, ourLevel: 'executive', theirLevel: 'executive', kind: 'meeting' });
    expect(only(f).reasons).toEqual([]);
  });

  it('a decision-maker change not yet followed by an executive touch', () => {
    const f = facts({ signals: [{ kind: 'decision-maker-change', at: NOW - 12 * DAY }] });
    expect(only(f).reasons).toEqual([{ key: 'decision-maker', weight: W.decisionMakerUnmet, evidence: { days: 12 } }]);
    f.touches.push({ at: NOW - 2 * DAY, memberId: 9, ourLevel: 'executive', theirLevel: 'decision-maker', kind: 'meeting' });
    expect(only(f).reasons).toEqual([]);
  });

  it('warning signs fade over 90 days', () => {
    const sign = (days: number) => only(facts({ signals: [{ kind: 'volume-drop', at: NOW - days * DAY }] })).reasons;
    expect(sign(0)).toEqual([{ key: 'signal', weight: 10, evidence: { kind: 'volume-drop', days: 0 } }]);
    expect(sign(45)).toEqual([{ key: 'signal', weight: 5, evidence: { kind: 'volume-drop', days: 45 } }]);
    expect(sign(90)).toEqual([]);
  });

  it('owner gone, low wallet share, broken and overdue promises', () => {
    expect(only({ ...facts(), ownerLeftAt: NOW - DAY }).reasons).toEqual([{ key: 'owner-gone', weight: W.ownerGone, evidence: {} }]);
    // Before they left, they were not gone: a rep leaving shows as a drop in four weeks.
    expect(health(tenant, { ...facts(), ownerLeftAt: NOW - DAY }, NOW - 28 * DAY).reasons.map((r) => r.key)).not.toContain('owner-gone');
    expect(only({ ...facts(), owned: false }).reasons).toEqual([{ key: 'no-owner', weight: W.ownerGone, evidence: {} }]);
    expect(only(facts({}, { annualRevenue: 100, categorySpend: 1000 })).reasons).toEqual([{ key: 'wallet', weight: W.lowWalletShare, evidence: { share: 10 } }]);
    expect(only(facts({}, { annualRevenue: 300, categorySpend: 1000 })).reasons).toEqual([]);
    const promises = [
      { number: 1, dueAt: NOW - 10 * DAY, status: 'broken', closedAt: NOW - 5 * DAY },
      { number: 2, dueAt: NOW - 2 * DAY, status: 'open', closedAt: null },
    ];
    expect(only(facts({ promises })).reasons).toEqual([{ key: 'promises', weight: W.brokenPromise + W.overduePromise, evidence: { broken: 1, overdue: 1 } }]);
  });

  it('reasons come worst first, and the bands split at 75 and 50', () => {
    const f = facts({ signals: [{ kind: 'competitor', at: NOW }], complaints: [{ number: 4, severity: 'critical', openedAt: NOW - DAY, deadlineAt: NOW - 1000, resolvedAt: null, escalationLevel: 1 }] }, { annualRevenue: 1, categorySpend: 100 });
    const h = only(f);
    expect(h.reasons.map((r) => r.key)).toEqual(['complaints', 'signal', 'wallet']);
    // 100 − (15 × 1.5 + 3) − 8 − 5 = 61.5, rounded.
    expect([h.score, h.band]).toEqual([62, 'watch']);
    expect([band(100), band(75), band(74), band(50), band(49)]).toEqual(['healthy', 'healthy', 'watch', 'watch', 'at-risk']);
  });

  it('read as of four weeks ago, for the trend', () => {
    const f = facts({ complaints: [{ number: 1, severity: 'high', openedAt: NOW - 10 * DAY, deadlineAt: NOW - 9 * DAY, resolvedAt: null, escalationLevel: 0 }] });
    expect(health(tenant, f, NOW - 28 * DAY).reasons.find((r) => r.key === 'complaints')).toBeUndefined();
    expect(health(tenant, f, NOW).reasons.find((r) => r.key === 'complaints')).toBeDefined();
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
    expect(shown).toContain('Why\n  • 1 open complaint(s) (C-1), 1 past deadline, oldest 2 days (−22.5)');
    const risk = (await h.run('/risk', 'zhang')).text.split('\n');
    expect(risk[0]).toBe('! At-risk accounts in your book: 1');
    expect(risk[1]).toMatch(/^ {2}• Acme · zhang · \d+\/100, at risk/);
    expect((await h.run('/risk mine', 'admin')).text).toBe('✔ At-risk accounts in your book: 0\n  No account is at risk. Keep the cadence.');
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

  it('someone leaving shows as a drop in four weeks', async () => {
    h = harness({ now: new Date(NOW - 60 * DAY) });
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    h.now = new Date(NOW - 30 * DAY);
    await h.run('/touch Acme visit Quarterly review', 'zhang');
    h.now = new Date(NOW - DAY);
    await h.run('/touch Acme visit Walked the new warehouse', 'zhang');
    await h.run('/leave @zhang', 'admin');
    h.now = new Date(NOW);
    expect((await h.run('/account Acme', 'admin')).text).toMatch(/Health +85\/100, healthy, down 15 in four weeks/);
  });
});
