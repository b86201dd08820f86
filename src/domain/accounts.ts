// Adding an account and changing its profile: the rules of a name, its aliases,
// its owner and its wallet numbers live here once. Chat's /account add and set
// write through addAccount and setAccount; the CSV import of accounts plans its
// rows in memory and checks each with the same rules (checkName, checkAliases,
// checkOwner, checkWallet), so both refuse the same thing with the same words.
import { eq } from 'drizzle-orm';
import { accountAliases, accounts, type Platform } from '../../db/schema.js';
import type { DomainCtx } from './context.js';
import { fmtMoney, personName } from './format.js';
import { accountByExactName } from './match.js';
import { memberById, requireAbove, requireOwnerOrManager } from './permissions.js';
import { Refusal } from './refusal.js';
import { MAX_NAME, normalize } from './text.js';
import type { Account, Member } from './types.js';
import type { View } from './view.js';

/** The account a name or alias already belongs to, if any (in the database, or in an import's plan). */
export type NameHolder = (typed: string) => Promise<Pick<Account, 'id' | 'name'> | undefined>;

/** Aliases as typed in one field or cell: separated by commas, 、 or semicolons (either width); repeats dropped. */
export function splitAliases(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(/[,，、;；]/u)
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    ),
  ];
}

/** A name fits (MAX_NAME characters). */
export function checkLength(text: string): void {
  const length = [...text].length;
  if (length > MAX_NAME) throw new Refusal('errors.tooLong', length, MAX_NAME);
}

/** A name or alias belongs to one account: `typed` may not name another than `self`. */
export async function checkName(typed: string, holder: NameHolder, self?: { id: number }): Promise<void> {
  checkLength(typed);
  const clash = await holder(typed);
  if (clash && clash.id !== self?.id) throw new Refusal('account.nameTaken', typed, clash.name);
}

export async function checkAliases(aliases: readonly string[], holder: NameHolder, self?: { id: number }): Promise<void> {
  for (const alias of aliases) await checkName(alias, holder, self);
}

/** Someone who has left owns nothing new. */
export function checkOwner(v: Pick<View, 't'>, platform: Platform, owner: Member): void {
  if (!owner.active) throw Object.assign(new Refusal('complaint.inactiveMember', personName(v.t, platform, owner)), { field: 'owner' });
}

/**
 * Wallet share is our revenue from them over their total spend in our category
 * (DOMAIN.md): our revenue cannot exceed it. `stored` fills in the one not given.
 */
export function checkWallet(v: View, given: { annualRevenue?: number; categorySpend?: number }, stored?: Pick<Account, 'annualRevenue' | 'categorySpend'>): void {
  if (given.annualRevenue === undefined && given.categorySpend === undefined) return;
  const ours = given.annualRevenue ?? stored?.annualRevenue;
  const theirs = given.categorySpend ?? stored?.categorySpend;
  if (ours != null && theirs != null && ours > theirs) {
    // Rounded alike (1.24m and 1.2m both read 1.2M), the two are shown in full.
    const alike = fmtMoney(v, ours) === fmtMoney(v, theirs);
    const show = (n: number) => (alike ? new Intl.NumberFormat(v.locale).format(n) : fmtMoney(v, n));
    const refusal = new Refusal('account.revenueOverSpend', show(ours), show(theirs));
    refusal.field = given.annualRevenue === undefined ? 'spend' : 'revenue';
    throw refusal;
  }
}

/** What /account add and set may give; undefined leaves a field as it is. */
export interface AccountProfile {
  tier?: Account['tier'];
  owner?: Member;
  region?: string;
  industry?: string;
  annualRevenue?: number;
  categorySpend?: number;
  cadenceDays?: number;
  aliases?: string[];
}

const inBook =
  (ctx: DomainCtx): NameHolder =>
  (typed) =>
    accountByExactName(ctx.db, ctx.tenant.id, typed);

async function checkProfile(ctx: DomainCtx, p: AccountProfile, self?: Account): Promise<void> {
  if (p.aliases) await checkAliases(p.aliases, inBook(ctx), self);
  if (p.owner) checkOwner(ctx, ctx.tenant.platform, p.owner);
}

function columns(p: AccountProfile) {
  const out = {
    tier: p.tier,
    ownerId: p.owner?.id,
    region: p.region,
    industry: p.industry,
    annualRevenue: p.annualRevenue,
    categorySpend: p.categorySpend,
    cadenceDays: p.cadenceDays,
    aliases: p.aliases,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Partial<typeof out>;
}

async function saveAliases(ctx: DomainCtx, accountId: number, aliases: string[]): Promise<void> {
  await ctx.db.delete(accountAliases).where(eq(accountAliases.accountId, accountId)).run();
  const keys = [...new Set(aliases.map(normalize))];
  if (keys.length)
    await ctx.db
      .insert(accountAliases)
      .values(keys.map((key) => ({ tenantId: ctx.tenant.id, accountId, key })))
      .run();
}

/** Adds an account, owned by `profile.owner` or else by whoever adds it. */
export async function addAccount(ctx: DomainCtx, name: string, profile: AccountProfile): Promise<Account> {
  await checkName(name, inBook(ctx));
  await checkProfile(ctx, profile);
  checkWallet(ctx, profile);
  const account = await ctx.db
    .insert(accounts)
    .values({ ...columns(profile), tenantId: ctx.tenant.id, name, nameKey: normalize(name), ownerId: profile.owner?.id ?? ctx.actor.id, createdAt: ctx.now, updatedAt: ctx.now })
    .returning()
    .get();
  await saveAliases(ctx, account.id, account.aliases);
  await ctx.audit('account.add', 'account', account.id, { name });
  return account;
}

/** The fields setAccount changed, by column. */
export type AccountChange = ReturnType<typeof columns> & { name?: string; nameKey?: string };

/**
 * Changes an account's profile: its owner, someone above them or an admin may;
 * a new owner (a handover) needs someone above the owner. Returns the account
 * as it is now and what changed.
 */
export async function setAccount(
  ctx: DomainCtx,
  account: Account,
  profile: AccountProfile & { name?: string },
  what: { edit: string; changeOwner: string },
): Promise<{ updated: Account; changed: AccountChange }> {
  await checkProfile(ctx, profile, account);
  const { name } = profile;
  const changed: AccountChange = { ...columns(profile), ...(name !== undefined && { name, nameKey: normalize(name) }) };
  await requireOwnerOrManager(ctx, account.ownerId, what.edit);
  const owner = await memberById(ctx, account.ownerId);
  if (owner && changed.ownerId !== undefined && changed.ownerId !== owner.id) await requireAbove(ctx, owner, what.changeOwner);
  checkWallet(ctx, changed, account);
  if (name !== undefined) await checkName(name, inBook(ctx), account);
  const updated = await ctx.db
    .update(accounts)
    .set({ ...changed, updatedAt: ctx.now, ...(changed.ownerId !== undefined && changed.ownerId !== account.ownerId && { ownerGoneAt: null }) })
    .where(eq(accounts.id, account.id))
    .returning()
    .get();
  await ctx.audit('account.set', 'account', account.id, changed);
  if (changed.aliases) await saveAliases(ctx, account.id, changed.aliases);
  return { updated, changed };
}
