// Recording a nudge: a row in the outbox (`nudges`) under a unique dedupe key, written in the
// transaction that decided it, so a redo, a crash or a second process decides it once.
// Delivery (src/scheduler/outbox.ts) reads the rows; deciding and recording is the domain's.
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { nudges } from '../../db/schema.js';

export interface NewNudge {
  /** When it was decided (the sweep's or command's clock). */
  createdAt?: Date;
  tenantId: number;
  /** Unique per tenant: kind, subject and period, e.g. `revisit:12:2026-11-20:1`. */
  dedupeKey: string;
  kind: string;
  subjectType: string;
  subjectId: number;
  recipientId?: number | null;
  channel?: string | null;
  period: string;
  /** The message as the views composed it (a Reply), in its reader's language. */
  payload: object;
  notBefore: Date;
}

const row = (n: NewNudge) => ({ ...n, createdAt: n.createdAt ?? n.notBefore, recipientId: n.recipientId ?? null, channel: n.channel ?? null });

/** Records a nudge unless its dedupe key is already taken; returns its id when it is new. */
export async function recordNudge(db: Tx, n: NewNudge): Promise<number | undefined> {
  return (
    await db
      .insert(nudges)
      .values(row(n))
      .onConflictDoNothing({ target: [nudges.tenantId, nudges.dedupeKey] })
      .returning({ id: nudges.id })
      .get()
  )?.id;
}

/** Rows an INSERT: 11 values each, far below SQLite's limit of bound values. */
const ROWS_PER_INSERT = 64;

const COLUMNS = ['tenantId', 'dedupeKey', 'kind', 'subjectType', 'subjectId', 'recipientId', 'channel', 'period', 'payload', 'notBefore', 'createdAt'] as const;

/** The prepared multi-row INSERT of `n` rows (values in placeholders `<column><row>`), one per size and handle. */
function insertOf(db: Tx, n: number) {
  return prepared(db, `nudges.insert.${n}`, (h) => {
    const values = Array.from({ length: n }, (_, i) => Object.fromEntries(COLUMNS.map((c) => [c, sql.placeholder(`${c}${i}`)])) as unknown as typeof nudges.$inferInsert);
    return h
      .insert(nudges)
      .values(values)
      .onConflictDoNothing({ target: [nudges.tenantId, nudges.dedupeKey] })
      .returning({ id: nudges.id, dedupeKey: nudges.dedupeKey, tenantId: nudges.tenantId })
      .prepare();
  });
}

/**
 * Records many nudges, up to 64 rows an INSERT, each through a drizzle prepared statement
 * (`.prepare()`: built and compiled once per size, each run only binds); a row whose
 * dedupe key is already taken is left out (ON CONFLICT DO NOTHING). Returns the new ones'
 * ids and kinds, in the order given.
 */
export async function recordNudges(db: Tx, list: readonly NewNudge[]): Promise<{ id: number; kind: string; dedupeKey: string }[]> {
  if (list.length === 0) return [];
  const inserted = new Map<string, number>();
  for (let i = 0; i < list.length; i += ROWS_PER_INSERT) {
    const part = list.slice(i, i + ROWS_PER_INSERT);
    const params: Record<string, unknown> = {};
    part.forEach((n, j) => {
      const r = row(n);
      for (const c of COLUMNS) params[`${c}${j}`] = r[c];
    });
    // Only the rows inserted come back (RETURNING skips a row turned away by its dedupe key).
    for (const r of await insertOf(db, part.length).all(params)) inserted.set(`${r.tenantId}\u0000${r.dedupeKey}`, r.id);
  }
  const out: { id: number; kind: string; dedupeKey: string }[] = [];
  for (const n of list) {
    const k = `${n.tenantId}\u0000${n.dedupeKey}`;
    const id = inserted.get(k);
    if (id === undefined) continue;
    // A key given twice in one list is new once.
    inserted.delete(k);
    out.push({ id, kind: n.kind, dedupeKey: n.dedupeKey });
  }
  return out;
}
