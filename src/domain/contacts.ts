// The people we know at a customer: adding one, and recording that one has
// left (a decision-maker leaving is a churn signal). /contact writes through
// these; the CSV import of contacts checks a name with the same rule.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { churnSignals, contacts } from '../../db/schema.js';
import { checkLength } from './accounts.js';
import type { DomainCtx } from './context.js';
import { requireTeam } from './permissions.js';
import { Refusal } from './refusal.js';
import { normalize } from './text.js';
import type { Account, Contact } from './types.js';
import { viewFor, type View } from './view.js';

/** Leaving at these levels is a churn signal: the seat that gave us the business can take it away. */
export const DECISION_LEVELS: readonly Contact['level'][] = ['executive', 'decision-maker'];

/** An account's contacts (only those still there, unless `activeOnly` is false), by name. */
export async function contactsOf(ctx: Pick<DomainCtx, 'db'>, accountId: number, activeOnly = true): Promise<Contact[]> {
  return await (activeOnly ? activeContactsOf(ctx.db) : allContactsOf(ctx.db)).all({ accountId });
}

// /touch to:, /contact and the contact's form run these: prepared once per connection (see db/prepared.ts).
const activeContactsOf = (db: Tx) =>
  prepared(db, 'contacts.active', (q) =>
    q
      .select()
      .from(contacts)
      .where(and(eq(contacts.accountId, sql.placeholder('accountId')), eq(contacts.active, true)))
      .orderBy(asc(contacts.name))
      .prepare(),
  );
const allContactsOf = (db: Tx) =>
  prepared(db, 'contacts.all', (q) =>
    q
      .select()
      .from(contacts)
      .where(eq(contacts.accountId, sql.placeholder('accountId')))
      .orderBy(asc(contacts.name))
      .prepare(),
  );

/** A person's name as kept: single spaces, at most MAX_NAME characters. */
export function contactName(typed: string): string {
  const clean = typed.replace(/\s+/g, ' ').trim();
  checkLength(clean);
  return clean;
}

export interface NewContact {
  name: string;
  title?: string;
  level?: Contact['level'];
  function?: string;
}

/** Adds someone we know at the account; its team (and those above it) may. */
export async function addContact(ctx: DomainCtx, account: Account, input: NewContact, what: string): Promise<Contact> {
  await requireTeam(ctx, account, what);
  const name = contactName(input.name);
  const same = (await contactsOf(ctx, account.id)).find((c) => c.nameKey === normalize(name));
  if (same) throw new Refusal('contact.exists', same.name, account.name);
  const level = input.level ?? 'manager';
  const contact = await ctx.db
    .insert(contacts)
    .values({ tenantId: ctx.tenant.id, accountId: account.id, name, nameKey: normalize(name), title: input.title, level, function: input.function, createdAt: ctx.now })
    .returning()
    .get();
  await ctx.audit('contact.add', 'contact', contact.id, { account: account.name, name, level });
  return contact;
}

export interface Departure {
  replacement?: Contact;
  /** The churn signal's detail in the reader's words, when the seat was a decision-maker's. */
  signal?: (v: View) => string;
}

/**
 * Records that `gone` has left the account, and who took their seat (someone we
 * know there, or someone new who takes the seat, level and title). A
 * decision-maker leaving is recorded as a churn signal.
 */
export async function recordContactLeft(ctx: DomainCtx, account: Account, gone: Contact, replacedBy?: string): Promise<Departure> {
  let replacement: Contact | undefined;
  if (replacedBy !== undefined) {
    const name = contactName(replacedBy);
    replacement =
      (await contactsOf(ctx, account.id)).find((c) => c.id !== gone.id && c.nameKey === normalize(name)) ??
      // A successor we have not met yet takes the seat, level and title of the one who left.
      (await ctx.db
        .insert(contacts)
        .values({
          tenantId: ctx.tenant.id,
          accountId: account.id,
          name,
          nameKey: normalize(name),
          title: gone.title,
          level: gone.level,
          function: gone.function,
          createdAt: ctx.now,
        })
        .returning()
        .get());
  }
  await ctx.db
    .update(contacts)
    .set({ active: false, leftAt: ctx.now, replacedById: replacement?.id ?? null })
    .where(eq(contacts.id, gone.id))
    .run();
  await ctx.audit('contact.left', 'contact', gone.id, { account: account.name, replacedBy: replacement?.name });
  if (!DECISION_LEVELS.includes(gone.level)) return { replacement };
  // Worded for each reader; the record keeps the workspace's language, as what is posted in its channel.
  const signal = (v: View) => v.t.contact.signalDetail(gone.name, gone.title ?? v.t.enums.level[gone.level], replacement?.name);
  await ctx.db
    .insert(churnSignals)
    .values({
      tenantId: ctx.tenant.id,
      accountId: account.id,
      kind: 'decision-maker-change',
      detail: signal(viewFor(ctx.tenant, undefined, ctx.now)),
      reporterId: ctx.actor.id,
      contactId: gone.id,
      source: 'contact-left',
      occurredAt: ctx.now,
    })
    .run();
  return { replacement, signal };
}
