// `npm run steward -- import|export ...`: move a book in and out of Steward as CSV.
//
//   steward import accounts|contacts|touchpoints <file.csv> [--workspace platform:id] [--as name]
//   steward import accounts.csv          (the kind read from the file's name)
//   steward export accounts|contacts|touchpoints|complaints [file.csv] [--workspace platform:id]
//   steward export --all <dir> [--workspace platform:id]   (the whole book, one file per entity: src/io/book-io.ts)
//   steward import --all <dir> [--workspace platform:id]   (into an empty workspace, all or nothing)
//   steward migrate-db --to postgres://… [--from book.db]   (the SQLite book into PostgreSQL: src/io/migrate-db.ts)
//   steward backup <file> [--force]   (a copy of the SQLite book while Steward runs: src/io/backup.ts)
//
// Every row is validated; a bad row is reported with its line in the file and
// skipped, and the valid rows of the file are written in one transaction. The
// exit code is 0 when every row was imported, 1 when some row was rejected, 2
// for a usage, file or header error (nothing imported). Imports upsert, so
// running the same file twice changes nothing.
//
// A row is checked with chat's own rules (src/domain: accounts.ts, contacts.ts,
// touches.ts), against the book as the file leaves it so far, and a refusal is
// reported in the sentence chat would answer with (`file:line: column: sentence`).
// The writes are planned in memory and made in multi-row statements, so a file of
// tens of thousands of rows costs a few statements, not a command each.
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { decodeCsvBytes } from './csv-text.js';
import { runMigrateDb } from './migrate-db.js';
import { runBackup } from './backup.js';
import { BookError, exportBookTo, importBook, problemLine, readBookDir } from './book-io.js';
import { stringify } from 'csv-stringify/sync';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { closeDatabase, databaseAt, immediate, openDatabase, sqliteClient, type Db, type Tx, transact } from '../../db/index.js';
import {
  accountAliases,
  accounts,
  complaints,
  contacts,
  CONTACT_LEVELS,
  members,
  PLATFORMS,
  TIERS,
  TOUCH_KINDS,
  touchpoints,
  type Locale,
  type Platform,
} from '../../db/schema.js';
import { ConfigError, loadConfig, loadDotEnv } from '../config.js';
import { parseAmount, parseDays } from '../domain/amounts.js';
import { MAX_NAME, MAX_NOTE, normalize } from '../domain/text.js';
import { closestNames, looksMistyped } from '../domain/match.js';
import type { Account, Member, Tenant } from '../domain/types.js';
import { ensureTenant, findTenant, type Workspace } from '../domain/tenants.js';
import { checkAliases, checkLength, checkName, checkOwner, checkWallet, splitAliases } from '../domain/accounts.js';
import { contactName } from '../domain/contacts.js';
import { Refusal } from '../domain/refusal.js';
import { checkTouchDate } from '../domain/touches.js';
import { viewFor, type View } from '../domain/view.js';

export const IMPORT_KINDS = ['accounts', 'contacts', 'touchpoints'] as const;
export const EXPORT_KINDS = ['accounts', 'contacts', 'touchpoints', 'complaints'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** The columns each import reads; the exports of accounts and touchpoints write the same ones. */
export const COLUMNS: Record<ImportKind, { all: readonly string[]; required: readonly string[] }> = {
  accounts: { all: ['name', 'tier', 'owner', 'region', 'industry', 'revenue', 'spend', 'cadence_days', 'aliases'], required: ['name'] },
  contacts: { all: ['account', 'name', 'title', 'level', 'function'], required: ['account', 'name'] },
  touchpoints: { all: ['account', 'member', 'kind', 'date', 'contact', 'note'], required: ['account', 'member', 'kind', 'date'] },
};
const COMPLAINT_COLUMNS = ['number', 'account', 'severity', 'category', 'status', 'summary', 'owner', 'opened_at', 'deadline_at', 'resolved_at', 'resolution'];

export type { Workspace } from '../domain/tenants.js';
export const SHELL_WORKSPACE: Workspace = { platform: 'shell', workspaceId: 'local' };

export interface RowError {
  /** The line in the file where the row starts (the header is line 1). */
  line: number;
  message: string;
}

export interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

export interface ImportOptions {
  workspace?: Workspace;
  /** Who is importing (a member's name or user id): the owner of a new account whose owner cell is empty. */
  actor?: string;
  /** A new workspace's language and time zone; also the zone a bare date is read in when the workspace is new. */
  locale?: Locale;
  timezone?: string;
  onProgress?: (done: number, total: number) => void;
  /** Called inside each transaction that writes rows, after them (a test's way to fail a write there). */
  onWritten?: (written: number, total: number) => void;
  now?: Date;
}

/** A file-level problem (unreadable CSV, missing or unknown column): nothing is imported. */
export class ImportError extends Error {
  override name = 'ImportError';
}

// ---------------------------------------------------------------------------
// Row validation

const cell = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v));
const name = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .max(MAX_NAME, `${what} is longer than ${MAX_NAME} characters`);
/** The name of a new account or contact: how long it may be is the domain's rule (checkLength), checked with the row. */
const newName = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`);
const optionalText = (max = MAX_NAME) => cell.pipe(z.string().max(max, `longer than ${max} characters`).optional());
const amount = cell.pipe(
  z
    .string()
    .transform((v, ctx) => {
      const n = parseAmount(v);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected an amount such as 1200000, 1.2m or 120万, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    })
    .optional(),
);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  cell.pipe(
    z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(values, { error: (iss) => `expected one of ${values.join(', ')}, got ${JSON.stringify(iss.input)}` }))
      .optional(),
  );
// Each alias's length and clashes are account rules (src/domain/accounts.ts), checked with the book.
const aliasList = cell.pipe(z.string().transform(splitAliases).optional());

const accountRow = z.object({
  name: newName('name'),
  tier: oneOf(TIERS),
  owner: optionalText(),
  region: optionalText(),
  industry: optionalText(),
  revenue: amount,
  spend: amount,
  cadence_days: cell.pipe(
    z
      .string()
      .transform((v, ctx) => {
        const n = parseDays(v);
        if (n === undefined || n > 3650) {
          ctx.addIssue({ code: 'custom', message: `expected a number of days such as 21 or 3w, got ${JSON.stringify(v)}` });
          return z.NEVER;
        }
        return n;
      })
      .optional(),
  ),
  aliases: aliasList,
});

const contactRow = z.object({
  account: name('account'),
  name: newName('name'),
  title: optionalText(),
  level: oneOf(CONTACT_LEVELS),
  function: optionalText(),
});

const touchRow = z.object({
  account: name('account'),
  member: name('member'),
  kind: cell.pipe(
    z
      .string({ error: 'kind is required' })
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(TOUCH_KINDS, { error: (iss) => `expected one of ${TOUCH_KINDS.join(', ')}, got ${JSON.stringify(iss.input)}` })),
  ),
  date: z.string({ error: 'date is required' }).trim().min(1, 'date is required'),
  contact: optionalText(),
  note: cell.pipe(z.string().max(MAX_NOTE, `longer than ${MAX_NOTE} characters`).optional()),
});

/** One line per problem: `tier: expected one of ...`. */
function describe(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

class RowProblem extends Error {}

/**
 * Runs a domain rule on a row's `column`: a refusal becomes the row's problem,
 * in the sentence chat would answer with, in the workspace's language.
 */
async function checked<T>(view: View, column: string, rule: () => T | Promise<T>): Promise<T> {
  try {
    return await rule();
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    throw new RowProblem(`${e.field ?? column}: ${String(e.words(view.t))}`);
  }
}

/**
 * `YYYY-MM-DD` is noon that day in the workspace's zone (always noon, even today, so a file read twice gives the same instants);
 * a full ISO date-time (`2024-03-05T09:30`, with or without an offset) is that instant.
 */
export function parseWhen(input: string, zone: string): number {
  const dayOnly = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(input);
  if (dayOnly) {
    const d = DateTime.fromObject({ year: +dayOnly[1]!, month: +dayOnly[2]!, day: +dayOnly[3]!, hour: 12 }, { zone });
    if (!d.isValid) throw new RowProblem(`date: ${JSON.stringify(input)} is not a date in the calendar`);
    return d.toMillis();
  }
  const d = DateTime.fromISO(input, { zone, setZone: true });
  if (!d.isValid) {
    if (/^\d{4}-\d{1,2}-\d{1,2}T/.test(input)) throw new RowProblem(`date: ${JSON.stringify(input)} is not a date in the calendar`);
    throw new RowProblem(`date: expected YYYY-MM-DD or an ISO date-time, got ${JSON.stringify(input)}`);
  }
  return d.toMillis();
}

// ---------------------------------------------------------------------------
// Formula injection

/**
 * A cell Excel or Sheets would read as a formula (OWASP's = + - @ tab CR, and
 * their full-width forms, as csv-stringify's escape_formulas lists them), or one
 * that only looks escaped already (`'=x`), so that stripping one quote on import
 * gives back exactly what was exported.
 */
