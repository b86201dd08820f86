// Finding the account (or contact) a person meant from what they typed:
// exact name or alias first, then a unique prefix, then a unique substring,
// all case-insensitive and Chinese included. Unknown names get suggestions.
import { distance } from 'fastest-levenshtein';
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { accountAliases, accounts } from '../../db/schema.js';
import { normalize } from './text.js';
import type { Account } from './types.js';

/** `how`: whether the typed words were the whole name (or an alias), or only its start or a part of it. */
export type Match<T> = { kind: 'found'; item: T; how?: 'exact' | 'prefix' | 'substring' } | { kind: 'ambiguous'; candidates: T[] } | { kind: 'none'; suggestions: string[] };

const MAX_CANDIDATES = 8;

/** Exact, by name or alias; used to bind unquoted multi-word names. */
export async function accountByExactName(db: Tx, tenantId: number, typed: string): Promise<Account | undefined> {
  return (await longestExact(db, tenantId, [typed]))?.account;
}

/**
 * Of several ways to read the typed words as a name (longest first), the first
 * that is exactly an account's name or alias; for each, a name before an alias
 * (a name is unique in its book, an alias only among aliases). One indexed
 * probe a reading and kind, stopping at the first hit: inside a command's
 * transaction a probe costs well under a microsecond of SQLite's time, where
 * one query over every reading (an `in` list, twice) costs several.
 */
export async function longestExact(db: Tx, tenantId: number, candidates: string[]): Promise<{ account: Account; index: number } | undefined> {
  for (const [index, typed] of candidates.entries()) {
    const key = normalize(typed);
    if (!key) continue;
    const account = (await byNameKey(db).get({ tenantId, key })) ?? (await byAliasKey(db).get({ tenantId, key }))?.account;
    if (account) return { account, index };
  }
  return undefined;
}

// Every command that names an account runs these: prepared once per connection (see db/prepared.ts).
const byNameKey = (db: Tx) =>
  prepared(db, 'match.name', (q) =>
    q
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, sql.placeholder('tenantId')), eq(accounts.nameKey, sql.placeholder('key'))))
      .prepare(),
  );
const byAliasKey = (db: Tx) =>
  prepared(db, 'match.alias', (q) =>
    q
      .select({ account: accounts })
      .from(accountAliases)
      .innerJoin(accounts, eq(accounts.id, accountAliases.accountId))
      .where(and(eq(accountAliases.tenantId, sql.placeholder('tenantId')), eq(accountAliases.key, sql.placeholder('key'))))
      .prepare(),
  );

