// `steward export --all <dir>` and `steward import --all <dir>`: a workspace's
// whole book as one CSV file per entity, so that a book moved to an empty
// database reads exactly as it did (every /account, /risk, /churn, /coverage and
// digest). Every column of each table is written, by its column name; a column
// that points at another row names it as a person reads it — a member by their
// user id, an account by its name, a contact by its name within the account
// (`Wu Gang#2` for the second of that name), a complaint, promise or checklist
// item by its short id (C-12, P-3, T-7) — never by a database id, not even inside
// a JSON cell (who ticked a review's checklist item) or a key (an escalation's
// `escalation:C-12:2`). Instants are ISO date-times in the workspace's zone, to
// the millisecond.
//
// The import is all-or-nothing: every file is read and every row checked, and
// one bad cell anywhere writes nothing; the report names the file, line and column.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { and, asc, eq, getTableColumns, sql, type Column } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { DateTime } from 'luxon';
import type { Db, Tx } from '../../db/index.js';
import {
  accountAliases,
  accountLosses,
  accounts,
  auditLog,
  churnSignals,
  complaintEvents,
  complaints,
  contacts,
  members,
  nudges,
  nudgeSnoozes,
  pairings,
  promiseMoves,
  promises,
  reviewItems,
  tasks,
  tenants,
  touchpointParticipants,
  touchpoints,
  FUNCTIONS,
  PLATFORMS,
  type Platform,
} from '../../db/schema.js';
import { decodeCsvBytes } from './csv-text.js';
import { normalize } from '../domain/text.js';
import { findTenant, type Workspace } from '../domain/tenants.js';
import { transact } from '../../db/index.js';

type RefKind = 'member' | 'account' | 'contact' | 'complaint' | 'promise' | 'task';

interface Entity {
  /** The file's name without `.csv`. */
  file: string;
  table: SQLiteTable;
  /** Columns (by their key in the schema) that point at another row, and what they point at. */
  refs: Record<string, RefKind | ((row: Record<string, unknown>) => RefKind | undefined)>;
  /** Columns computed from others on import (a name's match key). */
  derived?: Record<string, (row: Record<string, unknown>) => unknown>;
  /** The row's own short id, written as `ref` (a checklist item's T-<n>). */
  shortId?: 'task';
  /** Only these rows are book data (the audit trail: the rows the health model reads). */
  only?: (row: Record<string, unknown>) => boolean;
  /** JSON columns whose entries hold database ids or instants: how each is written and read back. */
  json?: Record<string, JsonCell>;
  /** Text columns that hold a database id (a nudge's dedupe key): how each is written and read back. */
  text?: Record<string, TextCell>;
}

interface TextCell {
  out: (v: string, ref: RefOut) => string;
  /** Throws an Error whose message is the problem. */
  in: (raw: string, ref: RefIn) => string;
}

/** An escalation's dedupe key, `escalation:<complaint id>:<rung>[:…]`, written `escalation:C-<n>:<rung>[:…]`. */
const ESCALATION_KEY: TextCell = {
  out: (v, ref) => {
    const [head, id, ...rest] = v.split(':');
    return [head, ref('complaint', Number(id)), ...rest].join(':');
  },
  in: (raw, ref) => {
    const m = /^escalation:(C-\d+)(:.+)$/i.exec(raw);
    if (!m) throw new Error(`expected escalation:C-<n>:<rung>, got ${JSON.stringify(raw)}`);
    return `escalation:${ref('complaint', m[1]!)}${m[2]!}`;
  },
};

type RefOut = (kind: RefKind, id: number) => string;
type RefIn = (kind: RefKind, ref: unknown) => number;
interface JsonCell {
  out: (v: unknown, ref: RefOut, zone: string) => unknown;
  /** Throws an Error whose message is the problem. */
  in: (v: unknown, ref: RefIn) => unknown;
}

/**
 * A review's checklist: `{ key, done, tickedBy, tickedAt }` per item, who ticked it as their
 * user id and when as an ISO date-time in the workspace's zone (as every instant of the book).
 */
