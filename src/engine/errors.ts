import type { Rich } from './reply.js';

/**
 * Something the user got wrong (or may not do). The engine turns it into an
 * error reply with the usage of the form they were typing, and rolls back.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    readonly detail: Rich,
    /** Extra lines (candidates, suggestions) shown under the message. */
    readonly items: Rich[] = [],
    /** Whether to show the usage of the form; off for refusals, where usage would not help. */
    readonly showUsage = true,
  ) {
    super(typeof detail === 'string' ? detail : 'user error');
  }
}