const FORMULA = /^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;

/** Export: a leading `'` makes a spreadsheet show the text instead of running it. Numbers (a negative amount) stay numbers. */
function guardCell(value: unknown): unknown {
  return typeof value === 'string' && FORMULA.test(value) ? `'${value}` : value;
}

/** Import: removes exactly the quote `guardCell` added. */
function unguardCell(value: string): string {
  return value.startsWith("'") && FORMULA.test(value) ? value.slice(1) : value;
}

// ---------------------------------------------------------------------------
// Reading the file

interface Row {
  line: number;
  values: Record<string, string>;
  /** Why the row is refused before validation (a control character), if it is. */
  problem?: string;
}

/** Control characters other than tab and line breaks (NUL, ESC, C1 controls): never part of a name or a note. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;

/** Parses CSV text into rows with their starting line; checks the header against `kind`'s columns. */
export function readRows(text: string, kind: ImportKind): Row[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  // Excel's "Unicode text" and copies out of a sheet are tab-separated.
  const delimiter = header.includes('\t') && !header.includes(',') ? '\t' : ',';
  try {
    records = parse(text, {
      bom: true,
      delimiter,
      columns: (header: string[]) => {
        const names = header.map((h) => normalize(h).replace(/[\s-]+/g, '_'));
        const twice = names.filter((c, i) => c !== '' && names.indexOf(c) !== i);
        if (twice.length) throw new ImportError(`line 1: the column ${[...new Set(twice)].join(', ')} appears more than once; keep one`);
        return names;
      },
      skip_empty_lines: true,
      trim: false,
      relax_column_count: true,
      info: true,
    }) as typeof records;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`not a readable CSV file: ${(e as Error).message}`);
  }
  const given = records[0] ? Object.keys(records[0].record) : headerColumns(header, delimiter);
  const { all, required } = COLUMNS[kind];
  const unknown = given.filter((c) => !all.includes(c));
  if (unknown.length) throw new ImportError(`line 1: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the ${kind} columns are ${all.join(',')}`);
  const missing = required.filter((c) => !given.includes(c));
  if (missing.length) throw new ImportError(`line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the ${kind} columns are ${all.join(',')}`);
  return records.map(({ record, info }) => {
    // `info.lines` is where the record ends; a quoted value may span lines.
    const inner = Object.values(record).reduce((n, v) => n + (typeof v === 'string' ? (v.match(/\r\n|\r|\n/g)?.length ?? 0) : 0), 0);
    const values = Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'string' ? unguardCell(v) : v]));
    const bad = Object.entries(values).find(([, v]) => typeof v === 'string' && CONTROL.test(v));
    const problem = bad && `${bad[0]}: contains the control character U+${bad[1].match(CONTROL)![0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}; remove it`;
    return { line: info.lines - inner, values, ...(problem ? { problem } : {}) };
  });
}

