import type { Catalog } from '../../prompts/index.js';
import { Refusal } from '../domain/refusal.js';
import type { Rich } from './reply.js';

/**
 * Something the user got wrong (or may not do). The engine turns it into an
 * error reply, with the usage of the form they were typing when the syntax was
 * wrong, and rolls back. Made only by its named constructors, so a call says
 * which kind of error it is.
 */
export class UserError extends Error {
  override name = 'UserError';
  /** Which argument, option or `text` was wrong, so a form can show the error on its field. */
  field?: string;
  private constructor(
    readonly detail: Rich,
    /** Extra lines (candidates, suggestions) shown under the message. */
    readonly items: Rich[],
    /** Whether to show the usage of the form; off for refusals, where usage would not help. */
    readonly showUsage: boolean,
    /** Set when only the free text was missing, so a platform can ask for it (a modal, a card form). */
    readonly missingText?: string,
  ) {
    super(typeof detail === 'string' ? detail : 'user error');
  }

  /** The command was typed wrong: the reply shows the usage of the form under `detail` (and `items`, e.g. the options it takes). */
  static usage(detail: Rich, items: Rich[] = []): UserError {
    return new UserError(detail, items, true);
  }

  /** A rule said no, or a name matched nothing: `detail` and `items` (candidates, suggestions), no usage, which would not help. */
  static refusal(detail: Rich, items: Rich[] = []): UserError {
    return new UserError(detail, items, false);
  }

  /** Only the free text (`what`, in the reader's words) is missing: usage is shown, and a platform may ask for the text (a modal, a card form). */
  static missingText(detail: Rich, what: string): UserError {
    return new UserError(detail, [], true, what);
  }
}

/** Runs `fn`, marking a UserError it throws as being about `field`. */
export async function about<T>(field: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e instanceof UserError || e instanceof Refusal) && e.field === undefined) e.field = field;
    throw e;
  }
}

/** A domain refusal as the user is told it, in `t`'s language: its sentence and items, no usage (a rule said no, not the syntax). */
export function refusalError(r: Refusal, t: Catalog): UserError {
  const e = UserError.refusal(r.words(t) as Rich, r.items as Rich[]);
  e.field = r.field;
  return e;
}