const CHECKLIST: JsonCell = {
  out: (v, ref, zone) =>
    (v as { key: string; done: boolean; tickedBy?: number | null; tickedAt?: number | null }[]).map((c) => ({
      ...c,
      ...(c.tickedBy != null ? { tickedBy: ref('member', c.tickedBy) } : {}),
      ...(c.tickedAt != null ? { tickedAt: DateTime.fromMillis(c.tickedAt, { zone }).toISO() } : {}),
    })),
  in: (v, ref) => {
    const example = 'expected a JSON list such as [{"key":"risks","done":true,"tickedBy":"zhang","tickedAt":"2026-09-12T10:00:00.000+08:00"}]';
    if (!Array.isArray(v)) throw new Error(example);
    return v.map((c: unknown, i) => {
      const e = c as Record<string, unknown>;
      if (typeof e !== 'object' || e === null || typeof e.key !== 'string' || typeof e.done !== 'boolean') throw new Error(`item ${i + 1}: ${example}`);
      const out: Record<string, unknown> = { ...e };
      if (e.tickedBy != null) {
        try {
          out.tickedBy = ref('member', e.tickedBy);
        } catch (err) {
          throw new Error(`item ${i + 1} (${e.key}): tickedBy: ${(err as Error).message}`);
        }
      }
      if (e.tickedAt != null) {
        const d = typeof e.tickedAt === 'string' ? DateTime.fromISO(e.tickedAt, { setZone: true }) : undefined;
        if (!d?.isValid) throw new Error(`item ${i + 1} (${e.key}): tickedAt: expected an ISO date-time such as 2026-11-23T10:00:00.000+08:00, got ${JSON.stringify(e.tickedAt)}`);
        out.tickedAt = d.toMillis();
      }
      return out;
    });
  },
};

/**
 * The audit-trail rows a view reads (src/domain/health.ts loadFacts: handovers, a new owner set,
 * a complaint passed to another owner), and which keys of their detail hold database ids.
 * The rest of the trail is a log of who did what, not the book.
 */
export const BOOK_AUDIT: Record<string, Record<string, RefKind | 'account[]'>> = {
  handover: { to: 'member', accountIds: 'account[]' },
  'account.set': { ownerId: 'member' },
  'complaint.assign': { from: 'member', to: 'member' },
};
const AUDIT_ENTITY: Record<string, RefKind> = { member: 'member', account: 'account', complaint: 'complaint' };

/** Every file of a full export, in the order an import reads them (each only points back). */
/** When the sweep next looks at a row is the clock's own bookkeeping, not the book: an imported row is looked at by the next sweep. */
const checkNow = () => 0;

export const ENTITIES: Entity[] = [
  { file: 'workspace', table: tenants, refs: {} },
  { file: 'members', table: members, refs: { managerId: 'member' } },
  { file: 'accounts', table: accounts, refs: { ownerId: 'member' }, derived: { nameKey: (r) => normalize(String(r.name)), nextCheckAt: checkNow } },
  { file: 'contacts', table: contacts, refs: { accountId: 'account', replacedById: 'contact' }, derived: { nameKey: (r) => normalize(String(r.name)) } },
  { file: 'touchpoints', table: touchpoints, refs: { accountId: 'account', memberId: 'member', contactId: 'contact' } },
  { file: 'complaints', table: complaints, refs: { accountId: 'account', ownerId: 'member', reporterId: 'member', resolvedById: 'member' }, derived: { nextCheckAt: checkNow } },
  { file: 'complaint_events', table: complaintEvents, refs: { complaintId: 'complaint', actorId: 'member', fromId: 'member', toId: 'member' } },
  { file: 'promises', table: promises, refs: { accountId: 'account', ownerId: 'member', complaintId: 'complaint', closedById: 'member' }, derived: { nextCheckAt: checkNow } },
  { file: 'promise_moves', table: promiseMoves, refs: { promiseId: 'promise', byId: 'member' } },
  { file: 'pairings', table: pairings, refs: { accountId: 'account', execId: 'member' } },
  { file: 'reviews', table: reviewItems, refs: { accountId: 'account', ownerId: 'member' }, json: { checklist: CHECKLIST } },
  { file: 'signals', table: churnSignals, refs: { accountId: 'account', reporterId: 'member', contactId: 'contact' } },
  { file: 'losses', table: accountLosses, refs: { accountId: 'account', recordedById: 'member' } },
  { file: 'checklist', table: tasks, refs: { accountId: 'account', contactId: 'contact', ownerId: 'member' }, shortId: 'task' },
  // The escalation rungs a complaint went up (its history in /complaint show), as the outbox holds them.
  {
    file: 'escalations',
    table: nudges,
    refs: { subjectId: (r) => (r.subjectType === 'complaint' ? 'complaint' : undefined), recipientId: 'member' },
    text: { dedupeKey: ESCALATION_KEY },
    only: (r) => r.kind === 'escalation' && r.subjectType === 'complaint',
  },
  { file: 'snoozes', table: nudgeSnoozes, refs: { subjectId: (r) => (r.kind === 'revisit' ? 'account' : undefined), memberId: 'member' } },
  { file: 'audit', table: auditLog, refs: { actorId: 'member', entityId: (r) => AUDIT_ENTITY[String(r.entity)] }, only: (r) => String(r.action) in BOOK_AUDIT },
];

