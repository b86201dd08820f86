// Checklist items (tasks): a handover's meetings, a lost account's last conversation.
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { accounts, contacts, members, tasks } from '../../db/schema.js';
import { daysUntil, fmtDay } from './format.js';
import type { View } from './view.js';

/** The six things to do when a customer has decided to leave (DOMAIN.md). */
export const LAST_CONVERSATION = ['final-attempt', 'feedback', 'settle', 'claims', 'tell-customers', 'lesson'] as const;

export interface OpenTask {
  id: number;
  kind: string;
  itemKey: string;
  dueOn: string | null;
  account: string | null;
  contact: string | null;
  ownerId: number | null;
  owner: string | null;
}

/** Open checklist items, soonest due first. */
export async function openTasks(db: Tx, tenantId: number, where: { ownerId?: number; accountId?: number } = {}): Promise<OpenTask[]> {
  return await db
    .select({
      id: tasks.id,
      kind: tasks.kind,
      itemKey: tasks.itemKey,
      dueOn: tasks.dueOn,
      account: accounts.name,
      contact: contacts.name,
      ownerId: tasks.ownerId,
      owner: members.name,
    })
    .from(tasks)
    .leftJoin(accounts, eq(accounts.id, tasks.accountId))
    .leftJoin(contacts, eq(contacts.id, tasks.contactId))
    .leftJoin(members, eq(members.id, tasks.ownerId))
    .where(
      and(
        eq(tasks.tenantId, tenantId),
        isNull(tasks.doneAt),
        where.ownerId === undefined ? undefined : eq(tasks.ownerId, where.ownerId),
        where.accountId === undefined ? undefined : eq(tasks.accountId, where.accountId),
      ),
    )
    .orderBy(asc(tasks.dueOn), asc(tasks.id))
    .all();
}

/** "T-12 · Acme · Meet Li Wei · by Mon 21 Dec 2026 (OVERDUE)" */
export function taskLine(v: View, task: OpenTask): string {
  const what =
    task.itemKey === 'meet-contact'
      ? v.t.checklist.meet(task.contact ?? '?')
      : (LAST_CONVERSATION as readonly string[]).includes(task.itemKey)
        ? v.t.lost.checklist[task.itemKey as (typeof LAST_CONVERSATION)[number]]
        : task.itemKey;
  const due = task.dueOn ? v.t.checklist.due(fmtDay(v, task.dueOn), daysUntil(v, task.dueOn) < 0) : '';
  return `T-${task.id} · ${task.account ?? ''} · ${what}${due ? ` · ${due}` : ''}`;
}
