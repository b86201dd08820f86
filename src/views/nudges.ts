// The clock's messages, composed from what the domain sweep decided (src/domain/sweep.ts): a
// revisit or leadership visit due, a promise's eve, day or lateness, a review card and the
// season's closing summary, the weekly checklist, an escalation rung, news of an account's health.
// Each is written for its reader's view and carries its language.
import type { promises, reviewItems } from '../../db/schema.js';
import { fields, inLocale, list, reply, text, type Reply, type Rich } from '../engine/reply.js';
import { quote } from '../../prompts/quote.js';
import { fmtAge, fmtDateTime, fmtDay, personName, ref } from '../domain/format.js';
import { healthNewsReply } from './health.js';
import type { NudgeViews } from '../domain/sweep.js';
import { taskLine, type OpenTask } from '../domain/tasks.js';
import type { Account, Complaint, Member } from '../domain/types.js';
import type { View } from '../domain/view.js';
import type { Platform } from '../../db/schema.js';
import { reviewCard } from './review.js';

const withButtons = (r: Reply, buttons: Reply['buttons']): Reply => ({ ...r, buttons });

export function revisitButtons(v: View, a: Pick<Account, 'name'>): Reply['buttons'] {
  const name = quote(a.name);
  return [
    { label: v.t.buttons.logVisit, command: `/touch ${name} visit`, style: 'primary' },
    { label: v.t.buttons.snooze3, command: `/snooze ${name} 3d` },
    { label: v.t.buttons.snoozeWeek, command: `/snooze ${name} 1w` },
    { label: v.t.buttons.notNeeded, command: `/snooze ${name} not-needed` },
  ];
}

export function revisitDueCard(v: View, a: Account, lastVisit: number | null, cadence: number): Reply {
  return withButtons(
    reply(
      'warning',
      v.t.nudge.revisitDue(a.name, v.t.enums.tier[a.tier]),
      text(v.t.nudge.revisitWhy(lastVisit ? fmtDay(v, new Date(lastVisit)) : undefined, v.t.enums.tier[a.tier], cadence)),
    ),
    revisitButtons(v, a),
  );
}

export function revisitAgainCard(v: View, a: Account, overdueDays: number): Reply {
  return withButtons(reply('warning', v.t.nudge.revisitAgain(a.name, overdueDays)), revisitButtons(v, a));
}

export function revisitManagerCard(v: View, a: Account, owner: Member, overdueDays: number, told: number, again: boolean): Reply {
  const tier = v.t.enums.tier[a.tier];
  return reply('warning', again ? v.t.nudge.revisitManagerAgain(a.name, tier, owner.name, overdueDays, told) : v.t.nudge.revisitManager(a.name, tier, owner.name, overdueDays));
}

export function pairingDueCard(v: View, a: Account, lastTouch: number | null, cadenceDays: number): Reply {
  return withButtons(reply('warning', v.t.nudge.pairingDue(a.name), text(v.t.nudge.pairingWhy(lastTouch ? fmtDay(v, new Date(lastTouch)) : undefined, cadenceDays))), [
    { label: v.t.buttons.logVisit, command: `/touch ${quote(a.name)} visit`, style: 'primary' },
  ]);
}

type Promise_ = typeof promises.$inferSelect;

/** To the promise's owner, worded for the day it is read (`readDays` before its due day: 1 the eve, 0 the day, below late). */
export function promiseCard(v: View, p: Promise_, account: string, readDays: number): Reply {
  const id = ref('P', p.number);
  const title = readDays === 1 ? v.t.nudge.promiseEve(id, account) : readDays === 0 ? v.t.nudge.promiseDue(id, account) : v.t.nudge.promiseLate(id, account, fmtDay(v, p.dueOn));
  return withButtons(reply('warning', title, text(p.text)), [{ label: v.t.buttons.kept, command: `/promise kept ${id}`, style: 'primary' }]);
}

export function promiseManagerCard(v: View, p: Promise_, account: string, owner: Member, platform: Platform, lateDays: number): Reply {
  return reply('warning', v.t.nudge.promiseManager(ref('P', p.number), account, personName(v.t, platform, owner), fmtDay(v, p.dueOn), lateDays), text(p.text));
}