const ESCALATIONS = ENTITIES.find((e) => e.file === 'escalations')!;

/** Tables a full export covers without a file of their own, and where they go. */
export const FOLDED: Record<string, string> = {
  account_aliases: 'accounts.csv: made again from the aliases column',
  touchpoint_participants: 'touchpoints.csv: the with column',
};

/**
 * Tables that are not the book: what was delivered or seen, and what the sweep remembers
 * telling. A book moved to a new database starts them afresh.
 */
export const NOT_BOOK: Record<string, string> = {
  nudges: 'the outbox: messages decided and delivered, not facts about the customers (but for the escalations of complaints, escalations.csv: a complaint’s history shows them)',
  inbound_events: 'platform events already processed (dedupe of retries)',
  seen_requests: 'signed requests already accepted (replay protection)',
  health_told: 'what the sweep last told owners of an account’s health; the new database tells afresh',
  health_snapshots: 'a cache of weekly scores; no view reads it',
  handover_jobs: 'the progress of large handovers moving in batches; what they moved is in the book (owners, passes, checklists)',
  slack_installations: 'the Slack app installed in a workspace (its tokens): credentials of the deployment, not the book; a workspace installs the app again',
};

export type { Workspace } from '../domain/tenants.js';

export interface BookProblem {
  file: string;
  line: number;
  column?: string;
  message: string;
}

/** The book could not be imported; nothing was written. */
export class BookError extends Error {
  override name = 'BookError';
  constructor(readonly problems: BookProblem[]) {
    super(problems.map(problemLine).join('\n'));
  }
}

export function problemLine(p: BookProblem): string {
  return `${p.file}.csv:${p.line}: ${p.column ? `${p.column}: ` : ''}${p.message}`;
}

// ---------------------------------------------------------------------------
// Columns

interface Col {
  key: string;
  /** The CSV header. */
  header: string;
  column: Column;
}

/** A file's columns: every column of the table but its id and tenant, a pointer named without `_id`. */
function columnsOf(e: Entity): Col[] {
  const out: Col[] = [];
  if (e.shortId) out.push({ key: 'id', header: 'ref', column: (getTableColumns(e.table) as Record<string, Column>).id! });
  const all = Object.entries(getTableColumns(e.table) as Record<string, Column>);
  for (const [key, column] of all) {
    if (key === 'id' || key === 'tenantId' || e.derived?.[key]) continue;
    const bare = column.name.replace(/_id$/, '');
    // The audit trail's entity_id beside its entity: entity_ref.
    const header = !(key in e.refs) ? column.name : all.some(([, c]) => c.name === bare) ? `${bare}_ref` : bare;
    out.push({ key, header, column });
  }
  if (e.table === touchpoints) out.push({ key: 'with', header: 'with', column: undefined as unknown as Column });
  return out;
}

/** Export: a leading `'` keeps a spreadsheet from running a cell as a formula (as the per-entity export does). */
const FORMULA = /^'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;
const guard = (v: string) => (FORMULA.test(v) ? `'${v}` : v);
const unguard = (v: string) => (v.startsWith("'") && FORMULA.test(v) ? v.slice(1) : v);

const PREFIX: Partial<Record<RefKind, string>> = { complaint: 'C-', promise: 'P-', task: 'T-' };

// ---------------------------------------------------------------------------
// Export

