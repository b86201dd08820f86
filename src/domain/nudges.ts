// Recording a nudge: a row in the outbox (`nudges`) under a unique dedupe key, written in the
// transaction that decided it, so a redo, a crash or a second process decides it once.
// Delivery (src/scheduler/outbox.ts) reads the rows; deciding and recording is the domain's.
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
  return db.insert(nudges).values(row(n)).onConflictDoNothing({ target: [nudges.tenantId, nudges.dedupeKey] }).returning({ id: nudges.id }).get()?.id;
}

/** Rows per INSERT: 13 bound values a row, well under SQLite's limit of bound parameters. */
const ROWS_PER_INSERT = 500;

/**
 * Records many nudges, several rows per INSERT; each whose dedupe key is already
 * taken is left out. Returns the new ones' ids and kinds, in the order given.
 */
export function recordNudges(db: Tx, list: readonly NewNudge[]): { id: number; kind: string; dedupeKey: string }[] {
  const out: { id: number; kind: string; dedupeKey: string }[] = [];
  for (let i = 0; i < list.length; i += ROWS_PER_INSERT) {
    const rows = db
      .insert(nudges)
      .values(list.slice(i, i + ROWS_PER_INSERT).map(row))
      .onConflictDoNothing({ target: [nudges.tenantId, nudges.dedupeKey] })
      .returning({ id: nudges.id, kind: nudges.kind, dedupeKey: nudges.dedupeKey })
      .all();
    out.push(...rows.sort((a, b) => a.id - b.id));
  }
  return out;
}

