// Handover (交接): moving a rep's accounts, with everything still open on them,
// to someone else, and the new owner's checklist; and recording that a rep has
// left, so their accounts are flagged "owner gone" until someone takes them over.
import { and, asc, eq, inArray, isNull, ne, type Column, type SQL } from 'drizzle-orm';
import { recordComplaintEvent } from '../src/domain/complaint-life.js';
import { DateTime } from 'luxon';
import { accounts, complaints, contacts, members, pairings, promises, reviewItems, tasks } from '../db/schema.js';
import { fmtDay, named as nameOf, personName } from '../src/domain/format.js';
import { matchAccount } from '../src/domain/match.js';
import { countWhere } from '../src/domain/numbers.js';
import { managersAbove, managersWho, memberById, requireAbove } from '../src/domain/permissions.js';
import type { Account, Member } from '../src/domain/types.js';
import { viewFor, type View } from '../src/domain/view.js';
import { recordLeave } from '../src/domain/leavers.js';
import { askHandover, leftReply } from '../src/views/leavers.js';
import { UserError } from '../src/engine/errors.js';
import { list, reply, text, type Reply, type Section } from '../src/engine/reply.js';
import type { CommandSpec, Ctx, Input } from '../src/engine/spec.js';

/** The new owner meets every contact of each strategic account within this many days. */
export const HANDOVER_MEET_DAYS = 30;

/** Who leads a team: a manager, or an executive above managers. */
const leads = (m: Member) => m.role === 'manager' || m.role === 'exec';

/**
 * An admin, or a manager or executive whose line @from is in (a manager's own book included), as for
 * /leave: a manager or executive of another line may not give it away. Otherwise a refusal naming who may.
 */
export function requireHandover(ctx: Ctx, from: Member, what: string): void {
  const { actor } = ctx;
  if (actor.role === 'admin') return;
  const above = managersAbove(ctx, from);
  if ((actor.role === 'manager' && from.id === actor.id) || (leads(actor) && above.some((m) => m.id === actor.id))) return;
  throw new UserError(ctx.t.perm.refused(what, managersWho(ctx, above, leads)), [], false);
}

/**
 * Account names typed after the mentions: several, separated by commas (, ， 、)
 * or each in quotes ("…", “…”, 「…」, 『…』). An unquoted run is one name, spaces included.
 */