/** The book of one workspace, file name → CSV text; undefined when there is no such workspace. */
export async function exportBook(db: Db | Tx, ws: Workspace): Promise<Map<string, string> | undefined> {
  const tenant = await findTenant(db, ws);
  if (!tenant) return undefined;
  const zone = tenant.timezone;
  const memberRef = new Map((await db.select().from(members).where(eq(members.tenantId, tenant.id)).all()).map((m) => [m.id, m.platformUserId]));
  const accountRef = new Map((await db.select().from(accounts).where(eq(accounts.tenantId, tenant.id)).all()).map((a) => [a.id, a.name]));
  const contactRef = new Map<number, string>();
  const seen = new Map<string, number>();
  for (const c of await db.select().from(contacts).where(eq(contacts.tenantId, tenant.id)).orderBy(asc(contacts.id)).all()) {
    const k = `${c.accountId}\u0000${c.nameKey}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    contactRef.set(c.id, n === 1 ? c.name : `${c.name}#${n}`);
  }
  const numbers = (rows: { id: number; number: number }[], prefix: string) => new Map(rows.map((r) => [r.id, `${prefix}${r.number}`]));
  const refs: Record<RefKind, Map<number, string>> = {
    member: memberRef,
    account: accountRef,
    contact: contactRef,
    complaint: numbers(await db.select({ id: complaints.id, number: complaints.number }).from(complaints).where(eq(complaints.tenantId, tenant.id)).all(), 'C-'),
    promise: numbers(await db.select({ id: promises.id, number: promises.number }).from(promises).where(eq(promises.tenantId, tenant.id)).all(), 'P-'),
    task: new Map((await db.select({ id: tasks.id }).from(tasks).where(eq(tasks.tenantId, tenant.id)).all()).map((r) => [r.id, `T-${r.id}`])),
  };
  const ref = (kind: RefKind, id: number, where: string): string => {
    const r = refs[kind].get(id);
    if (r === undefined) throw new Error(`${where}: no ${kind} ${id} in this workspace`);
    return r;
  };
  const participants = new Map<number, { member: string; our_level: string }[]>();
  for (const p of await db
    .select({ touchpointId: touchpointParticipants.touchpointId, memberId: touchpointParticipants.memberId, ourLevel: touchpointParticipants.ourLevel })
    .from(touchpointParticipants)
    .innerJoin(touchpoints, eq(touchpoints.id, touchpointParticipants.touchpointId))
    .where(eq(touchpoints.tenantId, tenant.id))
    .orderBy(asc(touchpointParticipants.touchpointId), asc(touchpointParticipants.memberId))
    .all()) {
    participants.set(p.touchpointId, [...(participants.get(p.touchpointId) ?? []), { member: ref('member', p.memberId, 'touchpoint_participants'), our_level: p.ourLevel }]);
  }

  const out = new Map<string, string>();
  for (const e of ENTITIES) {
    const cols = columnsOf(e);
    const t = e.table as SQLiteTable & { id: Column; tenantId?: Column };
    const rows = (await (e.table === tenants
      ? db.select().from(tenants).where(eq(tenants.id, tenant.id))
      : db
          .select()
          .from(e.table)
          .where(eq((t as unknown as { tenantId: Column }).tenantId, tenant.id))
          .orderBy(asc(t.id))
    ).all()) as Record<string, unknown>[];
    const lines: string[][] = [];
    for (const row of rows) {
      if (e.only && !e.only(row)) continue;
      const where = `${e.file} ${String(row.id)}`;
      lines.push(
        cols.map((c) => {
          if (c.key === 'with') return JSON.stringify(participants.get(row.id as number) ?? []);
          const v = row[c.key];
          if (c.header === 'ref') return `${PREFIX[e.shortId!]}${String(v)}`;
          if (v === null || v === undefined) return '';
          const kind = c.key in e.refs ? refKind(e, c.key, row) : undefined;
          if (c.key in e.refs) {
            if (!kind) throw new Error(`${where}: ${c.header} points at a ${String(row.kind ?? row.entity)} the export does not know`);
            return guard(ref(kind, v as number, where));
          }
          if (e.table === auditLog && c.key === 'detail')
            return guard(JSON.stringify(auditDetailOut(row.action as string, v as Record<string, unknown>, (k, id) => ref(k, id, where))));
          const json = e.json?.[c.key];
          if (json) return guard(JSON.stringify(json.out(v, (k, id) => ref(k, id, `${where} ${c.header}`), zone)));
          const text = e.text?.[c.key];
          if (text) return guard(text.out(String(v), (k, id) => ref(k, id, `${where} ${c.header}`)));
          return guard(cellOut(c.column, v, zone));
        }),
      );
    }
    out.set(e.file, stringify(lines, { header: true, columns: cols.map((c) => c.header) }));
  }
  return out;
}

function refKind(e: Entity, key: string, row: Record<string, unknown>): RefKind | undefined {
  const r = e.refs[key]!;
  return typeof r === 'function' ? r(row) : r;
}

function cellOut(column: Column, v: unknown, zone: string): string {
  switch (column.columnType) {
    case 'SQLiteTimestamp':
      return DateTime.fromJSDate(v as Date, { zone }).toISO()!;
    case 'SQLiteBoolean':
      return v ? 'yes' : 'no';
    case 'SQLiteTextJson':
      return JSON.stringify(v);
    default:
      return String(v);
  }
}

function auditDetailOut(action: string, detail: Record<string, unknown>, ref: (k: RefKind, id: number) => string): Record<string, unknown> {
  const out = { ...detail };
  for (const [key, kind] of Object.entries(BOOK_AUDIT[action] ?? {})) {
    const v = out[key];
    if (v === undefined || v === null) continue;
    out[key] = kind === 'account[]' ? (v as number[]).map((id) => ref('account', id)) : ref(kind, v as number);
  }
  return out;
}

/** Writes a full export into `dir` (made if missing); returns the files written. */
export async function exportBookTo(db: Db, ws: Workspace, dir: string): Promise<string[] | undefined> {
  const files = await exportBook(db, ws);
  if (!files) return undefined;
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, `${name}.csv`);
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}