/** `exactTried`: the caller has already looked for `typed` as an exact name or alias (with longestExact), so that step is skipped. */
export async function matchAccount(db: Tx, tenantId: number, typed: string, exactTried = false): Promise<Match<Account>> {
  const key = normalize(typed);
  if (!key) return { kind: 'none', suggestions: [] };
  const exact = exactTried ? undefined : await accountByExactName(db, tenantId, typed);
  if (exact) return { kind: 'found', item: exact, how: 'exact' };

  // Prefix on the indexed key first: a range scan, cheap on a large book.
  const past = `${key}\u{10FFFF}`;
  const byPrefix = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.tenantId, tenantId), sql`${accounts.nameKey} >= ${key} and ${accounts.nameKey} < ${past}`))
    .limit(MAX_CANDIDATES + 1)
    .all();
  const decided = decide(byPrefix, 'prefix');
  if (decided) return decided;

  const like = `%${key.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const bySubstring = await db
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.tenantId, tenantId),
        sql`(${accounts.nameKey} like ${like} escape '\\' or exists (select 1 from account_aliases x where x.account_id = ${sql.raw('"accounts"."id"')} and x.key like ${like} escape '\\'))`,
      ),
    )
    .limit(MAX_CANDIDATES + 1)
    .all();
  return decide(bySubstring, 'substring') ?? { kind: 'none', suggestions: await suggest(db, tenantId, key) };
}

function decide(found: Account[], how: 'prefix' | 'substring'): Match<Account> | undefined {
  if (found.length === 1) return { kind: 'found', item: found[0]!, how };
  if (found.length > 1) return { kind: 'ambiguous', candidates: found.slice(0, MAX_CANDIDATES) };
  return undefined;
}

/**
 * The fewest characters a part of a name must have to pick an account by it: 3 Latin letters
 * (`Acm`), 2 Chinese characters (`华东`), as a Chinese character carries about a word. Fewer
 * (`A`, `华`) is too little to be sure which account was meant, so the reader is asked.
 */
export const MIN_PART = { latin: 3, han: 2 } as const;

export function tooShortToPick(typed: string): boolean {
  const key = [...normalize(typed)];
  return key.length < (key.some((c) => /\p{Script=Han}/u.test(c)) ? MIN_PART.han : MIN_PART.latin);
}

/**
 * Whether the name `typed` looks like `name` mistyped: two neighbouring letters swapped (zhnag,
 * wnag), or one letter missing or extra in a name of four or more (zhan, zhanng). A different
 * letter is another person (rep1a and rep1b, li and lu), and so is a number (chen and chen2, Rep 1
 * and Rep 10), as people's names, and the names a team gives its test users, often differ by one.
 */
export function looksMistyped(typed: string, name: string): boolean {
  const [a, b] = [[...normalize(typed)], [...normalize(name)]];
  const letter = (c: string | undefined) => c !== undefined && /\p{L}/u.test(c);
  if (a.length === b.length) {
    const diff = a.flatMap((c, i) => (c === b[i] ? [] : [i]));
    if (diff.length !== 2) return false;
    const [i, j] = [diff[0]!, diff[1]!];
    return j === i + 1 && a[i] === b[j] && a[j] === b[i] && letter(a[i]) && letter(a[j]);
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (long.length !== short.length + 1 || short.length < 4) return false;
  // The one place they part: the extra character must be a letter.
  let k = 0;
  while (k < short.length && short[k] === long[k]) k++;
  return letter(long[k]) && short.slice(k).join('') === long.slice(k + 1).join('');
}

/** The closest names by edit distance, for "did you mean". */
async function suggest(db: Tx, tenantId: number, key: string): Promise<string[]> {
  const rows = await db.select({ name: accounts.name, key: accounts.nameKey }).from(accounts).where(eq(accounts.tenantId, tenantId)).all();
  return closestNames(
    key,
    rows.map((r) => ({ name: r.name, key: r.key })),
  );
}

export function closestNames(key: string, items: { name: string; key: string }[], max = 3): string[] {
  const limit = Math.max(2, Math.ceil(key.length / 2));
  return items
    .map((i) => ({ name: i.name, d: distance(key, i.key.slice(0, Math.max(key.length, 1) + 2)) }))
    .filter((i) => i.d <= limit)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((i) => i.name);
}

/** Matching among a small in-memory list (contacts of one account, command names); `namesOf` gives display names. */
export function matchIn<T>(items: T[], typed: string, namesOf: (t: T) => readonly string[]): Match<T> {
  const key = normalize(typed);
  const keyed = items.map((item) => ({ item, names: namesOf(item), keys: namesOf(item).map(normalize) }));
  const stages: ((k: string) => boolean)[] = [(k) => k === key, (k) => k.startsWith(key), (k) => k.includes(key)];
  for (const test of key ? stages : []) {
    const found = keyed.filter((i) => i.keys.some(test)).map((i) => i.item);
    if (found.length === 1) return { kind: 'found', item: found[0]! };
    if (found.length > 1) return { kind: 'ambiguous', candidates: found.slice(0, MAX_CANDIDATES) };
  }
  const all = keyed.flatMap((i) => i.names.map((name, n) => ({ name, key: i.keys[n]! })));
  return { kind: 'none', suggestions: key ? [...new Set(closestNames(key, all))] : [] };
}
