import type { Catalog } from '../../prompts/index.js';
import { Refusal } from '../domain/refusal.js';
import type { Rich } from './reply.js';

/**
 * Something the user got wrong (or may not do). The engine turns it into an
 * error reply with the usage of the form they were typing, and rolls back.
 */
export class UserError extends Error {
  override name = 'UserError';
  /** Which argument, option or `text` was wrong, so a form can show the error on its field. */
  field?: string;
  constructor(
    readonly detail: Rich,
    /** Extra lines (candidates, suggestions) shown under the message. */
    readonly items: Rich[] = [],
    /** Whether to show the usage of the form; off for refusals, where usage would not help. */
    readonly showUsage = true,
    /** Set when only the free text was missing, so a platform can ask for it (a modal, a card form). */
    readonly missingText?: string,
  ) {
    super(typeof detail === 'string' ? detail : 'user error');
  }
}

/** Runs `fn`, marking a UserError it throws as being about `field`. */
export function about<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if ((e instanceof UserError || e instanceof Refusal) && e.field === undefined) e.field = field;
    throw e;
  }
}

/** A domain refusal as the user is told it, in `t`'s language: its sentence and items, no usage (a rule said no, not the syntax). */
export function refusalError(r: Refusal, t: Catalog): UserError {
  const e = new UserError(r.words(t) as Rich, r.items as Rich[], false);
  e.field = r.field;
  return e;
}
