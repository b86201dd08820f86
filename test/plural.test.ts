// Plurals (issue 22): a count's word follows the language's plural rules, through Intl.PluralRules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { en, type OrgRow } from '../prompts/en.js';
import { plural } from '../prompts/plural.js';

const NS = [0, 1, 2, 5, 21];

/**
 * English grammar: the singular goes with exactly one, the plural with every other count,
 * zero and twenty-one included ("0 days", "21 days"), unlike Russian's 21 день.
 */
const count = (n: number, one: string, other: string) => `${n} ${n === 1 ? one : other}`;
const word = (n: number, one: string, other: string) => (n === 1 ? one : other);

const row = (n: number): OrgRow => ({ accounts: n, atRisk: 3, watch: 4, single: 6, open: 7, escalated: 8, broken: 9, late: 10, revisits: n, lost: 11, book: 12, rate: '13%' });

/** Every English sentence with a counted word: [name, the catalog's sentence for n, the English it should be]. */
const sentences: [string, (n: number) => unknown, (n: number) => string][] = [
  ['account.nextRevisit', (n) => en.account.nextRevisit('Mon', n, -n), (n) => `Mon (every ${count(n, 'day', 'days')}${n > 0 ? `, ${count(n, 'day', 'days')} OVERDUE` : ''})`],
  ['account.nextRevisitSnoozed', (n) => en.account.nextRevisitSnoozed('Mon', n, 'Fri'), (n) => `Mon (every ${count(n, 'day', 'days')}), snoozed until Fri`],
  ['account.promiseLine', (n) => en.account.promiseLine('P-1', 'Quote', 'Fri', false, n), (n) => `P-1 due Fri${n > 0 ? ` (moved ${count(n, 'time', 'times')})` : ''}: Quote`],
  ['touch.nextRevisit', (n) => en.touch.nextRevisit('Fri', 'key', n), (n) => `Next revisit due Fri (key: every ${count(n, 'day', 'days')}).`],
  ['touch.openComplaints', (n) => en.touch.openComplaints('Acme', n), (n) => `Acme has ${count(n, 'open complaint', 'open complaints')}: /complaint list "Acme"`],
  ['complaint.history.weekly', (n) => en.complaint.history.weekly(n, 'Fri'), (n) => `raised again to the top rung weekly: ${count(n, 'time', 'times')}, last Fri`],
  [
    'complaint.life.passed',
    (n) => en.complaint.life.passed(n, n, 1, '3 days', true),
    (n) => `Passed ${count(n, 'time', 'times')} between ${count(n, 'person', 'people')} over 3 days, then resolved.`,
  ],
  ['complaint.life.reopenedTimes', (n) => en.complaint.life.reopenedTimes(n), (n) => `Reopened ${count(n, 'time', 'times')}.`],
  [
    'complaint.times.resolved',
    (n) => en.complaint.times.resolved(n, '2 hours', '3 days'),
    (n) => `${count(n, 'complaint', 'complaints')} resolved: first answer after 2 hours, resolved after 3 days (medians).`,
  ],
  ['complaint.times.open', (n) => en.complaint.times.open(n, 0), (n) => `${count(n, 'complaint', 'complaints')} open.`],
  [
    'complaint.times.oldest',
    (n) => en.complaint.times.oldest('C-1', 'Acme', '3 days', n),
    (n) => `Oldest open: C-1 · Acme, open for 3 days${n ? `, passed ${count(n, 'time', 'times')}` : ''}.`,
  ],
  [
    'promise.kept',
    (n) => en.promise.kept('P-1', false, n),
    (n) => `P-1 kept${n > 0 ? ` by the date agreed when it was moved (moved ${count(n, 'time', 'times')})` : ''}. Tell the customer it is done.`,
  ],
  ['promise.moved', (n) => en.promise.moved('P-1', 'Mon', 'Fri', n), (n) => `P-1 moved from Mon to Fri (moved ${count(n, 'time', 'times')}). Reminders now follow the new date.`],
  ['promise.movedTimes', (n) => en.promise.movedTimes(n), (n) => `moved ${count(n, 'time', 'times')}`],
  ['steward.ranSweep', (n) => en.steward.ranSweep(n, 'Mon', 0), (n) => `Sweep as of Mon: ${count(n, 'new nudge', 'new nudges')} decided.`],
  ['steward.ranDigest', (n) => en.steward.ranDigest(n, 'Mon', 0), (n) => `Weekly digest as of Mon: ${count(n, 'new digest', 'new digests')} recorded.`],
  ['steward.drySweep', (n) => en.steward.drySweep(n, 'Mon'), (n) => `Dry run: a sweep as of Mon would decide ${count(n, 'nudge', 'nudges')}.`],
  ['steward.dryDigest', (n) => en.steward.dryDigest(n, 'Mon'), (n) => `Dry run: a weekly digest as of Mon would record ${count(n, 'digest', 'digests')}.`],
  ['nudge.revisitWhy', (n) => en.nudge.revisitWhy(undefined, 'Key', n), (n) => `No visit on record yet. Key accounts are visited every ${count(n, 'day', 'days')}.`],
  ['nudge.revisitAgain', (n) => en.nudge.revisitAgain('Acme', n), (n) => `Reminder: Acme is ${count(n, 'day', 'days')} overdue for a revisit`],
  [
    'nudge.revisitManager',
    (n) => en.nudge.revisitManager('Acme', 'key', 'li', n),
    (n) => `Acme (key), owned by li, is ${count(n, 'day', 'days')} overdue for a revisit, after two nudges`,
  ],
  [
    'nudge.pairingWhy',
    (n) => en.nudge.pairingWhy(undefined, n),
    (n) => `You are paired with this account and have not touched it yet. Pairing cadence: every ${count(n, 'day', 'days')}.`,
  ],
  ['nudge.alertRepeat', (n) => en.nudge.alertRepeat('Acme', n), (n) => `Acme (strategic) has had ${count(n, 'complaint', 'complaints')} in 30 days`],
  [
    'nudge.promiseManager',
    (n) => en.nudge.promiseManager('P-1', 'Acme', 'li', 'Mon', n),
    (n) => `P-1 for Acme, li's, was due Mon and is still open (${count(n, 'day', 'days')} late)`,
  ],
  [
    'nudge.revisitManagerAgain',
    (n) => en.nudge.revisitManagerAgain('Acme', 'key', 'li', n, n),
    (n) => `Acme (key), owned by li, is still not visited: ${count(n, 'day', 'days')} overdue, after ${count(n, 'nudge', 'nudges')}`,
  ],
  ['digest.teamTitle', (n) => en.digest.teamTitle('li', n), (n) => `Weekly digest for li's team (${count(n, 'person', 'people')})`],
  ['digest.overdueLine', (n) => en.digest.overdueLine('Acme', 'key', 'li', n), (n) => `Acme · key · li · ${count(n, 'day', 'days')} overdue`],
  ['digest.promiseLine', (n) => en.digest.promiseLine('P-1', 'Acme', 'Quote', 'Mon', n), (n) => `P-1 · Acme · due Mon (${count(n, 'day', 'days')} late) · Quote`],
  ['pair.paired', (n) => en.pair.paired('wu', 'Acme', n), (n) => `wu is now paired with Acme, visiting every ${count(n, 'day', 'days')}.`],
  ['pair.updated', (n) => en.pair.updated('wu', 'Acme', n), (n) => `wu and Acme: now every ${count(n, 'day', 'days')}.`],
  ['pair.ended', (n) => en.pair.ended('Acme', n), (n) => `Ended ${count(n, 'pairing', 'pairings')} on Acme.`],
  ['pair.line', (n) => en.pair.line('Acme', 'wu', n, 'Mon', 'Fri', false), (n) => `Acme · wu · every ${count(n, 'day', 'days')} · last touch Mon · next Fri`],
  ['review.problem.complaints', (n) => en.review.problem.complaints(ids(n)), (n) => `${ids(n).join(', ')} ${word(n, 'is', 'are')} still open`],
  ['review.problem.promises', (n) => en.review.problem.promises(ids(n)), (n) => `${ids(n).join(', ')} ${word(n, 'is', 'are')} past due and still open`],
  [
    'review.facts.visit',
    (n) => en.review.facts.visit('Mon', n, 'Fri', n),
    (n) => `Last visit, meeting or review: Mon; every ${count(n, 'day', 'days')}, ${n > 0 ? `${count(n, 'day', 'days')} overdue` : 'next by Fri'}`,
  ],
  ['review.closedTitle', (n) => en.review.closedTitle(2026, 'Mon', n), (n) => `Supplier review season 2026 closed on Mon: ${count(n, 'review', 'reviews')} not held`],
  [
    'home.summary',
    (n) => en.home.summary(n, n, n),
    (n) => `${count(n, 'account', 'accounts')} · ${count(n, 'open complaint', 'open complaints')} · ${count(n, 'open promise', 'open promises')}`,
  ],
  ['lost.byCount', (n) => en.lost.byCount(0, n, '0%'), (n) => `By count: 0 of ${count(n, 'account', 'accounts')} lost (0%).`],
  ['health.reason.revisit', (n) => en.health.reason.revisit({ days: n, cadence: n }), (n) => `revisit ${count(n, 'day', 'days')} overdue (every ${count(n, 'day', 'days')})`],
  [
    'health.reason.revisit, snoozed',
    (n) => en.health.reason.revisit({ days: n, cadence: n, snoozedUntil: 'Fri' }),
    (n) => `revisit snoozed until Fri, not counted overdue (every ${count(n, 'day', 'days')})`,
  ],
  [
    'health.reason.complaints',
    (n) => en.health.reason.complaints({ open: n, ids: 'C-1', overdue: 0, oldestDays: n }),
    (n) => `${count(n, 'open complaint', 'open complaints')} (C-1), 0 past deadline, oldest ${count(n, 'day', 'days')}`,
  ],
  ['health.reason.pairing', (n) => en.health.reason.pairing({ days: n }), (n) => `leadership pairing lapsed ${count(n, 'day', 'days')} ago`],
  [
    'health.reason.decision-maker',
    (n) => en.health.reason['decision-maker']({ days: n, met: 0 }),
    (n) => `decision-maker change ${n > 0 ? `${count(n, 'day', 'days')} ago` : 'today'}, no executive of ours has met them since`,
  ],
  [
    'health.reason.complaint-history',
    (n) => en.health.reason['complaint-history']({ count: n, late: 0, longest: n, passes: n }),
    (n) =>
      `${count(n, 'complaint', 'complaints')} in 180 days, 0 resolved past deadline, the longest ${count(n, 'day', 'days')}${n ? `, passed between owners ${count(n, 'time', 'times')}` : ''}`,
  ],
  [
    'health.reason.handover',
    (n) => en.health.reason.handover({ days: n }),
    (n) => `handed over ${n > 0 ? `${count(n, 'day', 'days')} ago` : 'today'}: a new relationship for 90 days`,
  ],
  [
    'health.reason.signal',
    (n) => en.health.reason.signal({ kind: 'price complaint', days: n }),
    (n) => `price complaint reported ${n > 0 ? `${count(n, 'day', 'days')} ago` : 'today'}`,
  ],
  ['health.reason.promises', (n) => en.health.reason.promises({ broken: 2, byExec: 0, overdue: n }), (n) => `2 broken and ${count(n, 'overdue promise', 'overdue promises')}`],
  ['health.moreReasons', (n) => en.health.moreReasons(n), (n) => `+${count(n, 'more reason', 'more reasons')}`],
  ['org.riskTeamHeading', (n) => en.org.riskTeamHeading('li', 0, 0, n), (n) => `li: 0 at risk, 0 to watch, of ${count(n, 'account', 'accounts')}`],
  ['org.singleLine', (n) => en.org.singleLine('Acme', 'key', 'li', 1, n), (n) => `Acme · key · li · 1 of ours, ${count(n, 'level', 'levels')} of theirs in 90 days`],
  ['org.churnLine', (n) => en.org.churnLine('li', 0, n, '0%', '', '', '', false), (n) => `li: 0 of ${count(n, 'account', 'accounts')} lost (0%); no revenue on record`],
  [
    'org.digestTitle',
    (n) => en.org.digestTitle(n, n),
    (n) => `Weekly digest for the organisation: ${count(n, 'active account', 'active accounts')} in ${count(n, 'team', 'teams')}`,
  ],
  [
    'org.compareLine',
    (n) => en.org.compareLine('li', row(n)),
    (n) =>
      `li: ${count(n, 'account', 'accounts')} · 3 at risk, 4 to watch · 6 single-threaded · complaints 7 open, 8 escalated · promises 9 broken this quarter, 10 overdue · ${count(n, 'revisit', 'revisits')} overdue · churn this quarter 11 of 12 (13%)`,
  ],
  ['handover.done', (n) => en.handover.done('li', 'wu', n), (n) => `Handed over ${count(n, 'account', 'accounts')} from li to wu.`],
  ['handover.received', (n) => en.handover.received('li', 'zhang', n), (n) => `zhang handed ${count(n, 'account', 'accounts')} of li's over to you.`],
  ['handover.counts.accounts', (n) => en.handover.counts.accounts(n), (n) => count(n, 'account', 'accounts')],
  ['handover.counts.complaints', (n) => en.handover.counts.complaints(n), (n) => count(n, 'open complaint', 'open complaints')],
  ['handover.counts.promises', (n) => en.handover.counts.promises(n), (n) => count(n, 'open promise', 'open promises')],
  ['handover.counts.pairings', (n) => en.handover.counts.pairings(n), (n) => count(n, 'leadership pairing', 'leadership pairings')],
  ['handover.counts.reviews', (n) => en.handover.counts.reviews(n), (n) => count(n, 'open review item', 'open review items')],
  ['handover.counts.tasks', (n) => en.handover.counts.tasks(n), (n) => count(n, 'open checklist item', 'open checklist items')],
  [
    'handover.pairingsKept',
    (n) => en.handover.pairingsKept(n, 'li', 'wu'),
    (n) =>
      `${count(n, 'leadership pairing', 'leadership pairings')} ${word(n, 'stays', 'stay')} with li: wu is not an executive. Pair an executive with /pair <account> @executive.`,
  ],
  ['handover.left', (n) => en.handover.left('li', n), (n) => `li is recorded as having left; ${count(n, 'account', 'accounts')} flagged "owner gone".`],
  [
    'handover.leftAsk',
    (n) => en.handover.leftAsk('li', n, 'zhang'),
    (n) => `zhang recorded that li has left. Please hand over their ${count(n, 'account', 'accounts')} to someone else.`,
  ],
  ['checklist.nudgeTitle', (n) => en.checklist.nudgeTitle(n), (n) => `Your checklist: ${count(n, 'open item', 'open items')} due within a week or overdue`],
  ['attention.cadenceLonger', (n) => en.attention.cadenceLonger(n, n), (n) => `revisit every ${count(n, 'day', 'days')} → every ${count(n, 'day', 'days')}`],
  ['attention.snoozed', (n) => en.attention.snoozed(n, 'Fri'), (n) => `revisit nudges snoozed for ${count(n, 'day', 'days')}, until Fri`],
];