function headerColumns(header: string, delimiter: string): string[] {
  if (header.trim() === '') return [];
  try {
    const [row] = parse(header, { bom: true, delimiter }) as string[][];
    return (row ?? []).map((h) => normalize(h).replace(/[\s-]+/g, '_'));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------
// Writing

/** What an import keeps in memory so 50 000 rows do not cost 50 000 lookups each. */
class Book {
  private readonly membersByUserId = new Map<string, Member>();
  private readonly membersByName = new Map<string, Member[]>();
  private readonly accountsByKey = new Map<string, Account>();
  private readonly accountsById = new Map<number, Account>();
  private readonly aliasOwner = new Map<string, number>();
  private readonly aliasesOf = new Map<number, string[]>();

  /** Who is importing, when known: the owner of a new account whose owner cell is empty. */
  importer: Member | NewMember | undefined;

  /** What the import will write, in order; nothing is written while the file is read. */
  readonly ops: Op[] = [];
  private nextTemp = -1;

  /** The workspace's eyes (language, zone, now): what a refusal is worded and dated in. */
  readonly view: View;

  private constructor(
    readonly tenant: Tenant,
    now: Date,
  ) {
    this.view = viewFor(tenant, undefined, now);
  }

  /** The book of `tenant` as `tx` reads it. */
  static async read(tx: Tx, tenant: Tenant, now: Date): Promise<Book> {
    const book = new Book(tenant, now);
    for (const m of await tx.select().from(members).where(eq(members.tenantId, tenant.id)).all()) book.rememberMember(m);
    for (const a of await tx.select().from(accounts).where(eq(accounts.tenantId, tenant.id)).all()) book.remember(a);
    for (const a of await tx.select().from(accountAliases).where(eq(accountAliases.tenantId, tenant.id)).all()) {
      book.aliasOwner.set(a.key, a.accountId);
      book.aliasesOf.set(a.accountId, [...(book.aliasesOf.get(a.accountId) ?? []), a.key]);
    }
    return book;
  }

  private rememberMember(m: Member): void {
    this.membersByUserId.set(normalize(m.platformUserId), m);
    const key = normalize(m.name);
    this.membersByName.set(key, [...(this.membersByName.get(key) ?? []), m]);
  }

  /**
   * The members a cell can mean: the one with that user id, otherwise everyone of that name.
   * Exports write names, and in Slack or Lark the user id (U01ALICE) is not the name.
   */
  candidates(nameText: string): Member[] {
    const key = normalize(nameText);
    const byId = this.membersByUserId.get(key);
    return byId ? [byId] : (this.membersByName.get(key) ?? []);
  }

  /**
   * The one member a cell names. Only the shell's members are made from a name
   * (their user id is the name); elsewhere a member comes from the platform.
   */
  member(column: string, nameText: string): Member | NewMember {
    const found = this.candidates(nameText);
    const quoted = JSON.stringify(nameText.trim());
    if (found.length > 1)
      throw new RowProblem(`${column}: ${found.length} members are named ${quoted} (${found.map((m) => m.platformUserId).join(', ')}); write the user id of the one you mean`);
    if (found[0]) return found[0];
    const everyone = [...this.membersByName.values()].flat();
    if (this.tenant.platform !== 'shell') {
      const near = closestNames(
        normalize(nameText),
        everyone.map((m) => ({ name: m.name, key: normalize(m.name) })),
      );
      const meant = near.length ? ` (did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?)` : '';
      throw new RowProblem(
        `${column}: nobody named ${quoted} in ${this.tenant.platform}:${this.tenant.workspaceId}${meant}; write the name or user id of someone who has used Steward there`,
      );
    }
    // A shell name is made a member on first sight, unless it is someone's name mistyped (zhnag for zhang).
    const mistyped = everyone.filter((m) => looksMistyped(nameText, m.name));
    if (mistyped.length)
      throw new RowProblem(
        `${column}: nobody named ${quoted} (did you mean ${mistyped.map((m) => JSON.stringify(m.name)).join(' or ')}?); correct the name, or add the person first`,
      );
    return { create: nameText.trim() };
  }

  /** A new id for a row the import will write: negative until the write gives it its own. */
  temp(): number {
    return this.nextTemp--;
  }

  /** Plans a new shell member; called only once every check of the row has passed. */
  ensure(m: Member | NewMember): Member {
    if (!('create' in m)) return m;
    const again = this.candidates(m.create);
    if (again.length === 1) return again[0]!;
    const planned = {
      id: this.temp(),
      tenantId: this.tenant.id,
      platformUserId: normalize(m.create),
      name: m.create,
      role: 'rep',
      function: 'sales',
      managerId: null,
      timezone: null,
      locale: null,
      ownTimezone: false,
      ownLocale: false,
      active: true,
      nameKnown: true,
      leftAt: null,
      createdAt: new Date(),
    } satisfies Member;
    this.ops.push({ op: 'member', id: planned.id, values: { tenantId: this.tenant.id, platformUserId: planned.platformUserId, name: planned.name } });
    this.rememberMember(planned);
    return planned;
  }

  /** Contacts planned by this file, by account and name key, so a second row for one sees the first. */
  readonly plannedContacts = new Map<string, typeof contacts.$inferSelect>();
  readonly plannedContactOps = new Map<number, Extract<Op, { op: 'contact' }>>();
  /** Touchpoints planned by this file, by what makes one a duplicate. */
  readonly plannedTouches = new Set<string>();

  /** An account by its name or one of its aliases. */
  account(nameText: string): Account | undefined {
    const key = normalize(nameText);
    const direct = this.accountsByKey.get(key);
    if (direct) return direct;
    const viaAlias = this.aliasOwner.get(key);
    return viaAlias === undefined ? undefined : this.accountsById.get(viaAlias);
  }

  accountByKey(key: string): Account | undefined {
    return this.accountsByKey.get(key);
  }

  aliasHolder(key: string): number | undefined {
    return this.aliasOwner.get(key);
  }

  remember(a: Account, aliasKeys?: string[]): void {
    this.accountsByKey.set(a.nameKey, a);
    this.accountsById.set(a.id, a);
    if (aliasKeys) {
      for (const k of this.aliasesOf.get(a.id) ?? []) this.aliasOwner.delete(k);
      for (const k of aliasKeys) this.aliasOwner.set(k, a.id);
      this.aliasesOf.set(a.id, aliasKeys);
    }
  }
}

type Outcome = 'created' | 'updated' | 'unchanged';

/** A shell member a row names who does not exist yet. */
interface NewMember {
  create: string;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function stillHere(book: Book, column: string, m: Member | NewMember): Promise<Member | NewMember> {
  if (!('create' in m)) await checked(book.view, column, () => checkOwner(book.view, book.tenant.platform, m));
  return m;
}

/** The owner a row gives the account; undefined leaves the stored one. */
async function ownerFor(book: Book, r: z.infer<typeof accountRow>, existing: Account | undefined): Promise<Member | NewMember | undefined> {
  if (r.owner === undefined) {
    if (existing) return undefined;
    // As `/account add` does: a new account belongs to whoever adds it.
    if (!book.importer) throw new RowProblem('owner: a new account needs an owner; fill in the owner column, or say who is importing (--as)');
    return await stillHere(book, 'owner', book.importer);
  }
  // The owner it already has stays, even one who has left or shares a name: an export read back changes nothing.
  if (existing?.ownerId != null && book.candidates(r.owner).some((m) => m.id === existing.ownerId)) return undefined;
  return await stillHere(book, 'owner', book.member('owner', r.owner));
}

async function upsertAccount(book: Book, r: z.infer<typeof accountRow>, now: Date): Promise<Outcome> {
  const key = normalize(r.name);
  const existing = book.accountByKey(key);
  const aliasKeys = r.aliases?.map(normalize).filter((k) => k !== key);
  // The account rules chat applies, against the book as this file leaves it so far.
  const holder = async (typed: string) => book.account(typed);
  if (r.aliases)
    await checked(book.view, 'aliases', () =>
      checkAliases(
        r.aliases!.filter((a) => normalize(a) !== key),
        holder,
        existing,
      ),
    );
  await checked(book.view, 'name', async () => (existing ? checkLength(r.name) : await checkName(r.name, holder)));
  await checked(book.view, 'revenue', () => checkWallet(book.view, { annualRevenue: r.revenue, categorySpend: r.spend }, existing));
  const owner = await ownerFor(book, r, existing);
  const patch = {
    ...(r.tier !== undefined && { tier: r.tier }),
    ...(owner !== undefined && { ownerId: book.ensure(owner).id }),
    ...(r.region !== undefined && { region: r.region }),
    ...(r.industry !== undefined && { industry: r.industry }),
    ...(r.revenue !== undefined && { annualRevenue: r.revenue }),
    ...(r.spend !== undefined && { categorySpend: r.spend }),
    ...(r.cadence_days !== undefined && { cadenceDays: r.cadence_days }),
    ...(r.aliases !== undefined && { aliases: r.aliases }),
  };
  let account: Account;
  let outcome: Outcome;
  if (!existing) {
    const values = { tenantId: book.tenant.id, name: r.name, nameKey: key, ...patch };
    account = {
      tier: 'standard',
      ownerId: null,
      status: 'active',
      region: null,
      industry: null,
      annualRevenue: null,
      categorySpend: null,
      cadenceDays: null,
      ownerGoneAt: null,
      createdAt: now,
      updatedAt: null,
      aliases: [],
      ...values,
      id: book.temp(),
    };
    book.ops.push({ op: 'account', id: account.id, values });
    outcome = 'created';
  } else {
    const changed = Object.entries(patch).some(([k, v]) => !same(existing[k as keyof Account], v)) || existing.name !== r.name;
    if (!changed) return 'unchanged';
    const set = { ...patch, name: r.name, updatedAt: now };
    account = { ...existing, ...set };
    book.ops.push({ op: 'account.update', id: existing.id, set });
    outcome = 'updated';
  }
  if (aliasKeys !== undefined) book.ops.push({ op: 'aliases', accountId: account.id, keys: [...new Set(aliasKeys)] });
  book.remember(account, aliasKeys && [...new Set(aliasKeys)]);
  return outcome;
}

function needAccount(book: Book, nameText: string): Account {
  const a = book.account(nameText);
  if (!a) throw new RowProblem(`account: no account named ${JSON.stringify(nameText)} (import accounts first)`);
  return a;
}

async function upsertContact(tx: Tx, book: Book, r: z.infer<typeof contactRow>): Promise<Outcome> {
  const account = needAccount(book, r.account);
  await checked(book.view, 'name', () => contactName(r.name));
  const key = normalize(r.name);
  const planKey = `${account.id}\u0000${key}`;
  const existing =
    book.plannedContacts.get(planKey) ??
    (account.id > 0
      ? await tx
          .select()
          .from(contacts)
          .where(and(eq(contacts.accountId, account.id), eq(contacts.nameKey, key)))
          .get()
      : undefined);
  const patch = {
    ...(r.title !== undefined && { title: r.title }),
    ...(r.level !== undefined && { level: r.level }),
    ...(r.function !== undefined && { function: r.function }),
  };
  if (!existing) {
    const values = { tenantId: book.tenant.id, accountId: account.id, name: r.name, nameKey: key, ...patch };
    const id = book.temp();
    const op = { op: 'contact' as const, id, values };
    book.ops.push(op);
    book.plannedContactOps.set(id, op);
    book.plannedContacts.set(planKey, {
      title: null,
      level: 'manager',
      function: null,
      active: true,
      replacedById: null,
      leftAt: null,
      notes: null,
      createdAt: new Date(),
      ...values,
      id,
    });
    return 'created';
  }
  const changed = Object.entries(patch).some(([k, v]) => existing[k as keyof typeof existing] !== v) || existing.name !== r.name;
  if (!changed) return 'unchanged';
  const set = { ...patch, name: r.name };
  // A contact this file adds and then changes again: one write with the last values.
  const planned = book.plannedContactOps.get(existing.id);
  if (planned) Object.assign(planned.values, set);
  else book.ops.push({ op: 'contact.update', id: existing.id, set });
  book.plannedContacts.set(planKey, { ...existing, ...set });
  return 'updated';
}

async function insertTouch(tx: Tx, book: Book, r: z.infer<typeof touchRow>): Promise<Outcome> {
  const account = needAccount(book, r.account);
  const occurredAt = parseWhen(r.date, book.tenant.timezone);
  let contactId: number | null = null;
  if (r.contact !== undefined) {
    const c = await tx
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.accountId, account.id), eq(contacts.nameKey, normalize(r.contact))))
      .get();
    if (!c) throw new RowProblem(`contact: ${JSON.stringify(r.contact)} is not a contact of ${account.name} (import contacts first)`);
    contactId = c.id;
  }
  // Who has left since stays the author of what they did.
  const who = book.member('member', r.member);
  const note = r.note ?? '';
  const when = new Date(occurredAt);
  const planKey = JSON.stringify([account.id, 'create' in who ? normalize(who.create) : who.id, r.kind, occurredAt, note]);
  if (book.plannedTouches.has(planKey)) return 'unchanged';
  const dup =
    !('create' in who) &&
    who.id > 0 &&
    account.id > 0 &&
    (await tx
      .select({ id: touchpoints.id })
      .from(touchpoints)
      .where(
        and(eq(touchpoints.accountId, account.id), eq(touchpoints.memberId, who.id), eq(touchpoints.kind, r.kind), eq(touchpoints.occurredAt, when), eq(touchpoints.note, note)),
      )
      .get());
  if (dup) return 'unchanged';
  // `/touch`'s limits; a bare date counts as the whole day.
  await checked(book.view, 'date', () => checkTouchDate(book.view, DateTime.fromMillis(occurredAt, { zone: book.tenant.timezone }), /^\d{4}-\d{1,2}-\d{1,2}$/.test(r.date)));
  const member = book.ensure(who);
  book.plannedTouches.add(planKey);
  book.ops.push({
    op: 'touch',
    values: {
      tenantId: book.tenant.id,
      accountId: account.id,
      memberId: member.id,
      ourLevel: member.function,
      contactId,
      kind: r.kind,
      occurredAt: when,
      note,
      sourcePlatform: book.tenant.platform,
      sourceRef: 'import',
    },
  });
  return 'created';
}