export function reviewClosedCard(v: View, year: number, items: { r: typeof reviewItems.$inferSelect; a: Account; owner: Member | undefined }[]): Reply {
  const lines = items.map(({ r, a, owner }) => v.t.review.closedLine(ref('R', r.number), a.name, owner?.name ?? v.t.common.nobody, v.t.review.status[r.status]));
  return reply('warning', v.t.review.closedTitle(year, fmtDay(v, items[0]!.r.dueOn), items.length), list(lines));
}

export function checklistCard(v: View, soon: OpenTask[]): Reply {
  return reply('warning', v.t.checklist.nudgeTitle(soon.length), list(soon.map((x) => taskLine(v, x))), text(v.t.checklist.nudgeHint));
}

export function escalationMessage(v: View, rung: number, c: Complaint, a: Account, owner: Member | undefined, target: Member | undefined, weekly = false): Reply {
  const id = ref('C', c.number);
  const who: Rich = target ? [{ mention: { platformUserId: target.platformUserId, name: target.name } }] : v.t.common.nobody;
  // A reopened complaint's ladder is its new life's: its age counts from the reopening, and says so.
  const reopened = c.reopenedAt != null;
  const age = fmtAge(v, c.reopenedAt ?? c.openedAt);
  const title = weekly
    ? v.t.nudge.escalationWeekly(id, age, reopened)
    : rung === 1
      ? v.t.nudge.escalation1(id, a.name, v.t.enums.tier[a.tier], reopened)
      : rung === 2
        ? v.t.nudge.escalation2(id, age, reopened)
        : v.t.nudge.escalation3(id, age, reopened);
  const out = reply(
    'error',
    title,
    text(typeof who === 'string' ? who : [...who, v.t.nudge.escalationAsk[rung === 1 ? 'owner' : rung === 2 ? 'manager' : 'exec']]),
    fields([
      { label: v.t.complaint.fields.account, value: `${a.name} (${v.t.enums.tier[a.tier]})` },
      { label: v.t.complaint.fields.severity, value: v.t.enums.severity[c.severity] },
      { label: reopened ? v.t.nudge.ageReopened : v.t.nudge.age, value: age },
      { label: v.t.complaint.fields.owner, value: owner ? [{ mention: { platformUserId: owner.platformUserId, name: owner.name } }] : v.t.common.nobody },
      { label: v.t.complaint.fields.deadline, value: fmtDateTime(v, c.deadlineAt) },
    ]),
    text(c.summary),
  );
  out.visibility = 'public';
  out.buttons = [
    { label: v.t.buttons.resolve, command: `/resolve ${id}`, style: 'primary' },
    { label: v.t.buttons.takeOwnership, command: `/complaint assign ${id} me` },
  ];
  return out;
}

/** The sweep's messages, each in its reader's language (the view it was written with). */
export const nudgeViews: NudgeViews = {
  revisitDue: (v, ...a) => inLocale(revisitDueCard(v, ...a), v.locale),
  revisitAgain: (v, ...a) => inLocale(revisitAgainCard(v, ...a), v.locale),
  revisitManager: (v, ...a) => inLocale(revisitManagerCard(v, ...a), v.locale),
  pairingDue: (v, ...a) => inLocale(pairingDueCard(v, ...a), v.locale),
  promise: (v, ...a) => inLocale(promiseCard(v, ...a), v.locale),
  promiseManager: (v, ...a) => inLocale(promiseManagerCard(v, ...a), v.locale),
  reviewCard: (v, r, a, who) => inLocale(reviewCard(v, r, a, { who }), v.locale),
  reviewClosed: (v, ...a) => inLocale(reviewClosedCard(v, ...a), v.locale),
  checklist: (v, ...a) => inLocale(checklistCard(v, ...a), v.locale),
  escalation: (v, ...a) => inLocale(escalationMessage(v, ...a), v.locale),
  health: (v, account, news) => inLocale(healthNewsReply(v, account, news), v.locale),
};