export function splitNames(typed: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』|([^,，、"“”「」『』]+)/gu;
  for (const m of typed.matchAll(re)) {
    const name = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').trim();
    if (name) out.push(name);
  }
  return out;
}

function namedAccounts(ctx: Ctx, typed: string, from: Member): Account[] {
  const { t } = ctx;
  const names = splitNames(typed);
  if (names.length === 0) throw new UserError(t.handover.noNames, [], false);
  const found = new Map<number, Account>();
  for (const name of names) {
    const m = matchAccount(ctx.db, ctx.tenant.id, name);
    if (m.kind === 'ambiguous') throw new UserError(t.errors.ambiguousAccount(name), m.candidates.map((a) => a.name), false);
    if (m.kind === 'none') throw new UserError(t.errors.unknownAccount(name, m.suggestions), [], false);
    const account = m.item;
    if (account.ownerId !== from.id) throw new UserError(t.handover.notTheirs(account.name, nameOf(ctx, from), nameOf(ctx, memberById(ctx, account.ownerId))), [], false);
    found.set(account.id, account);
  }
  return [...found.values()];
}

interface Moved {
  accounts: number;
  complaints: number;
  promises: number;
  pairings: number;
  reviews: number;
  tasks: number;
}

interface Meeting {
  contact: string;
  account: string;
}

function countLines(t: View['t'], moved: Moved): string[] {
  const h = t.handover.counts;
  return [
    h.accounts(moved.accounts),
    h.complaints(moved.complaints),
    h.promises(moved.promises),
    h.pairings(moved.pairings),
    h.reviews(moved.reviews),
    h.tasks(moved.tasks),
  ];
}

function checklist(view: View, meetings: Meeting[], due: string): Section {
  const { t } = view;
  return list(
    meetings.map((m) => t.handover.meet(m.contact, m.account, fmtDay(view, due))),
    { heading: t.handover.checklistHeading(HANDOVER_MEET_DAYS), empty: t.handover.noChecklist },
  );
}

function handover(ctx: Ctx, input: Input): Reply {
  const { t, db } = ctx;
  const from = input.member('from')!;
  const to = input.member('to')!;
  requireHandover(ctx, from, t.handover.whatHandover(nameOf(ctx, from)));
  if (from.id === to.id) throw new UserError(t.handover.same(nameOf(ctx, from)), [], false);
  if (!to.active) throw new UserError(t.handover.inactiveTo(nameOf(ctx, to)), [], false);

  const named = input.text ? namedAccounts(ctx, input.text, from) : undefined;
  const moving =
    named ??
    db
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, ctx.tenant.id), eq(accounts.ownerId, from.id), eq(accounts.status, 'active')))
      .orderBy(asc(accounts.nameKey))
      .all();
  const ids = moving.map((a) => a.id);
  // Named accounts: what is open on them. No names: everything still open in @from's name, wherever it is.
  const scope = (column: Column): SQL | undefined => (named ? inArray(column, ids.length ? ids : [-1]) : undefined);

  const openComplaints = db
    .select({ id: complaints.id })
    .from(complaints)
    .where(and(eq(complaints.tenantId, ctx.tenant.id), eq(complaints.ownerId, from.id), eq(complaints.status, 'open'), scope(complaints.accountId)))
    .all();
  const openPromises = db
    .select({ id: promises.id })
    .from(promises)
    .where(and(eq(promises.tenantId, ctx.tenant.id), eq(promises.ownerId, from.id), eq(promises.status, 'open'), scope(promises.accountId)))
    .all();
  const openReviews = db
    .select({ id: reviewItems.id })
    .from(reviewItems)
    .where(and(eq(reviewItems.tenantId, ctx.tenant.id), eq(reviewItems.ownerId, from.id), ne(reviewItems.status, 'held'), scope(reviewItems.accountId)))
    .all();
  const openTasks = db
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.tenantId, ctx.tenant.id), eq(tasks.ownerId, from.id), isNull(tasks.doneAt), scope(tasks.accountId)))
    .all();
  const activePairings = db
    .select()
    .from(pairings)
    .where(and(eq(pairings.tenantId, ctx.tenant.id), eq(pairings.execId, from.id), eq(pairings.active, true), scope(pairings.accountId)))
    .all();

  const total = moving.length + openComplaints.length + openPromises.length + openReviews.length + openTasks.length + activePairings.length;
  if (total === 0) throw new UserError(t.handover.nothing(nameOf(ctx, from)), [], false);

  for (const a of moving) {
    db.update(accounts).set({ ownerId: to.id, ownerGoneAt: null, updatedAt: ctx.now }).where(eq(accounts.id, a.id)).run();
  }
  const move = <T extends typeof complaints | typeof promises | typeof reviewItems | typeof tasks>(table: T, rows: { id: number }[]) => {
    if (rows.length) db.update(table).set({ ownerId: to.id } as never).where(inArray(table.id, rows.map((r) => r.id))).run();
  };
  move(complaints, openComplaints);
  // A complaint that changes hands with the book is a pass in its history, as a reassignment is.
  for (const c of openComplaints) recordComplaintEvent(db, { id: c.id, tenantId: ctx.tenant.id }, 'pass', ctx.now, { actorId: ctx.actor.id, fromId: from.id, toId: to.id });
  move(promises, openPromises);
  move(reviewItems, openReviews);
  move(tasks, openTasks);

  // A leadership pairing needs an executive: it follows only to an exec or an admin.
  const canPair = to.role === 'exec' || to.role === 'admin';
  let pairingsMoved = 0;
  if (canPair) {
    for (const p of activePairings) {
      const already = db
        .select({ id: pairings.id })
        .from(pairings)
        .where(and(eq(pairings.accountId, p.accountId), eq(pairings.execId, to.id), eq(pairings.active, true)))
        .get();
      if (already) db.update(pairings).set({ active: false, endedAt: ctx.now }).where(eq(pairings.id, p.id)).run();
      else db.update(pairings).set({ execId: to.id }).where(eq(pairings.id, p.id)).run();
      pairingsMoved++;
    }
  }
  const pairingsKept = activePairings.length - pairingsMoved;

  // The checklist: meet every active contact of each strategic account moved.
  const due = DateTime.fromJSDate(ctx.now, { zone: ctx.zone }).plus({ days: HANDOVER_MEET_DAYS }).toISODate()!;
  const meetings: Meeting[] = [];
  for (const a of moving.filter((x) => x.tier === 'strategic')) {
    const people = db
      .select()
      .from(contacts)
      .where(and(eq(contacts.accountId, a.id), eq(contacts.active, true)))
      .orderBy(asc(contacts.nameKey))
      .all();
    // A contact whose meeting is already on the list (moved with an earlier handover) is not listed twice.
    const listed = new Set(
      db
        .select({ contactId: tasks.contactId })
        .from(tasks)
        .where(and(eq(tasks.accountId, a.id), eq(tasks.kind, 'handover'), eq(tasks.itemKey, 'meet-contact'), isNull(tasks.doneAt)))
        .all()
        .map((x) => x.contactId),
    );
    for (const c of people.filter((p) => !listed.has(p.id))) {
      db.insert(tasks)
        .values({ tenantId: ctx.tenant.id, kind: 'handover', accountId: a.id, contactId: c.id, ownerId: to.id, itemKey: 'meet-contact', dueOn: due, createdAt: ctx.now })
        .run();
      meetings.push({ contact: c.name, account: a.name });
    }
  }

  const moved: Moved = {
    accounts: moving.length,
    complaints: openComplaints.length,
    promises: openPromises.length,
    pairings: pairingsMoved,
    reviews: openReviews.length,
    tasks: openTasks.length,
  };
  ctx.audit('handover', 'member', from.id, { to: to.id, accountIds: ids, ...moved, pairingsKept, meetings: meetings.length });

  const who = (view: View, m: Member) => personName(view.t, ctx.tenant.platform, m);
  const compose = (view: View, title: string): Reply => {
    const out = reply('success', title, list(countLines(view.t, moved), { heading: view.t.handover.movedHeading }));
    if (moving.length) out.sections.push(list(moving.map((a) => a.name), { heading: view.t.handover.accountsHeading }));
    if (pairingsKept) out.sections.push(text(view.t.handover.pairingsKept(pairingsKept, who(view, from), who(view, to))));
    out.sections.push(checklist(view, meetings, due));
    return out;
  };
  if (to.id !== ctx.actor.id) {
    const view = viewFor(ctx.tenant, to, ctx.now);
    ctx.notices.push({ to: { member: to }, reply: compose(view, view.t.handover.received(who(view, from), who(view, ctx.actor), moving.length)) });
  }
  return compose(ctx, t.handover.done(nameOf(ctx, from), nameOf(ctx, to), moving.length));
}