// ---------------------------------------------------------------------------
// Import

export interface BookImportResult {
  workspace: Workspace;
  rows: Record<string, number>;
}

/** Reads a full export's files from `dir`, as text; a missing or unreadable file is a problem. */
export function readBookDir(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const problems: BookProblem[] = [];
  // A folder that is not there is one problem, not one per file.
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BookError([{ file: ENTITIES[0]!.file, line: 0, message: `no such folder: ${dir}` }]);
  for (const e of ENTITIES) {
    const path = join(dir, `${e.file}.csv`);
    if (!existsSync(path)) {
      // The list of what a full export holds, once.
      const all = problems.length ? '' : ` (a full export has ${ENTITIES.map((x) => `${x.file}.csv`).join(', ')})`;
      problems.push({ file: e.file, line: 0, message: `missing: ${path}${all}` });
      continue;
    }
    const decoded = decodeCsvBytes(readFileSync(path));
    if ('problem' in decoded) problems.push({ file: e.file, line: 0, message: decoded.problem });
    else files.set(e.file, decoded.text);
  }
  if (problems.length) throw new BookError(problems);
  return files;
}

class Stop extends Error {}

/**
 * Imports a full export into an empty workspace (the one the workspace file names, or `into`):
 * every row is checked, and one problem anywhere writes nothing.
 */
