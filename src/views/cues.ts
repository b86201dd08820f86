// Notes that speak (src/domain/cues.ts finds the warning signs): a line saying what the note reads like,
// and a button per sign that runs the real `/signal`, so the rep's tap is the yes.
import { freshSignalCues } from '../domain/cues.js';
import type { DomainCtx } from '../domain/context.js';
import type { Account } from '../domain/types.js';
import { text, type Button, type Section } from '../engine/reply.js';
import { quote } from '../../prompts/quote.js';

/** A sentence longer than this is cut for the button's command. */
const MAX_DETAIL = 400;

/**
 * For the reply to a note on `account`: a line saying what it reads like and a
 * button per warning sign that records it with `/signal`, leaving out the kinds
 * recorded on the account in the last 30 days. Empty when the note names none.
 */
export async function signalSuggestions(ctx: DomainCtx, account: Account, note: string): Promise<{ sections: Section[]; buttons: Button[] }> {
  const fresh = await freshSignalCues(ctx, account, note);
  if (fresh.length === 0) return { sections: [], buttons: [] };
  const { t } = ctx;
  const detail = (s: string) => ([...s].length > MAX_DETAIL ? `${[...s].slice(0, MAX_DETAIL - 1).join('')}…` : s);
  return {
    sections: [text(t.signal.suggest(fresh.map((c) => t.enums.signal[c.kind])))],
    buttons: fresh.map((c) => ({ label: t.signal.suggestButton(t.enums.signal[c.kind]), command: `/signal ${quote(account.name)} ${c.kind} ${quote(detail(c.sentence))}` })),
  };
}
