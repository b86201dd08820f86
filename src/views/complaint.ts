// A complaint as people see it: its card (the actor's confirmation, the owner's notice, the escalation
// channel's thread starter) and its buttons. The commands are in handlers/complaint.ts; the outbox
// redraws the channel's card from here, and the inbound service draws the card a click refreshes.
import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { accounts, complaints } from '../../db/schema.js';
import { fmtDateTime, fmtRelative, personName, ref } from '../domain/format.js';
import { memberById } from '../domain/permissions.js';
import type { Account, Complaint, Member, Tenant } from '../domain/types.js';
import { viewFor, type View } from '../domain/view.js';
import { fields, reply, text, type About, type MentionRef, type Reply, type Rich } from '../engine/reply.js';

/** What drawing a card needs: the reader's view, the workspace, the data, and how to mention a member. */
export interface CardCtx extends View {
  db: Tx;
  tenant: Tenant;
  mention(member: Member): MentionRef;
}

const accountOf = async (db: Tx, c: Complaint): Promise<Account> => (await db.select().from(accounts).where(eq(accounts.id, c.accountId)).get())!;

/** The buttons every open complaint carries, wherever it is shown. */
export function complaintButtons(ctx: View, c: Complaint): Reply['buttons'] {
  if (c.status !== 'open') return [];
  return [
    { label: ctx.t.buttons.resolve, command: `/resolve ${ref('C', c.number)}`, style: 'primary' },
    { label: ctx.t.buttons.takeOwnership, command: `/complaint assign ${ref('C', c.number)} me` },
  ];
}

/**
 * A complaint as a card, for the actor's confirmation and the escalation channel alike. `lasting`: for a message that stays where it is read
 * later (the escalation channel's thread starter), without "in 24 hours" or
 * "just now", which would go stale there.
 */
export async function complaintCard(ctx: CardCtx, c: Complaint, account: Account, view: View = ctx, lasting = false): Promise<Reply> {
  const { t } = view;
  const relative = (at: Date) => (lasting ? '' : ` (${fmtRelative(view, at)})`);
  const owner = await memberById(ctx, c.ownerId);
  const overdue = c.status === 'open' && c.deadlineAt < view.now;
  const rows: { label: string; value: Rich }[] = [
    { label: t.complaint.fields.account, value: `${account.name} (${t.enums.tier[account.tier]})` },
    { label: t.complaint.fields.severity, value: t.enums.severity[c.severity] },
    { label: t.complaint.fields.category, value: t.enums.category[c.category] },
    { label: t.complaint.fields.owner, value: owner ? [{ mention: ctx.mention(owner) }] : t.common.nobody },
    { label: t.complaint.fields.opened, value: `${fmtDateTime(view, c.openedAt)}${relative(c.openedAt)}` },
  ];
  if (c.status === 'open')
    rows.push({ label: t.complaint.fields.deadline, value: `${fmtDateTime(view, c.deadlineAt)}${overdue ? ` — ${t.common.overdue}` : relative(c.deadlineAt)}` });
  else rows.push({ label: t.complaint.fields.resolution, value: `${c.resolution ?? ''} (${fmtDateTime(view, c.resolvedAt ?? ctx.now)})` });
  if (c.escalationLevel > 0) rows.push({ label: t.complaint.fields.escalation, value: t.complaint.escalationLevel(c.escalationLevel) });
  const out = reply(overdue ? 'warning' : 'info', t.complaint.title(ref('C', c.number), account.name), text(c.summary), fields(rows));
  out.buttons = complaintButtons(view, c);
  return out;
}

/**
 * The complaint's card as the escalation channel shows it: in the workspace's
 * language and time zone, lasting, public, and marked as the complaint's, so a
 * platform can redraw it there with the new state when someone acts on it.
 */
export async function channelCard(ctx: CardCtx, c: Complaint, given?: Account): Promise<Reply> {
  const account = given ?? (await accountOf(ctx.db, c));
  const view = viewFor(ctx.tenant, undefined, ctx.now);
  return { ...(await complaintCard(ctx, c, account, view, true)), visibility: 'public', locale: view.locale, about: { complaint: c.number } };
}

/**
 * A complaint's card in the escalation channel as it is now, drawn without a command (the outbox redraws
 * the channel's card after any change): nobody acts, the workspace reads it, in its language and time zone.
 */
export async function currentChannelCard(db: Tx, tenant: Tenant, c: Complaint, now: Date): Promise<Reply> {
  const view = viewFor(tenant, undefined, now);
  const ctx: CardCtx = { ...view, db, tenant, mention: (m: Member) => ({ platformUserId: m.platformUserId, name: personName(view.t, tenant.platform, m) }) };
  return await channelCard(ctx, c);
}

/** The channel's card of what `about` names as it is now; undefined when it is gone. */
export async function sharedCard(ctx: CardCtx, about: About): Promise<Reply | undefined> {
  const c = await ctx.db
    .select()
    .from(complaints)
    .where(and(eq(complaints.tenantId, ctx.tenant.id), eq(complaints.number, about.complaint)))
    .get();
  return c && (await channelCard(ctx, c));
}
