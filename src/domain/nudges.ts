// Recording a nudge: a row in the outbox (`nudges`) under a unique dedupe key, written in the
// transaction that decided it, so a redo, a crash or a second process decides it once.
// Delivery (src/scheduler/outbox.ts) reads the rows; deciding and recording is the domain's.
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
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
export function recordNudge(db: Tx, n: NewNudge): number | undefined {
  return db
    .insert(nudges)
    .values(row(n))
    .onConflictDoNothing({ target: [nudges.tenantId, nudges.dedupeKey] })
    .returning({ id: nudges.id })
    .get()?.id;
}

/**
 * Records many nudges through one prepared statement (drizzle's `.prepare()`: the SQL
 * is built and compiled once, each row only binds); each whose dedupe key is already
 * taken is left out. Returns the new ones' ids and kinds, in the order given.
 */
export function recordNudges(db: Tx, list: readonly NewNudge[]): { id: number; kind: string; dedupeKey: string }[] {
  if (list.length === 0) return [];
  const p = <T>(name: string) => sql.placeholder(name) as unknown as T;
  const insert = db
    .insert(nudges)
    .values({
      tenantId: p('tenantId'),
      dedupeKey: p('dedupeKey'),
      kind: p('kind'),
      subjectType: p('subjectType'),
      subjectId: p('subjectId'),
      recipientId: p('recipientId'),
      channel: p('channel'),
      period: p('period'),
      payload: p('payload'),
      notBefore: p('notBefore'),
      createdAt: p('createdAt'),
    })
    .onConflictDoNothing({ target: [nudges.tenantId, nudges.dedupeKey] })
    .prepare();
  const out: { id: number; kind: string; dedupeKey: string }[] = [];
  for (const n of list) {
    // A row turned away by its dedupe key changes nothing; a new one's id is the last inserted rowid.
    const r = insert.run(row(n));
    if (r.changes > 0) out.push({ id: Number(r.lastInsertRowid), kind: n.kind, dedupeKey: n.dedupeKey });
  }
  return out;
}
