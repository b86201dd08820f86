import type { Registry } from './registry.js';
import { quote, tokenize } from './tokenize.js';

// What a form (a Slack modal, a Lark card form) stands for, platform-neutral:
// the fields of /touch and /complaint, and the command text a submission
// becomes. A submission is run as that text, so the engine applies the same
// checks and writes the same rows as a rep typing it.

/** Commands that answer with a form when typed with nothing after them. */
export const FORM_COMMANDS = ['touch', 'complaint'] as const;
export type FormCommand = (typeof FORM_COMMANDS)[number];

export const isFormCommand = (name: string | undefined): name is FormCommand => (FORM_COMMANDS as readonly string[]).includes(name ?? '');

/**
 * The form that command text stands for when it is only a form command's name
 * (`/touch`, `touch`, `拜访`, a button's `/complaint`), by any of its aliases,
 * or that name after `/steward` (`/steward touch`).
 */
export function bareForm(registry: Registry, text: string): FormCommand | undefined {
  const words = text.trim().split(/\s+/);
  const named = words.length === 2 && registry.get(words[0]!)?.name === 'steward' ? words[1]! : words.length === 1 ? words[0]! : undefined;
  const name = named === undefined ? undefined : registry.get(named)?.name;
  return isFormCommand(name) ? name : undefined;
}

/**
 * The form a button's command opens: a form command alone, or with only the
 * account it is about (`/touch "Acme Logistics"` on an account's card), which
 * the form then shows already chosen.
 */
export function buttonForm(registry: Registry, command: string): { kind: FormCommand; account?: string } | undefined {
  const read = tokenize(command.trim());
  if (!read.ok) return undefined;
  const [first, account, ...rest] = read.tokens;
  const kind = first?.kind === 'word' ? registry.get(first.value)?.name : undefined;
  if (!isFormCommand(kind) || rest.length > 0) return undefined;
  if (!account) return { kind };
  return account.kind === 'quoted' && account.value.trim() ? { kind, account: account.value } : undefined;
}

export type FormField = 'account' | 'kind' | 'date' | 'contact' | 'severity' | 'category' | 'note';
export type FormValues = Partial<Record<FormField, string>>;

/** Which form field shows a refusal about which argument or option (`Outcome.field`). */
export const FIELD_OF: Readonly<Record<string, FormField>> = {
  account: 'account',
  kind: 'kind',
  on: 'date',
  to: 'contact',
  severity: 'severity',
  category: 'category',
  text: 'note',
};

const given = (v: string | undefined): string | undefined => (v == null || v.trim() === '' ? undefined : v.trim());

/** The command text a submitted /touch or /complaint form stands for. */
export function formCommandText(kind: FormCommand, values: FormValues): string {
  const v = (f: FormField) => given(values[f]);
  const account = v('account');
  const parts = [`/${kind}`, account ? quote(account) : '""'];
  if (kind === 'touch') {
    parts.push(v('kind') ?? 'visit');
    const contact = v('contact');
    if (contact) parts.push(`to:${quote(contact)}`);
    const date = v('date');
    if (date) parts.push(`on:${date}`);
  } else {
    parts.push(`severity:${v('severity') ?? 'medium'}`, `category:${v('category') ?? 'other'}`);
  }
  const note = v('note');
  if (note) parts.push(quote(note));
  return parts.join(' ');
}

/** The text a button's command that still needs one is tried with (Engine.trial), before the rep is asked for theirs. */
export const TEXT_PROBE = 'Steward checks this button before asking for the text';

/** A button's command that still needs its free text (Resolve asks what was done), with the text given. */
export function withText(command: string, text: string | undefined): string {
  const note = given(text);
  return `${command} ${note ? quote(note) : ''}`.trim();
}