export async function importBook(db: Db, files: Map<string, string>, into?: Workspace): Promise<BookImportResult> {
  const problems: BookProblem[] = [];
  const parsed = new Map<string, { line: number; values: Record<string, string> }[]>();
  for (const e of ENTITIES) {
    const text = files.get(e.file);
    if (text === undefined) {
      problems.push({ file: e.file, line: 0, message: 'missing' });
      continue;
    }
    try {
      parsed.set(e.file, readFile(e, text));
    } catch (err) {
      if (!(err instanceof BookError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new BookError(problems);
  const head = parsed.get('workspace')!;
  if (head.length !== 1) throw new BookError([{ file: 'workspace', line: 2, message: `expected one row (the workspace), got ${head.length}` }]);
  const zone = head[0]!.values.timezone ?? '';
  if (!DateTime.local().setZone(zone).isValid) throw new BookError([{ file: 'workspace', line: 2, column: 'timezone', message: `not an IANA time zone: ${JSON.stringify(zone)}` }]);
  const result: BookImportResult = { workspace: into ?? { platform: head[0]!.values.platform as Platform, workspaceId: head[0]!.values.workspace_id ?? '' }, rows: {} };
  if (!(PLATFORMS as readonly string[]).includes(result.workspace.platform)) {
    throw new BookError([{ file: 'workspace', line: 2, column: 'platform', message: `expected one of ${PLATFORMS.join(', ')}, got ${JSON.stringify(result.workspace.platform)}` }]);
  }

  try {
    await transact(
      db,
      async (tx) => {
        const ids: Record<RefKind, Map<string, number>> = { member: new Map(), account: new Map(), contact: new Map(), complaint: new Map(), promise: new Map(), task: new Map() };
        let tenantId = 0;
        for (const e of ENTITIES) {
          const cols = columnsOf(e);
          const deferred: { id: number; key: string; kind: RefKind; ref: string; line: number; header: string; accountId: number | undefined }[] = [];
          let count = 0;
          for (const { line, values } of parsed.get(e.file)!) {
            const row: Record<string, unknown> = {};
            const later: typeof deferred = [];
            let withList: { member: string; our_level: string }[] = [];
            let ok = true;
            let refId: number | undefined;
            const bad = (column: string, message: string) => {
              problems.push({ file: e.file, line, column, message });
              ok = false;
            };
            for (const c of cols) {
              const raw = unguard(values[c.header] ?? '');
              if (c.key === 'with') {
                try {
                  withList = raw === '' ? [] : (JSON.parse(raw) as typeof withList);
                  if (!Array.isArray(withList) || withList.some((w) => typeof w?.member !== 'string' || !(FUNCTIONS as readonly string[]).includes(w.our_level))) throw new Error();
                } catch {
                  bad(c.header, `expected a JSON list such as [{"member":"bob","our_level":"sales"}], got ${JSON.stringify(raw)}`);
                }
                continue;
              }
              if (c.header === 'ref') {
                const m = /^T-(\d+)$/.exec(raw);
                if (!m) bad('ref', `expected T-<number>, got ${JSON.stringify(raw)}`);
                else refId = Number(m[1]);
                continue;
              }
              if (c.key in e.refs) {
                if (raw === '') {
                  if (c.column.notNull) bad(c.header, 'is required');
                  else row[c.key] = null;
                  continue;
                }
                const kind = refKind(e, c.key, row);
                if (!kind) {
                  bad(c.header, `cannot point at a ${String(row.kind ?? row.entity)}`);
                  continue;
                }
                // A pointer at a row of the same file (a member's manager, a contact's replacement) is set once the file is in.
                if (kind === entityKind(e)) {
                  later.push({ id: 0, key: c.key, kind, ref: raw, line, header: c.header, accountId: row.accountId as number | undefined });
                  row[c.key] = null;
                  continue;
                }
                const id = resolve(ids, kind, raw, row.accountId as number | undefined);
                if (id === undefined) bad(c.header, `no ${kind} ${JSON.stringify(raw)}${kind === 'contact' ? ' at that account' : ''} in ${fileOf(kind)}.csv`);
                else row[c.key] = id;
                continue;
              }
              if (e.table === auditLog && c.key === 'detail') {
                try {
                  row.detail = raw === '' ? null : auditDetailIn(String(row.action), JSON.parse(raw) as Record<string, unknown>, ids);
                } catch (err) {
                  bad(c.header, (err as Error).message);
                }
                continue;
              }
              const refIn: RefIn = (k, r) => {
                const id = typeof r === 'string' ? resolve(ids, k, r, undefined) : undefined;
                if (id === undefined) throw new Error(`no ${k} ${JSON.stringify(r)} in ${fileOf(k)}.csv`);
                return id;
              };
              const json = e.json?.[c.key];
              if (json && raw !== '') {
                try {
                  row[c.key] = json.in(JSON.parse(raw), refIn);
                } catch (err) {
                  bad(c.header, err instanceof SyntaxError ? `expected JSON, got ${JSON.stringify(raw)}` : (err as Error).message);
                }
                continue;
              }
              const text = e.text?.[c.key];
              if (text) {
                try {
                  row[c.key] = text.in(raw, refIn);
                } catch (err) {
                  bad(c.header, (err as Error).message);
                }
                continue;
              }
              const v = cellIn(c.column, raw);
              if ('problem' in v) bad(c.header, v.problem);
              else if (v.value !== undefined) row[c.key] = v.value;
            }
            if (!ok) continue;
            if (e === ESCALATIONS && !e.only!(row)) {
              bad(
                'kind',
                `expected an escalation of a complaint (kind escalation, subject_type complaint), got ${JSON.stringify(row.kind)} of a ${JSON.stringify(row.subjectType)}`,
              );
              continue;
            }
            for (const [key, make] of Object.entries(e.derived ?? {})) row[key] = make(row);
            if (e.table === tenants) {
              Object.assign(row, { platform: result.workspace.platform, workspaceId: result.workspace.workspaceId });
              const existing = await tx
                .select()
                .from(tenants)
                .where(and(eq(tenants.platform, result.workspace.platform), eq(tenants.workspaceId, result.workspace.workspaceId)))
                .get();
              if (existing) {
                const busy =
                  (await tx.select({ n: sql<number>`count(*)` }).from(members).where(eq(members.tenantId, existing.id)).get())!.n +
                  (await tx.select({ n: sql<number>`count(*)` }).from(accounts).where(eq(accounts.tenantId, existing.id)).get())!.n;
                if (busy) {
                  problems.push({
                    file: e.file,
                    line,
                    message: `${result.workspace.platform}:${result.workspace.workspaceId} already has a book; import --all fills an empty workspace only`,
                  });
                  throw new Stop();
                }
                await tx.update(tenants).set(row).where(eq(tenants.id, existing.id)).run();
                tenantId = existing.id;
              } else {
                tenantId = (
                  await tx
                    .insert(tenants)
                    .values(row as typeof tenants.$inferInsert)
                    .returning({ id: tenants.id })
                    .get()
                ).id;
              }
              count++;
              continue;
            }
            row.tenantId = tenantId;
            // A checklist item keeps its number (T-7) when no other item has it.
            if (refId !== undefined && !(await tx.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, refId)).get())) row.id = refId;
            const clash = await uniqueClash(tx, e, row, ids, values);
            if (clash) {
              bad(clash.column, clash.message);
              continue;
            }
            const inserted = (await tx
              .insert(e.table)
              .values(row as never)
              .returning()
              .get()) as Record<string, unknown>;
            count++;
            for (const d of later) deferred.push({ ...d, id: inserted.id as number });
            remember(ids, e, inserted, values, refId);
            if (e.table === accounts) {
              const keys = [...new Set((inserted.aliases as string[]).map(normalize))];
              if (keys.length)
                await tx
                  .insert(accountAliases)
                  .values(keys.map((key) => ({ tenantId, accountId: inserted.id as number, key })))
                  .onConflictDoNothing()
                  .run();
            }
            for (const w of withList) {
              const m = ids.member.get(w.member);
              if (m === undefined) bad('with', `no member ${JSON.stringify(w.member)} in members.csv`);
              else
                await tx
                  .insert(touchpointParticipants)
                  .values({ touchpointId: inserted.id as number, memberId: m, ourLevel: w.our_level as (typeof FUNCTIONS)[number] })
                  .onConflictDoNothing()
                  .run();
            }
          }
          for (const d of deferred) {
            const target = resolve(ids, d.kind, d.ref, d.accountId);
            if (target === undefined) {
              problems.push({ file: e.file, line: d.line, column: d.header, message: `no ${d.kind} ${JSON.stringify(d.ref)} in ${e.file}.csv` });
              continue;
            }
            const t = e.table as unknown as { id: Column };
            await tx
              .update(e.table)
              .set({ [d.key]: target } as never)
              .where(eq(t.id, d.id))
              .run();
          }
          result.rows[e.file] = count;
        }
        if (problems.length) throw new Stop();
      },
      { behavior: 'immediate' },
    );
  } catch (err) {
    if (err instanceof Stop) throw new BookError(problems);
    throw err;
  }
  return result;
}

function entityKind(e: Entity): RefKind | undefined {
  return e.table === members ? 'member' : e.table === contacts ? 'contact' : undefined;
}

function fileOf(kind: RefKind): string {
  return { member: 'members', account: 'accounts', contact: 'contacts', complaint: 'complaints', promise: 'promises', task: 'checklist' }[kind];
}

function resolve(ids: Record<RefKind, Map<string, number>>, kind: RefKind, raw: string, accountId: number | undefined): number | undefined {
  if (kind === 'account') return ids.account.get(normalize(raw));
  if (kind === 'contact') return accountId === undefined ? undefined : ids.contact.get(`${accountId}\u0000${raw}`);
  if (kind === 'member') return ids.member.get(raw);
  return ids[kind].get(raw.toUpperCase());
}

/** What later rows may point at: this row, by the reference the export wrote for it. */
function remember(ids: Record<RefKind, Map<string, number>>, e: Entity, row: Record<string, unknown>, values: Record<string, string>, ref: number | undefined): void {
  const id = row.id as number;
  if (e.table === members) ids.member.set(String(row.platformUserId), id);
  else if (e.table === accounts) ids.account.set(String(row.nameKey), id);
  else if (e.table === contacts) {
    // As the export numbers them: the second contact of a name at an account is `Name#2`.
    let n = 1;
    while (ids.contact.has(`${String(row.accountId)}\u0000${n === 1 ? String(row.name) : `${String(row.name)}#${n}`}`)) n++;
    ids.contact.set(`${String(row.accountId)}\u0000${n === 1 ? String(row.name) : `${String(row.name)}#${n}`}`, id);
  } else if (e.table === complaints) ids.complaint.set(`C-${String(row.number)}`, id);
  else if (e.table === promises) ids.promise.set(`P-${String(row.number)}`, id);
  else if (e.table === tasks && ref !== undefined) ids.task.set(`T-${ref}`, id);
  void values;
}

/** A row that would break a unique rule of the book (two accounts of one name, two C-5s), as a problem rather than a crash. */
async function uniqueClash(
  tx: Tx,
  e: Entity,
  row: Record<string, unknown>,
  ids: Record<RefKind, Map<string, number>>,
  raw: Record<string, string>,
): Promise<{ column: string; message: string } | undefined> {
  if (e.table === members && ids.member.has(String(row.platformUserId))) return { column: 'platform_user_id', message: `${JSON.stringify(row.platformUserId)} appears twice` };
  if (e.table === accounts && ids.account.has(String(row.nameKey))) return { column: 'name', message: `${JSON.stringify(row.name)} appears twice` };
  if (e.table === complaints && ids.complaint.has(`C-${String(row.number)}`)) return { column: 'number', message: `C-${String(row.number)} appears twice` };
  if (e.table === promises && ids.promise.has(`P-${String(row.number)}`)) return { column: 'number', message: `P-${String(row.number)} appears twice` };
  if (e.table === nudges) {
    const n = row as { tenantId: number; dedupeKey: string };
    if (
      await tx
        .select({ id: nudges.id })
        .from(nudges)
        .where(and(eq(nudges.tenantId, n.tenantId), eq(nudges.dedupeKey, n.dedupeKey)))
        .get()
    )
      return { column: 'dedupe_key', message: `${JSON.stringify(unguard(raw.dedupe_key ?? ''))} appears twice` };
  }
  if (e.table === reviewItems) {
    const t = row as { number: number; accountId: number; season: number; tenantId: number };
    if (
      await tx
        .select({ id: reviewItems.id })
        .from(reviewItems)
        .where(and(eq(reviewItems.tenantId, t.tenantId), eq(reviewItems.number, t.number)))
        .get()
    )
      return { column: 'number', message: `R-${t.number} appears twice` };
    if (
      await tx
        .select({ id: reviewItems.id })
        .from(reviewItems)
        .where(and(eq(reviewItems.accountId, t.accountId), eq(reviewItems.season, t.season)))
        .get()
    )
      return { column: 'season', message: `a second review of that account for ${t.season}` };
  }
  return undefined;
}

function auditDetailIn(action: string, detail: Record<string, unknown>, ids: Record<RefKind, Map<string, number>>): Record<string, unknown> {
  if (typeof detail !== 'object' || detail === null) throw new Error('expected a JSON object');
  const out = { ...detail };
  for (const [key, kind] of Object.entries(BOOK_AUDIT[action] ?? {})) {
    const v = out[key];
    if (v === undefined || v === null) continue;
    const one = (k: RefKind, r: unknown) => {
      const id = resolve(ids, k, String(r), undefined);
      if (id === undefined) throw new Error(`${key}: no ${k} ${JSON.stringify(r)} in ${fileOf(k)}.csv`);
      return id;
    };
    out[key] = kind === 'account[]' ? (v as unknown[]).map((r) => one('account', r)) : one(kind, v);
  }
  return out;
}

type CellIn = { value: unknown } | { problem: string };

function cellIn(column: Column, raw: string): CellIn {
  if (raw === '') {
    if (!column.notNull) return { value: null };
    if (column.hasDefault) return { value: undefined };
    if (column.columnType === 'SQLiteText') return { value: '' };
    return { problem: 'is required' };
  }
  switch (column.columnType) {
    case 'SQLiteTimestamp': {
      const d = DateTime.fromISO(raw, { setZone: true });
      return d.isValid ? { value: d.toJSDate() } : { problem: `expected an ISO date-time such as 2026-11-23T10:00:00.000+08:00, got ${JSON.stringify(raw)}` };
    }
    case 'SQLiteBoolean':
      return /^(yes|true)$/i.test(raw) ? { value: true } : /^(no|false)$/i.test(raw) ? { value: false } : { problem: `expected yes or no, got ${JSON.stringify(raw)}` };
    case 'SQLiteTextJson':
      try {
        return { value: JSON.parse(raw) };
      } catch {
        return { problem: `expected JSON, got ${JSON.stringify(raw)}` };
      }
    case 'SQLiteInteger':
      return /^-?\d+$/.test(raw) ? { value: Number(raw) } : { problem: `expected a whole number, got ${JSON.stringify(raw)}` };
    case 'SQLiteReal':
      return Number.isFinite(Number(raw)) ? { value: Number(raw) } : { problem: `expected a number, got ${JSON.stringify(raw)}` };
    default: {
      const values = (column as Column & { enumValues?: string[] }).enumValues;
      if (values?.length && !values.includes(raw)) return { problem: `expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}` };
      return { value: raw };
    }
  }
}

function readFile(e: Entity, text: string): { line: number; values: Record<string, string> }[] {
  const expected = columnsOf(e).map((c) => c.header);
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        const unknown = names.filter((n) => !expected.includes(n));
        const missing = expected.filter((n) => !names.includes(n));
        const twice = names.filter((n, i) => names.indexOf(n) !== i);
        const say: string[] = [];
        if (unknown.length) say.push(`unknown column ${unknown.join(', ')}`);
        if (missing.length) say.push(`missing column ${missing.join(', ')}`);
        if (twice.length) say.push(`the column ${twice.join(', ')} appears twice`);
        if (say.length) throw new BookError([{ file: e.file, line: 1, message: `${say.join('; ')}; the columns are ${expected.join(',')}` }]);
        return names;
      },
      skip_empty_lines: true,
      info: true,
    }) as typeof records;
  } catch (err) {
    if (err instanceof BookError) throw err;
    throw new BookError([{ file: e.file, line: (err as { lines?: number }).lines ?? 0, message: `not a readable CSV file: ${(err as Error).message}` }]);
  }
  if (!records.length && text.replace(/^\uFEFF/, '').trim() === '') throw new BookError([{ file: e.file, line: 1, message: `no header; the columns are ${expected.join(',')}` }]);
  return records.map(({ record, info }) => {
    const inner = Object.values(record).reduce((n, v) => n + (typeof v === 'string' ? (v.match(/\r\n|\r|\n/g)?.length ?? 0) : 0), 0);
    return { line: info.lines - inner, values: record };
  });
}