function leave(ctx: Ctx, input: Input): Reply {
  const { t } = ctx;
  const rep = input.member('member')!;
  requireAbove(ctx, rep, t.handover.whatLeave(nameOf(ctx, rep)));
  if (rep.id === ctx.actor.id) throw new UserError(t.handover.selfLeave, [], false);
  if (!rep.active) throw new UserError(t.handover.alreadyLeft(nameOf(ctx, rep)), [], false);
  // As /steward role: the workspace must keep someone who can administer it.
  if (rep.role === 'admin') {
    const admins = countWhere(ctx.db, members, and(eq(members.tenantId, ctx.tenant.id), eq(members.role, 'admin'), eq(members.active, true), ne(members.id, rep.id)));
    if (admins === 0) throw new UserError(t.steward.lastAdmin(nameOf(ctx, rep)), [], false);
  }
  const left = recordLeave(ctx, rep, memberById(ctx, rep.managerId));
  askHandover(ctx, left, nameOf(ctx, ctx.actor));
  return leftReply(ctx, left);
}

export const handoverCommand: CommandSpec = {
  name: 'handover',
  aliases: ['交接', '移交'],
  summary: 'handover',
  forms: [
    {
      usage: '@from @to [account, ...]',
      args: [
        { name: 'from', type: 'mention' },
        { name: 'to', type: 'mention' },
      ],
      text: { name: 'account', required: false },
      run: handover,
    },
  ],
  examples: {
    en: ['/handover @zhang @wang', '/handover @zhang @wang Acme, "Beta Trading"'],
    'zh-CN': ['/交接 @张伟 @王芳', '/交接 @张伟 @王芳 华东物流，“北方贸易”'],
  },
};

export const leaveCommand: CommandSpec = {
  name: 'leave',
  aliases: ['离职'],
  summary: 'leave',
  forms: [{ usage: '@someone', args: [{ name: 'member', type: 'mention' }], run: leave }],
  examples: { en: ['/leave @zhang'], 'zh-CN': ['/离职 @张伟'] },
};