/** One write an import will make; an id below zero is a row the import itself writes first. */
type Op =
  | { op: 'member'; id: number; values: typeof members.$inferInsert }
  | { op: 'account'; id: number; values: typeof accounts.$inferInsert }
  | { op: 'account.update'; id: number; set: Partial<typeof accounts.$inferInsert> }
  | { op: 'aliases'; accountId: number; keys: string[] }
  | { op: 'contact'; id: number; values: typeof contacts.$inferInsert }
  | { op: 'contact.update'; id: number; set: Partial<typeof contacts.$inferInsert> }
  | { op: 'touch'; values: typeof touchpoints.$inferInsert };

/** The book changed under the plan (a command added that account name meanwhile): read the file again. */
class Stale extends Error {}

/** Rows per INSERT statement: a 40 000-row file is 80 statements, not 40 000. */
const BATCH = 500;

/**
 * Writes a plan in the transaction it is given, turning the plan's own ids
 * into the database's. A unique rule broken here means a command wrote the
 * same name since the file was read: Stale.
 */
async function applyOps(tx: Tx, ops: Op[]): Promise<void> {
  const real = new Map<number, number>();
  const id = (n: number): number => (n > 0 ? n : real.get(n)!);
  const unique = (e: unknown) => e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('SQLITE_CONSTRAINT_UNIQUE');
  try {
    for (let i = 0; i < ops.length; ) {
      const o = ops[i]!;
      if (o.op === 'account' || o.op === 'contact' || o.op === 'touch') {
        const run: Op[] = [];
        while (i < ops.length && ops[i]!.op === o.op && run.length < BATCH) run.push(ops[i++]!);
        if (o.op === 'account') {
          const batch = run as Extract<Op, { op: 'account' }>[];
          const rows = await tx
            .insert(accounts)
            .values(batch.map((b) => ({ ...b.values, ownerId: b.values.ownerId == null ? b.values.ownerId : id(b.values.ownerId) })))
            .returning({ id: accounts.id, nameKey: accounts.nameKey })
            .all();
          const byKey = new Map(rows.map((r) => [r.nameKey, r.id]));
          for (const b of batch) real.set(b.id, byKey.get(b.values.nameKey)!);
        } else if (o.op === 'contact') {
          await tx
            .insert(contacts)
            .values((run as Extract<Op, { op: 'contact' }>[]).map((b) => ({ ...b.values, accountId: id(b.values.accountId) })))
            .run();
        } else {
          await tx
            .insert(touchpoints)
            .values((run as Extract<Op, { op: 'touch' }>[]).map((b) => ({ ...b.values, accountId: id(b.values.accountId), memberId: id(b.values.memberId) })))
            .run();
        }
        continue;
      }
      i++;
      if (o.op === 'member') {
        await tx.insert(members).values(o.values).onConflictDoNothing().run();
        // A command may have made the same shell member meanwhile: theirs is the one.
        real.set(
          o.id,
          (await tx
            .select({ id: members.id })
            .from(members)
            .where(and(eq(members.tenantId, o.values.tenantId), eq(members.platformUserId, o.values.platformUserId)))
            .get())!.id,
        );
      } else if (o.op === 'account.update') {
        await tx
          .update(accounts)
          .set({ ...o.set, ...(o.set.ownerId != null && { ownerId: id(o.set.ownerId) }) })
          .where(eq(accounts.id, id(o.id)))
          .run();
      } else if (o.op === 'aliases') {
        const accountId = id(o.accountId);
        const tenantId = (await tx.select({ t: accounts.tenantId }).from(accounts).where(eq(accounts.id, accountId)).get())!.t;
        await tx.delete(accountAliases).where(eq(accountAliases.accountId, accountId)).run();
        if (o.keys.length)
          await tx
            .insert(accountAliases)
            .values(o.keys.map((key) => ({ tenantId, accountId, key })))
            .run();
      } else if (o.op === 'contact.update') {
        await tx.update(contacts).set(o.set).where(eq(contacts.id, o.id)).run();
      }
    }
  } catch (e) {
    if (unique(e)) throw new Stale();
    throw e;
  }
}