function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `C-${i + 1}`);
}

describe('plurals in English', () => {
  it.each(sentences)('%s: the singular with one, the plural with 0, 2, 5 and 21', (_name, actual, expected) => {
    for (const n of NS) expect(actual(n)).toBe(expected(n));
  });

  it('no sentence builds a plural by hand any more ("(s)", `n === 1 ?`): each goes through Intl.PluralRules', () => {
    for (const file of ['prompts/en.ts', 'prompts/zh-CN.ts']) {
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/\w\(s\)/);
      expect(source, file).not.toMatch(/[!=]== ?1 \?/);
    }
  });
});

describe('plural()', () => {
  const every = { zero: 'zero', one: 'one', two: 'two', few: 'few', many: 'many', other: 'other' } as const;
  const counts = [0, 1, 2, 3, 4, 5, 6, 11, 12, 21, 22, 25, 100, 101, 102, 111, 1.5, -1];

  it('picks the category Intl.PluralRules gives, in languages with two, one and six forms', () => {
    for (const locale of ['en', 'zh-CN', 'ru', 'ar', 'fr', 'pl'])
      for (const n of counts) expect(plural(locale, n, every), `${locale} ${n}`).toBe(new Intl.PluralRules(locale).select(n));
  });

  it('falls back to `other` for a category the word was not given', () => {
    expect(plural('ru', 5, { one: 'день', other: 'дня' })).toBe('дня');
    expect(plural('en', 1, { other: 'sheep' })).toBe('sheep');
  });

  it('Chinese has one form, whatever the count: its measure words do not change', () => {
    for (const n of [0, 1, 2, 5, 21]) expect(plural('zh-CN', n, { one: '一', other: '个' })).toBe('个');
  });
});
