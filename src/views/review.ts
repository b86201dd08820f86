// The supplier review's cards: an item's checklist, line by line, and the card its owner ticks from.
import type { reviewItems } from '../../db/schema.js';
import type { ChecklistEntry, ReviewItemKey } from '../domain/review.js';
import { daysUntil, fmtDay, ref } from '../domain/format.js';
import type { Account } from '../domain/types.js';
import type { View } from '../domain/view.js';
import { list, reply, text, type Reply } from '../engine/reply.js';
import { quote } from '../../prompts/quote.js';

export interface ReviewCardOptions {
  /** A member's name by id, for who ticked an item. */
  who?: (id: number) => string | undefined;
  /** What an item says beyond ticked or not (its check against the record), by key. */
  notes?: ReadonlyMap<string, string>;
}

/** Each item numbered, with its key to tick it by, who ticked it and when. */
export function reviewItemLines(v: View, checklist: readonly ChecklistEntry[], o: ReviewCardOptions = {}): string[] {
  return checklist.map((c, i) => {
    const key = c.key as ReviewItemKey;
    const by = c.done ? v.t.review.tickedBy(c.tickedBy != null ? o.who?.(c.tickedBy) : undefined, c.tickedAt != null ? fmtDay(v, new Date(c.tickedAt)) : undefined) : undefined;
    const state = [by, o.notes?.get(c.key)].filter((x) => x).join('; ') || undefined;
    return `${c.done ? '☑' : '☐'} ${v.t.review.itemLine(i + 1, v.t.review.checklist[key] ?? c.key, v.t.review.itemKeys[key] ?? c.key, state)}`;
  });
}

export function reviewCard(v: View, r: typeof reviewItems.$inferSelect, a: Account, o: ReviewCardOptions = {}): Reply {
  const id = ref('R', r.number);
  const out = reply(
    r.status === 'held' ? 'success' : 'warning',
    v.t.review.cardTitle(id, a.name, fmtDay(v, r.dueOn), daysUntil(v, r.dueOn)),
    text(v.t.review.status[r.status]),
    list(reviewItemLines(v, r.checklist, o), { heading: v.t.review.checklistHeading }),
  );
  out.buttons = [
    { label: v.t.buttons.reviewPrepared, command: `/review ${quote(a.name)} prepared` },
    { label: v.t.buttons.reviewHeld, command: `/review ${quote(a.name)} held`, style: 'primary' },
  ];
  return out;
}
