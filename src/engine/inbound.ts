// The inbound service every adapter calls (DESIGN.md: adapter (verify, parse)
// -> inbound service (identity, dedupe, deadline) -> Command -> handler). What
// the platform waits for (an ack, a card callback's answer, a trigger id that
// expires in 3 seconds) never waits on a user lookup: who someone is comes
// from what the payload carries when the platform's lookup is slow, and the
// lookup, when it lands, updates their member afterwards.
import type { Platform } from '../../db/schema.js';
import type { Engine, UserRef } from './engine.js';

/**
 * How long a user lookup (Slack's users.info, Lark's contact API) may hold up
 * an answer: a fast one (the usual case) still names a newcomer and speaks their
 * language at once; a slow one is not waited for.
 */
export const LOOKUP_BUDGET_MS = 500;

/** What `work` resolves with if it does so within `ms`; undefined after that (or if it fails: the caller awaits it again). */
export function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

export interface InboundOptions {
  /** How long a lookup may hold up an answer; LOOKUP_BUDGET_MS unless a test says otherwise. */
  lookupBudgetMs?: number;
  /** A lookup that landed late and could not be recorded. */
  onError?: (err: unknown) => void;
}

export class Inbound {
  private readonly budget: number;

  constructor(
    readonly engine: Engine,
    private readonly opts: InboundOptions = {},
  ) {
    this.budget = opts.lookupBudgetMs ?? LOOKUP_BUDGET_MS;
  }

  /**
   * Who is speaking: what the platform's `lookup` says, if it says it within the
   * budget; otherwise what the payload carries (`carried`, provisional: it
   * names a newcomer but renames nobody), and the lookup, when it lands,
   * updates their member in `workspaceId`.
   */
  async who(platform: Platform, workspaceId: string | undefined, carried: { platformUserId: string; name?: string }, lookup: Promise<UserRef>): Promise<UserRef> {
    const known = await within(lookup, this.budget);
    if (known) return known;
    if (workspaceId) {
      void lookup.then((ref) => this.engine.learned(platform, workspaceId, ref)).catch((err: unknown) => this.opts.onError?.(err));
    }
    return { platformUserId: carried.platformUserId, name: carried.name || carried.platformUserId, provisional: true, ...(carried.name ? {} : { unnamed: true }) };
  }

  /** What `lookup` resolves with within the budget, or undefined (for names in a message a form is prefilled with). */
  inTime<T>(lookup: Promise<T>): Promise<T | undefined> {
    return within(lookup, this.budget);
  }
}