/** Rows written per transaction of a touchpoints file: a few milliseconds of the write lock each. */
export const TOUCH_BATCH = 500;

const pauseCell = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps without returning to the event loop (the import is synchronous). */
function pause(ms: number): void {
  Atomics.wait(pauseCell, 0, 0, ms);
}

/**
 * A touchpoints file (the one that runs to tens of thousands of rows) is
 * written in transactions of TOUCH_BATCH rows, each taking the write lock only
 * for its own rows and then leaving it free as long as it held it, so a
 * command waits a few milliseconds at most, never the whole file. Should a
 * batch fail, the rows already written by this import are deleted again (also
 * in batches) and the error is raised: the file is in the book whole or not at
 * all. Should the process die midway, importing the same file again writes
 * only the rest (touchpoints are never duplicated).
 */
async function writeTouchesInBatches(db: Db, ops: Op[], opts: ImportOptions): Promise<void> {
  const client = sqliteClient(db);
  if (!client) return writeTouchesPortable(db, ops, opts);
  const insertTouch = client.prepare(
    'insert into touchpoints (tenant_id, account_id, member_id, our_level, contact_id, kind, occurred_at, note, source_platform, source_ref) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertMember = client.prepare('insert into members (tenant_id, platform_user_id, name) values (?, ?, ?) on conflict do nothing');
  const memberId = client.prepare('select id from members where tenant_id = ? and platform_user_id = ?').pluck();
  const real = new Map<number, number>();
  const id = (n: number): number => (n > 0 ? n : real.get(n)!);
  const touches: number[] = [];
  const madeMembers: number[] = [];
  let done = 0;
  try {
    while (done < ops.length) {
      const started = performance.now();
      const batch = ops.slice(done, done + TOUCH_BATCH);
      const written = immediate(db, () => {
        const t: number[] = [];
        const m: [number, number][] = [];
        for (const o of batch) {
          if (o.op === 'member') {
            const made = insertMember.run(o.values.tenantId, o.values.platformUserId, o.values.name).changes > 0;
            const rid = memberId.get(o.values.tenantId, o.values.platformUserId) as number;
            m.push([o.id, rid]);
            if (made) madeMembers.push(rid);
          } else if (o.op === 'touch') {
            const v = o.values;
            for (const [tmp, r] of m) real.set(tmp, r);
            t.push(
              Number(
                insertTouch.run(
                  v.tenantId,
                  id(v.accountId),
                  id(v.memberId),
                  v.ourLevel,
                  v.contactId ?? null,
                  v.kind,
                  v.occurredAt.getTime(),
                  v.note ?? '',
                  v.sourcePlatform,
                  v.sourceRef ?? null,
                ).lastInsertRowid,
              ),
            );
          }
        }
        opts.onWritten?.(done + batch.length, ops.length);
        return { t, m };
      });
      touches.push(...written.t);
      for (const [tmp, r] of written.m) real.set(tmp, r);
      done += batch.length;
      // As long again with the lock free: whoever waited for it gets it.
      if (done < ops.length) pause(Math.max(2, performance.now() - started));
    }
  } catch (e) {
    const remove = client.prepare('delete from touchpoints where id = ?');
    for (let i = 0; i < touches.length; i += TOUCH_BATCH) {
      immediate(db, () => {
        for (const t of touches.slice(i, i + TOUCH_BATCH)) remove.run(t);
      });
    }
    // The members a name made, unless someone has used them since.
    const dropMember = client.prepare(
      'delete from members where id = ? and not exists (select 1 from touchpoints where member_id = members.id) and not exists (select 1 from accounts where owner_id = members.id) and not exists (select 1 from audit_log where actor_id = members.id)',
    );
    immediate(db, () => {
      for (const m of madeMembers) dropMember.run(m);
    });
    throw e;
  }
}

/**
 * writeTouchesInBatches through drizzle, for PostgreSQL (no better-sqlite3
 * client, and no write lock to leave free: each batch is its own transaction,
 * which commands run beside): members by `on conflict do nothing … returning`,
 * touchpoints a multi-row insert a batch. A failed batch deletes what earlier
 * batches wrote, as on SQLite.
 */
async function writeTouchesPortable(db: Db, ops: Op[], opts: ImportOptions): Promise<void> {
  const real = new Map<number, number>();
  const touches: number[] = [];
  const madeMembers: number[] = [];
  let done = 0;
  try {
    while (done < ops.length) {
      const batch = ops.slice(done, done + TOUCH_BATCH);
      // A serialization failure runs the callback again: what it learns is kept only once it committed.
      const written = await transact(db, async (tx) => {
        const ids = new Map(real);
        const id = (n: number): number => (n > 0 ? n : ids.get(n)!);
        const made: number[] = [];
        const rows: (typeof touchpoints.$inferInsert)[] = [];
        for (const o of batch) {
          if (o.op === 'member') {
            const { tenantId, platformUserId, name } = o.values;
            const inserted = await tx.insert(members).values({ tenantId, platformUserId, name }).onConflictDoNothing().returning({ id: members.id });
            const rid =
              inserted[0]?.id ??
              (await tx
                .select({ id: members.id })
                .from(members)
                .where(and(eq(members.tenantId, tenantId), eq(members.platformUserId, platformUserId)))
                .get())!.id;
            ids.set(o.id, rid);
            if (inserted.length) made.push(rid);
          } else if (o.op === 'touch') {
            rows.push({ ...o.values, accountId: id(o.values.accountId), memberId: id(o.values.memberId) });
          }
        }
        const t = rows.length ? (await tx.insert(touchpoints).values(rows).returning({ id: touchpoints.id })).map((r) => r.id) : [];
        return { ids, made, t };
      });
      for (const [tmp, r] of written.ids) real.set(tmp, r);
      madeMembers.push(...written.made);
      touches.push(...written.t);
      done += batch.length;
      opts.onWritten?.(done, ops.length);
    }
  } catch (e) {
    for (let i = 0; i < touches.length; i += TOUCH_BATCH) {
      const part = touches.slice(i, i + TOUCH_BATCH);
      await transact(db, (tx) => tx.delete(touchpoints).where(inArray(touchpoints.id, part)).run());
    }
    // The members a name made, unless someone has used them since.
    if (madeMembers.length)
      await transact(db, (tx) =>
        tx
          .delete(members)
          .where(
            and(
              inArray(members.id, madeMembers),
              sql`not exists (select 1 from touchpoints where member_id = members.id) and not exists (select 1 from accounts where owner_id = members.id) and not exists (select 1 from audit_log where actor_id = members.id)`,
            ),
          )
          .run(),
      );
    throw e;
  }
}

/**
 * Imports CSV text. Rows that fail validation are reported by line and skipped.
 *
 * Beside a running server: the file is read and every row checked against a
 * snapshot of the book without taking the write lock (a read transaction, which
 * never blocks a command), into a plan of writes. The plan of an accounts or
 * contacts file is then written in one IMMEDIATE transaction, which waits its
 * turn like any command and writes in multi-row statements; a touchpoints file
 * in short batches (writeTouchesInBatches). Either way the file lands whole or
 * not at all. Should a command have written a name the plan also writes in
 * between, the file is read again against the new book.
 */
export async function importCsv(db: Db, kind: ImportKind, text: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const rows = readRows(text, kind);
  const now = opts.now ?? new Date();
  const schema = kind === 'accounts' ? accountRow : kind === 'contacts' ? contactRow : touchRow;
  const blank = Object.fromEntries(COLUMNS[kind].all.map((c) => [c, '']));
  const ws = opts.workspace ?? SHELL_WORKSPACE;
  if (!(await findTenant(db, ws))) await transact(db, (tx) => ensureTenant(tx, ws, { locale: opts.locale ?? 'en', timezone: opts.timezone ?? 'UTC' }));
  // Checking a row against the schema needs no database: once, before any attempt.
  const checked = rows.map((row) => {
    if (row.problem) return { row, problem: row.problem };
    const parsed = schema.safeParse({ ...blank, ...row.values });
    return parsed.success ? { row, data: parsed.data } : { row, problem: describe(parsed.error) };
  });
  for (let attempt = 1; ; attempt++) {
    const result: ImportResult = { rows: rows.length, created: 0, updated: 0, unchanged: 0, errors: [] };
    const ops = await transact(
      db,
      async (tx) => {
        const book = await Book.read(tx, (await findTenant(tx, ws))!, now);
        if (opts.actor !== undefined) {
          try {
            book.importer = book.member('--as', opts.actor);
          } catch (e) {
            if (!(e instanceof RowProblem)) throw e;
            throw new ImportError(e.message);
          }
        }
        for (const [i, c] of checked.entries()) {
          if (c.problem !== undefined) {
            result.errors.push({ line: c.row.line, message: c.problem });
          } else {
            try {
              // Every check that can reject a row runs before the row's first planned write.
              const outcome =
                kind === 'accounts'
                  ? await upsertAccount(book, c.data as z.infer<typeof accountRow>, now)
                  : kind === 'contacts'
                    ? await upsertContact(tx, book, c.data as z.infer<typeof contactRow>)
                    : await insertTouch(tx, book, c.data as z.infer<typeof touchRow>);
              result[outcome]++;
            } catch (e) {
              if (!(e instanceof RowProblem)) throw e;
              result.errors.push({ line: c.row.line, message: e.message });
            }
          }
          opts.onProgress?.(i + 1, rows.length);
        }
        return book.ops;
      },
      { behavior: 'deferred' },
    );
    if (!ops.length) return result;
    try {
      if (kind === 'touchpoints') {
        await writeTouchesInBatches(db, ops, opts);
      } else {
        await transact(db, async (tx) => {
          await applyOps(tx, ops);
          opts.onWritten?.(ops.length, ops.length);
        });
      }
      return result;
    } catch (e) {
      if (!(e instanceof Stale)) throw e;
      if (attempt >= 5) throw new ImportError('the book kept changing under the import (5 tries): nothing was imported; run it again');
    }
  }
}

// ---------------------------------------------------------------------------
// Export

/** The workspace's accounts, contacts, touchpoints or complaints as CSV text (header included). */
export async function exportCsv(db: Db, kind: ExportKind, workspace: Workspace = SHELL_WORKSPACE): Promise<string> {
  const tenant = await findTenant(db, workspace);
  const rows: unknown[][] = [];
  const csv = (columns: string[]) =>
    stringify(
      rows.map((row) => row.map(guardCell)),
      { header: true, columns },
    );
  const memberName = new Map<number, string>();
  const accountName = new Map<number, string>();
  if (tenant) {
    for (const m of await db.select({ id: members.id, name: members.name }).from(members).where(eq(members.tenantId, tenant.id)).all()) memberName.set(m.id, m.name);
    for (const a of await db.select({ id: accounts.id, name: accounts.name }).from(accounts).where(eq(accounts.tenantId, tenant.id)).all()) accountName.set(a.id, a.name);
  }
  const who = (id: number | null) => (id === null ? '' : (memberName.get(id) ?? ''));
  const iso = (d: Date | null) => (d === null ? '' : DateTime.fromJSDate(d, { zone: tenant?.timezone ?? 'UTC' }).toISO({ suppressMilliseconds: true })!);
  if (kind === 'accounts') {
    if (tenant) {
      for (const a of await db.select().from(accounts).where(eq(accounts.tenantId, tenant.id)).orderBy(asc(accounts.id)).all()) {
        rows.push([a.name, a.tier, who(a.ownerId), a.region ?? '', a.industry ?? '', a.annualRevenue ?? '', a.categorySpend ?? '', a.cadenceDays ?? '', a.aliases.join('、')]);
      }
    }
    return csv([...COLUMNS.accounts.all]);
  }
  if (kind === 'contacts') {
    if (tenant) {
      for (const c of await db.select().from(contacts).where(eq(contacts.tenantId, tenant.id)).orderBy(asc(contacts.id)).all()) {
        rows.push([accountName.get(c.accountId) ?? '', c.name, c.title ?? '', c.level, c.function ?? '']);
      }
    }
    return csv([...COLUMNS.contacts.all]);
  }
  if (kind === 'touchpoints') {
    const contactName = new Map<number, string>();
    if (tenant) {
      for (const c of await db.select({ id: contacts.id, name: contacts.name }).from(contacts).where(eq(contacts.tenantId, tenant.id)).all()) contactName.set(c.id, c.name);
      for (const t of await db.select().from(touchpoints).where(eq(touchpoints.tenantId, tenant.id)).orderBy(asc(touchpoints.occurredAt), asc(touchpoints.id)).all()) {
        rows.push([accountName.get(t.accountId) ?? '', who(t.memberId), t.kind, iso(t.occurredAt), t.contactId === null ? '' : (contactName.get(t.contactId) ?? ''), t.note]);
      }
    }
    return csv([...COLUMNS.touchpoints.all]);
  }
  if (tenant) {
    for (const c of await db.select().from(complaints).where(eq(complaints.tenantId, tenant.id)).orderBy(asc(complaints.number)).all()) {
      rows.push([
        `C-${c.number}`,
        accountName.get(c.accountId) ?? '',
        c.severity,
        c.category,
        c.status,
        c.summary,
        who(c.ownerId),
        iso(c.openedAt),
        iso(c.deadlineAt),
        iso(c.resolvedAt),
        c.resolution ?? '',
      ]);
    }
  }
  return csv(COMPLAINT_COLUMNS);
}

// ---------------------------------------------------------------------------
// The command line

const USAGE = `usage:
  steward import accounts|contacts|touchpoints <file.csv> [--workspace platform:id] [--as name]
  steward export accounts|contacts|touchpoints|complaints [file.csv] [--workspace platform:id]
  steward export --all <dir> [--workspace platform:id]
  steward import --all <dir> [--workspace platform:id]
  steward migrate-db --to postgres://… [--from book.db]   (the whole SQLite book into an empty PostgreSQL database)
  steward backup <file> [--force]   (a checked copy of the SQLite book, while Steward runs)

Imports upsert: accounts by name (case- and width-insensitive), contacts by
account and name, touchpoints by account, member, kind, date and note. Bad rows
are reported by line and skipped; the exit code is then 1. Without --workspace
rows go into the shell's workspace (shell:local). Owners and members are
matched by name or user id; only the shell's workspace gains a member from a
name. A new account with no owner is owned by whoever imports it: --as names
them (the shell user by default). Export writes to stdout when no file is given.

--all moves the whole book: export writes one CSV per entity into <dir>
(workspace, members, accounts, contacts, touchpoints, complaints, promises,
pairings, reviews, signals, losses, checklist, snoozes, audit); import reads
them into an empty workspace (the one in workspace.csv unless --workspace says),
and one bad cell in any file writes nothing.`;

class UsageError extends Error {}

export function parseWorkspace(value: string): Workspace {
  const m = /^([a-z]+):(.+)$/.exec(value.trim());
  if (!m || !(PLATFORMS as readonly string[]).includes(m[1]!)) {
    throw new UsageError(`--workspace: expected platform:id with platform one of ${PLATFORMS.join(', ')} (e.g. slack:T0123), got ${JSON.stringify(value)}`);
  }
  return { platform: m[1] as Platform, workspaceId: m[2]! };
}

/** A bar on stderr, redrawn at most every 1% — only when stderr is a terminal and the file is large. */
function progressBar(stream: NodeJS.WriteStream, label: string): ((done: number, total: number) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    if (total < 1000) return;
    const pct = Math.floor((done / total) * 100);
    if (pct === last && done !== total) return;
    last = pct;
    const width = 30;
    const filled = Math.round((done / total) * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}`);
    if (done === total) stream.write('\n');
  };
}

/** Who `npm start` would be in the shell (see src/main.ts); undefined when the system cannot say. */
function shellUserName(configured: string | undefined): string | undefined {
  if (configured) return configured;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/** Runs one command line; returns the exit code. Output goes to the given streams. */
export async function run(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream }): Promise<number> {
  let values: { workspace?: string; as?: string; help?: boolean; all?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { workspace: { type: 'string', short: 'w' }, as: { type: 'string' }, help: { type: 'boolean', short: 'h' }, all: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`steward: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.all) return runAll(positionals, values.workspace, io);
  let [command, kind, file, ...extra] = positionals;
  // `steward import accounts.csv`: the kind from the file's name, as the issue spells it.
  if (command === 'import' && file === undefined && kind !== undefined && !(IMPORT_KINDS as readonly string[]).includes(kind)) {
    const guessed = IMPORT_KINDS.find((k) => basename(kind!).toLowerCase().startsWith(k));
    if (guessed) [kind, file] = [guessed, kind];
  }
  try {
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const workspace = values.workspace === undefined ? SHELL_WORKSPACE : parseWorkspace(values.workspace);
    if (command === 'import') {
      if (!(IMPORT_KINDS as readonly string[]).includes(kind ?? '')) {
        // A lone file whose name does not say its kind: say how to give it.
        const hint =
          file === undefined && kind?.toLowerCase().endsWith('.csv')
            ? ` (say which: import accounts ${kind}, or name the file accounts….csv, contacts….csv or touchpoints….csv)`
            : '';
        throw new UsageError(`import: expected accounts, contacts or touchpoints, got ${JSON.stringify(kind ?? '')}${hint}`);
      }
      if (!file) throw new UsageError(`import ${kind}: which file?`);
    } else if (command === 'export') {
      if (!(EXPORT_KINDS as readonly string[]).includes(kind ?? ''))
        throw new UsageError(`export: expected accounts, contacts, touchpoints or complaints (or --all <dir>), got ${JSON.stringify(kind ?? '')}`);
    } else {
      throw new UsageError(command === undefined ? 'expected a command' : `unknown command ${JSON.stringify(command)}`);
    }
    loadDotEnv();
    const config = loadConfig();
    let text = '';
    if (command === 'import') {
      let bytes: Buffer;
      try {
        bytes = readFileSync(resolve(file!));
      } catch (e) {
        throw new ImportError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const decoded = decodeCsvBytes(bytes);
      if ('problem' in decoded) throw new ImportError(decoded.problem);
      text = decoded.text;
    }
    const db = await openDatabase(databaseAt(config));
    try {
      if (command === 'export') {
        const csv = await exportCsv(db, kind as ExportKind, workspace);
        if (file) {
          writeFileSync(file, csv);
          io.stderr.write(`exported ${kind} to ${file}\n`);
        } else {
          io.stdout.write(csv);
        }
        return 0;
      }
      const timezone = IANAZone.isValidZone(config.STEWARD_TIMEZONE) ? config.STEWARD_TIMEZONE : 'UTC';
      const result = await importCsv(db, kind as ImportKind, text, {
        workspace,
        actor: values.as ?? (workspace.platform === 'shell' ? shellUserName(config.STEWARD_SHELL_USER) : undefined),
        locale: config.STEWARD_LOCALE,
        timezone,
        onProgress: progressBar(io.stderr, `importing ${kind}`),
      });
      for (const e of result.errors) io.stderr.write(`${file}:${e.line}: ${e.message}\n`);
      const summary = `${kind}: ${result.rows} rows, ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.errors.length} rejected`;
      io.stdout.write(`${summary}\n`);
      return result.errors.length ? 1 : 0;
    } finally {
      await closeDatabase(db);
    }
  } catch (e) {
    return reported(e, io.stderr, command === 'import' ? file : undefined);
  }
}

/**
 * What the operator is told of a failed `run` or `runAll`, and its exit code: a usage mistake with the usage,
 * an import's or the configuration's problem on one line (an import's naming `importing`, the file); anything else is thrown on.
 */
function reported(e: unknown, stderr: NodeJS.WritableStream, importing?: string): number {
  if (e instanceof UsageError) {
    stderr.write(`steward: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (e instanceof ImportError || e instanceof ConfigError) {
    stderr.write(`steward: ${importing && e instanceof ImportError ? `${importing}: ` : ''}${e.message}\n`);
    return 2;
  }
  throw e;
}

/** `export --all <dir>` and `import --all <dir>`. */
async function runAll(positionals: string[], workspaceOption: string | undefined, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const [command, dir, ...extra] = positionals;
  try {
    if (command !== 'import' && command !== 'export') throw new UsageError(`--all: expected import or export, got ${JSON.stringify(command ?? '')}`);
    if (!dir) throw new UsageError(`${command} --all: which directory?`);
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const workspace = workspaceOption === undefined ? undefined : parseWorkspace(workspaceOption);
    loadDotEnv();
    const config = loadConfig();
    if (command === 'export') {
      const db = await openDatabase(databaseAt(config));
      try {
        const ws = workspace ?? SHELL_WORKSPACE;
        const written = await exportBookTo(db, ws, dir);
        if (!written) throw new ImportError(`no workspace ${ws.platform}:${ws.workspaceId} in ${config.DATABASE_URL ? 'the PostgreSQL database' : config.STEWARD_DB}`);
        io.stderr.write(`exported ${written.length} files to ${dir}\n`);
        return 0;
      } finally {
        await closeDatabase(db);
      }
    }
    const files = readBookDir(dir);
    const db = await openDatabase(databaseAt(config));
    try {
      const result = await importBook(db, files, workspace);
      const counts = Object.entries(result.rows)
        .map(([f, n]) => `${f}.csv ${n} ${n === 1 ? 'row' : 'rows'}`)
        .join(', ');
      io.stdout.write(`imported into ${result.workspace.platform}:${result.workspace.workspaceId}: ${counts}\n`);
      return 0;
    } finally {
      await closeDatabase(db);
    }
  } catch (e) {
    if (e instanceof BookError) {
      for (const p of e.problems) io.stderr.write(`${dir}/${problemLine(p)}\n`);
      io.stderr.write(`steward: nothing imported (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'})\n`);
      return 2;
    }
    return reported(e, io.stderr);
  }
}

/** Runs one command line, `migrate-db` and `backup` (asynchronous) included; returns the exit code. */
export async function main(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const configuredBook = () => {
    loadDotEnv();
    return loadConfig().STEWARD_DB;
  };
  // On PostgreSQL its URL, which backup refuses with a line naming pg_dump.
  if (argv[0] === 'backup')
    return runBackup(argv.slice(1), io, () => {
      loadDotEnv();
      const config = loadConfig();
      return config.DATABASE_URL ?? config.STEWARD_DB;
    });
  if (argv[0] !== 'migrate-db') return run(argv, io);
  return runMigrateDb(argv.slice(1), io, configuredBook);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
