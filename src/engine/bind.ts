// Turns tokens into a form's arguments, options, flags and free text, resolving
// accounts, refs, mentions and dates against the database and the actor's zone.
import { parseAmount, parseDays, parseMoney, parseSpanHours } from '../domain/amounts.js';
import { parseDate } from '../domain/dates.js';
import { closestNames, longestExact, looksMistyped, matchAccount, MIN_PART, tooShortToPick, type Match } from '../domain/match.js';
import { otherTeamsOwner } from '../domain/permissions.js';
import { members } from '../../db/schema.js';
import { and, eq, inArray } from 'drizzle-orm';
import { MAX_NAME, MAX_NOTE, normalize } from '../domain/text.js';
import { distance } from 'fastest-levenshtein';
import { IANAZone } from 'luxon';
import { LOCALES } from '../../db/schema.js';
import { catalog, type Catalog } from '../../prompts/index.js';
import type { Account, Member } from '../domain/types.js';
import { about, UserError } from './errors.js';
import type { Rich } from './reply.js';
import { Input, type ArgSpec, type CommandSpec, type Ctx, type FormSpec, type OptionSpec, type Value } from './spec.js';
import type { Token } from './tokenize.js';

/** The member a mention names (a platform user, or a shell name), created on first use; `isNew` when it was. */
export type MemberLookup = (raw: string) => Promise<{ member: Member; isNew: boolean } | undefined>;

/** How many words an unquoted account name may span (`/touch Acme Logistics visit`). */
const MAX_NAME_WORDS = 6;

const names = (n: { name: string; aliases?: readonly string[] }) => [n.name, ...(n.aliases ?? [])];
const lower = (s: string) => s.normalize('NFKC').toLowerCase();

/**
 * Picks the form a command's tokens ask for. A subcommand word may stand first
 * or, as in `/contact Acme add ...`, right after the account.
 */
export function selectForm(spec: CommandSpec, tokens: Token[]): { form: FormSpec; rest: Token[] } {
  const isSub = (tok: Token | undefined, f: FormSpec) =>
    tok !== undefined && tok.kind === 'word' && f.sub !== undefined && [f.sub, ...(f.subAliases ?? [])].some((n) => lower(n) === lower(tok.value));
  for (const f of spec.forms) if (isSub(tokens[0], f)) return { form: f, rest: tokens.slice(1) };
  // After an account name of one or more words: `/contact Acme Logistics add ...`.
  for (let at = 1; at <= MAX_NAME_WORDS && at < tokens.length; at++) {
    if (tokens[at - 1]!.kind !== 'word' && at > 1) break;
    for (const f of spec.forms) {
      if (isSub(tokens[at], f) && f.args?.[0]?.type === 'account') return { form: f, rest: [...tokens.slice(0, at), ...tokens.slice(at + 1)] };
    }
  }
  const fallback = spec.forms.find((f) => f.sub === undefined) ?? spec.forms[0]!;
  return { form: fallback, rest: tokens };
}

export async function bind(ctx: Ctx, form: FormSpec, tokens: Token[], members: MemberLookup, source = ''): Promise<Input> {
  const t = ctx.t;
  const values = new Map<string, Value>();
  const optionByName = optionsOf(form);
  const unknownOption = (tok: Token & { kind: 'option' }) => UserError.usage(t.errors.unknownOption(tok.key, Boolean(form.text), nearOption(form, tok.key)), optionHints(form));

  // Known options may stand anywhere; the positional walk below sees only the rest.
  const positional: Token[] = [];
  // The first amount typed with a currency symbol: amounts are stored as bare numbers, so one command's must agree.
  let money: { key: string; currency: string } | undefined;
  for (const tok of tokens) {
    const spec = tok.kind === 'option' ? optionByName.get(tok.key) : undefined;
    if (tok.kind !== 'option' || !spec) {
      // `on: yesterday`: a known key with nothing after its colon would otherwise slip into the text and be ignored.
      const bare = tok.kind === 'word' ? /^(.+)[:：]$/u.exec(tok.value) : null;
      const named = bare ? optionByName.get(lower(bare[1]!)) : undefined;
      if (named) throw await about(named.name, () => UserError.usage(t.errors.emptyOption(bare![1]!)));
      positional.push(tok);
      continue;
    }
    // Two values for one option: keeping either would silently drop what the other says.
    if (!spec.repeat && values.has(spec.name)) throw await about(spec.name, () => UserError.usage(t.errors.repeatedOption(tok.key)));
    const v = await about(spec.name, () => optionValue(ctx, spec, tok.value, members, tok.key));
    if (spec.type === 'amount') {
      const currency = parseMoney(tok.value)?.currency;
      if (currency && money && money.currency !== currency) {
        throw await about(spec.name, () => UserError.usage(t.errors.mixedCurrency(money!.key, money!.currency, tok.key, currency)));
      }
      if (currency) money ??= { key: tok.key, currency };
    }
    if (spec.repeat) values.set(spec.name, [...((values.get(spec.name) as Member[] | undefined) ?? []), v as Member]);
    else values.set(spec.name, v);
  }

  // Flags (`mine`, `all`) belong to list forms, which take no free text, so they may stand anywhere.
  for (const flag of form.flags ?? []) {
    const at = positional.findIndex((tok) => tok.kind === 'word' && names(flag).some((f) => lower(f) === lower(tok.value)));
    if (at >= 0) {
      values.set(flag.name, true);
      positional.splice(at, 1);
    }
  }

  let i = 0;
  for (const arg of form.args ?? []) {
    const tok = positional[i];
    if (tok?.kind === 'option') throw unknownOption(tok);
    if (!tok || (arg.optional && !fits(arg, tok))) {
      if (arg.optional) continue;
      throw await about(arg.name, () => UserError.usage(t.errors.missingArg(t.placeholders[arg.name as keyof typeof t.placeholders] ?? arg.name)));
    }
    if (arg.type === 'account') {
      const { account, used } = await about(arg.name, () => bindAccount(ctx, positional.slice(i)));
      values.set(arg.name, account);
      i += used;
      continue;
    }
    try {
      values.set(arg.name, await about(arg.name, () => argValue(ctx, arg, tok, members)));
    } catch (e) {
      // `/touch Acme Logistcs visit`: the misspelt second word of a name is no kind; say which account was meant.
      const prev = positional.slice(0, i + 1).filter((x) => x.kind === 'word');
      const near = prev.length >= 2 && prev.length === i + 1 ? await nearAccount(ctx, prev.map((x) => x.value).join(' ')) : undefined;
      if (near) throw await about('account', () => UserError.refusal(t.errors.unknownAccount(prev.map((x) => x.value).join(' '), [near])));
      throw e;
    }
    i++;
  }

  const textTokens = positional.slice(i);
  // A name is one value: a quote mark that opens it and never closes is a typing slip, not part of
  // the name (in a note it is just a character: `he said "maybe`).
  const isName = form.text !== undefined && (form.text.max ?? MAX_NOTE) <= MAX_NAME;
  const open = isName ? textTokens.find((tok) => tok.kind === 'word' && tok.unclosed) : undefined;
  if (open?.kind === 'word') throw await about('text', () => UserError.usage(t.errors.unclosedQuote(open.unclosed!)));
  // A `word:value` that is meant as an option and is none of this form's is a typo (`teir:strategic`),
  // wherever it stands; one that is text is written in quotes. A form without text takes no other words.
  const stray = textTokens.find((tok): tok is Token & { kind: 'option' } => tok.kind === 'option' && (!form.text || meantAsOption(ctx, tok)));
  if (stray) throw unknownOption(stray);
  const text = joinText(textTokens, source);
  // A missing option is named before missing text: the usage puts it first (`/promise move P-1` lacks due: first).
  for (const o of form.options ?? []) {
    if (o.required && !values.has(o.name)) throw await about(o.name, () => UserError.usage(t.errors.missingOption(o.name)));
  }
  await about('text', () => checkText(ctx, form, text));
  return new Input(values, text);
}

function checkText(ctx: Ctx, form: FormSpec, text: string): void {
  const t = ctx.t;
  if (form.text) {
    if (form.text.required && !text) {
      const what = t.placeholders[form.text.name as keyof typeof t.placeholders] ?? form.text.name;
      throw UserError.missingText(t.errors.missingText(what), what);
    }
    const max = form.text.max ?? MAX_NOTE;
    // A character is one or two UTF-16 units: text no longer than `max` units needs no counting.
    const length = text.length > max ? [...text].length : 0;
    if (length > max) throw UserError.usage(t.errors.tooLong(length, max));
  } else if (text) {
    throw UserError.usage(t.errors.unexpected(text.length > 60 ? `${text.slice(0, 60)}…` : text));
  }
}

/**
 * Free text as typed: quotes inside a note stay, and so do the spaces and line breaks
 * between words, or their absence (`“价格”太高` is one run of text, not two words);
 * an option taken out of the middle leaves one space.
 */
function joinText(tokens: Token[], source: string): string {
  if (tokens.length === 0) return '';
  // A quoted name (`add "Li Wei"`) is the name, not the quotes.
  if (tokens.length === 1 && tokens[0]!.kind === 'quoted') return tokens[0]!.value.trim();
  let out = tokens[0]!.raw;
  for (let k = 1; k < tokens.length; k++) {
    const gap = source.slice(tokens[k - 1]!.end, tokens[k]!.start);
    out += gap === '' || /^\s+$/u.test(gap) ? gap : ' ';
    out += tokens[k]!.raw;
  }
  return out.trim();
}

function fits(arg: ArgSpec, tok: Token): boolean {
  if (arg.type === 'mention') return tok.kind === 'mention';
  if (arg.type === 'ref') return new RegExp(`^${arg.prefix}-?\\d+$`, 'i').test(tok.value);
  if (arg.type === 'enum') return enumValue(arg, tok.value) !== undefined;
  return true;
}

async function bindAccount(ctx: Ctx, tokens: Token[]): Promise<{ account: Account; used: number }> {
  const first = tokens[0]!;
  if (first.kind === 'word') {
    // Longest run of plain words (down to the first word alone) that is exactly an account's name or alias.
    let n = 1;
    while (n < Math.min(tokens.length, MAX_NAME_WORDS) && tokens[n]!.kind === 'word') n++;
    const runs = Array.from({ length: n }, (_, k) =>
      tokens
        .slice(0, n - k)
        .map((x) => x.value)
        .join(' '),
    );
    const exact = await longestExact(ctx.db, ctx.tenant.id, runs);
    if (exact) return { account: exact.account, used: n - exact.index };
  }
  if ((first.kind !== 'word' && first.kind !== 'quoted') || !first.value.trim()) throw UserError.usage(ctx.t.errors.missingArg(ctx.t.placeholders.account));
  if (first.kind === 'word' && first.unclosed) throw UserError.usage(ctx.t.errors.unclosedQuote(first.unclosed));
  return { account: await resolved(ctx, await matchAccount(ctx.db, ctx.tenant.id, first.value, first.kind === 'word'), first.value), used: 1 };
}

async function resolved(ctx: Ctx, m: Match<Account>, typed: string): Promise<Account> {
  if (m.kind === 'found') {
    // A whole name or alias is what was meant; a part of one picks only when it is long enough and the account is the actor's team's.
    if (m.how === 'exact') return m.item;
    if (tooShortToPick(typed)) throw UserError.refusal(ctx.t.errors.shortAccount(typed, MIN_PART.latin, MIN_PART.han), [m.item.name]);
    const owner = await otherTeamsOwner(ctx, m.item.ownerId);
    if (owner) throw UserError.refusal(ctx.t.errors.otherTeamAccount(typed, m.item.name, owner.name), [m.item.name]);
    return m.item;
  }
  if (m.kind === 'ambiguous')
    throw UserError.refusal(
      ctx.t.errors.ambiguousAccount(typed),
      m.candidates.map((a) => a.name),
    );
  throw UserError.refusal(ctx.t.errors.unknownAccount(typed, m.suggestions));
}

type EnumSpec = { values?: readonly string[]; valueAliases?: Readonly<Record<string, string>> };

// What each form's option names and each enum's words map to, worked out once per spec (specs do not change).
const formOptions = new WeakMap<FormSpec, Map<string, OptionSpec>>();
const enumWords = new WeakMap<EnumSpec, Map<string, string>>();

/** A form's options by each of their names, as `lower` gives them. */
function optionsOf(form: FormSpec): Map<string, OptionSpec> {
  let byName = formOptions.get(form);
  if (!byName) {
    byName = new Map();
    for (const o of form.options ?? []) for (const n of names(o)) byName.set(lower(n), o);
    formOptions.set(form, byName);
  }
  return byName;
}

/** The value an enum word stands for: a value itself, one of its aliases, or its name in either language (in any case or width). */
function enumValue(spec: EnumSpec, raw: string): string | undefined {
  let words = enumWords.get(spec);
  if (!words) {
    words = new Map((spec.values ?? []).map((x) => [x, x]));
    for (const [k, v] of Object.entries(spec.valueAliases ?? {})) if (!words.has(lower(k))) words.set(lower(k), v);
    for (const locale of LOCALES) {
      for (const [v, label] of Object.entries(labelsFor(catalog(locale), spec.values ?? []) ?? {})) if (!words.has(lower(label))) words.set(lower(label), v);
    }
    enumWords.set(spec, words);
  }
  return words.get(lower(raw));
}

/** The catalog's names for an enum's values: its dictionary with exactly those keys (t.enums.*, the lost reasons). */
function labelsFor(t: Catalog, values: readonly string[]): Readonly<Record<string, string>> | undefined {
  const dictionaries = [...Object.values(t.enums), t.lost.reasons] as Record<string, string>[];
  return values.length ? dictionaries.find((d) => Object.keys(d).length === values.length && values.every((v) => v in d)) : undefined;
}

/** An enum's values as the reader names them, with the value itself where that differs: `战略客户 (strategic)`. */
function choices(t: Catalog, values: readonly string[]): string[] {
  const labels = labelsFor(t, values);
  return values.map((v) => (labels && labels[v] !== v ? `${labels[v]} (${v})` : v));
}

/** An account whose whole name is within two edits of what was typed. */
async function nearAccount(ctx: Ctx, typed: string): Promise<string | undefined> {
  const m = await matchAccount(ctx.db, ctx.tenant.id, typed);
  const key = normalize(typed);
  return m.kind === 'none' ? m.suggestions.find((name) => distance(normalize(name), key) <= 2) : undefined;
}

async function argValue(ctx: Ctx, arg: ArgSpec, tok: Token, members: MemberLookup): Promise<Value> {
  const t = ctx.t;
  switch (arg.type) {
    case 'enum': {
      const v = enumValue(arg, tok.value);
      if (v === undefined) throw UserError.usage(t.errors.badEnum((t.placeholders as Record<string, string>)[arg.name] ?? arg.name, tok.value, choices(t, arg.values ?? [])));
      return v;
    }
    case 'ref': {
      const m = new RegExp(`^${arg.prefix}-?(\\d{1,9})$`, 'i').exec(tok.value);
      if (!m) throw UserError.usage(t.errors.badRef(arg.prefix!, tok.value));
      return Number(m[1]);
    }
    case 'mention':
      return await mentioned(ctx, tok, members);
    case 'word':
      return tok.value;
    case 'account':
      throw new Error('accounts bind in bindAccount');
  }
}

/** Punctuation typed after a name (`@zhang。`, `@li,`) ends the sentence, not the name. */
const MENTION_TAIL = /[。，、；：！？,.;:!?）)」』”’]+$/u;

async function mentioned(ctx: Ctx, typed: { kind: string; value: string }, members: MemberLookup): Promise<Member> {
  const t = ctx.t;
  let tok = typed;
  if (tok.kind === 'mention' && tok.value.startsWith('@')) {
    const value = tok.value.replace(MENTION_TAIL, '');
    // Two names run together (`@zhao，@li`) are no one's name: never a new person.
    if (/[@,，、;；]/u.test(value.slice(1)) || value.length < 2) throw UserError.usage(t.errors.badMention(tok.value));
    tok = { ...tok, value };
  }
  const found = tok.kind === 'mention' ? await members(tok.value) : undefined;
  if (found) {
    // The shell makes a person of any new @name: one a slip of the keys away from someone's is them, mistyped (@zhnag).
    if (found.isNew && ctx.platform === 'shell') {
      const meant = await mistypedFor(ctx, found.member);
      if (meant.length)
        throw UserError.refusal(
          t.errors.unknownPerson(
            tok.value,
            meant.map((m) => `@${m.name}`),
            false,
          ),
        );
    }
    return found.member;
  }
  // A bare @word in Slack or Lark names no platform user (it was typed, not picked): it is a member of that name, or nobody.
  if (tok.kind === 'mention' && tok.value.startsWith('@') && tok.value.length > 1) {
    const typed = normalize(tok.value.slice(1));
    const people = await teamOfTenant(ctx);
    const same = people.filter((m) => normalize(m.name) === typed || normalize(m.platformUserId) === typed);
    if (same.length === 1) return same[0]!;
    const near = closestNames(
      typed,
      people.map((m) => ({ name: m.name, key: normalize(m.name) })),
    );
    throw UserError.refusal(
      t.errors.unknownPerson(
        tok.value,
        (same.length ? same.map((m) => m.name) : near).map((n) => `@${n}`),
        ctx.platform !== 'shell',
      ),
    );
  }
  throw UserError.usage(t.errors.badMention(tok.value));
}

/**
 * The members still here whose names `fresh` (a shell member just made from a name) is a slip for.
 * A shell member's user id is their name as `normalize` gives it, so the names it could be a slip
 * for (letters swapped, one dropped, one added) are looked up by that index, not by reading everyone.
 */
async function mistypedFor(ctx: Ctx, fresh: Member): Promise<Member[]> {
  const key = [...normalize(fresh.name)];
  if (key.length > MAX_SLIP_NAME) return [];
  const join = (chars: string[]) => chars.join('');
  const variants = new Set<string>();
  for (let i = 0; i < key.length; i++) {
    variants.add(join([...key.slice(0, i), ...key.slice(i + 1)]));
    if (i + 1 < key.length) variants.add(join([...key.slice(0, i), key[i + 1]!, key[i]!, ...key.slice(i + 2)]));
  }
  // A Latin name may have lost any letter; a Chinese one is picked from the input method whole.
  if (!key.some((c) => /\p{Script=Han}/u.test(c))) {
    for (let i = 0; i <= key.length; i++) for (const c of 'abcdefghijklmnopqrstuvwxyz') variants.add(join([...key.slice(0, i), c, ...key.slice(i)]));
  }
  variants.delete(join(key));
  const near = await ctx.db
    .select()
    .from(members)
    .where(and(eq(members.tenantId, ctx.tenant.id), inArray(members.platformUserId, [...variants]), eq(members.active, true)))
    .all();
  return near.filter((m) => m.id !== fresh.id && looksMistyped(fresh.name, m.name));
}

/** Names longer than this are not checked for slips (the variants would pass SQLite's bound parameters). */
const MAX_SLIP_NAME = 24;

/** The workspace's members still here, who a name may mean. */
async function teamOfTenant(ctx: Ctx): Promise<Member[]> {
  return await ctx.db
    .select()
    .from(members)
    .where(and(eq(members.tenantId, ctx.tenant.id), eq(members.active, true)))
    .all();
}

/** Languages as people name them, for locale: options. */
const LOCALE_WORDS: Readonly<Record<string, (typeof LOCALES)[number]>> = {
  english: 'en',
  英文: 'en',
  英语: 'en',
  中文: 'zh-CN',
  简体中文: 'zh-CN',
  chinese: 'zh-CN',
  'zh-cn': 'zh-CN',
  zh: 'zh-CN',
};

async function optionValue(ctx: Ctx, spec: OptionSpec, raw: string, members: MemberLookup, key = spec.name): Promise<Value> {
  const t = ctx.t;
  const bad = (expected: string): never => {
    throw UserError.usage(t.errors.badOption(key, raw, expected));
  };
  switch (spec.type) {
    case 'text':
      return raw.trim() || bad(t.expect.text);
    case 'enum':
      return enumValue(spec, raw) ?? bad(choices(t, spec.values ?? []).join(t.common.listSep));
    case 'mention':
      return await mentioned(ctx, { kind: raw.startsWith('@') || raw.startsWith('<@') ? 'mention' : 'word', value: raw }, members);
    case 'amount':
      return parseAmount(raw) ?? bad(t.expect.amount);
    case 'days':
      return parseDays(raw) ?? bad(t.expect.days);
    case 'hours':
      return parseSpanHours(raw, 'h') ?? bad(t.expect.hours);
    case 'zone':
      return IANAZone.isValidZone(raw) ? raw : bad(t.expect.zone);
    case 'locale':
      return LOCALES.find((l) => lower(l) === lower(raw)) ?? LOCALE_WORDS[lower(raw)] ?? bad(LOCALES.join(', '));
    case 'date': {
      const r = parseDate(raw, ctx.now, ctx.zone, spec.direction ?? 'past');
      if (r.ok) return r.value;
      throw UserError.usage(r.reason === 'impossible' ? t.errors.impossibleDate(raw) : t.errors.badDate(raw));
    }
  }
}

// An option word as people type one: two or more Latin letters, words joined by dashes (`tier`,
// `deadline-critical`; not `A:B` or `C-1:`), or a few Chinese characters (`采购额`).
const LATIN_KEY = /^[a-z]{2,}(?:-[a-z]+)*$/i;
const HAN_KEY = /^\p{Script=Han}{1,6}$/u;

/** Every command's option words, by `lower`: what a Chinese key with a full-width colon must be to count as an option. */
const vocabularies = new WeakMap<readonly CommandSpec[], Set<string>>();
function optionWords(commands: readonly CommandSpec[]): Set<string> {
  let words = vocabularies.get(commands);
  if (!words) {
    words = new Set(commands.flatMap((c) => c.forms.flatMap((f) => (f.options ?? []).flatMap((o) => names(o).map(lower)))));
    vocabularies.set(commands, words);
  }
  return words;
}

/**
 * Whether a `key:value` the form does not know was meant as an option (and is then a typo) rather than
 * words of the text. The tokenizer already leaves out what has no letters before the colon (`10:30`,
 * `3:1`) and links (`https://…`). A Latin key of two letters or more counts (`teir:strategic`,
 * `ETA:friday`); so does a Chinese key with a half-width colon (`采购量:500万`), typed as options are.
 * Chinese writes a full-width colon in ordinary sentences (`客户说：明天到货`), so a Chinese key with
 * `：` counts only when it is some command's option word (`对象：吴刚` where the form has no 对象).
 */
function meantAsOption(ctx: Ctx, tok: Token & { kind: 'option' }): boolean {
  if (LATIN_KEY.test(tok.key)) return true;
  if (!HAN_KEY.test(tok.key)) return false;
  return tok.raw[tok.key.length] === ':' || optionWords(ctx.commands).has(lower(tok.key));
}

/** The form's option word closest to a mistyped key, in the key's own script (`tier` for `teir`, `采购额` for `采购量`). */
function nearOption(form: FormSpec, key: string): string | undefined {
  const typed = lower(key);
  const han = /\p{Script=Han}/u.test(typed);
  const words = [...optionsOf(form).keys()].filter((w) => /\p{Script=Han}/u.test(w) === han);
  const limit = han ? 1 : typed.length <= 3 ? 1 : 2;
  const best = words
    .map((w) => ({ w, d: w.startsWith(typed) || typed.startsWith(w) ? Math.min(1, distance(typed, w)) : distance(typed, w) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.w.localeCompare(b.w))[0];
  return best?.w;
}

function optionHints(form: FormSpec): Rich[] {
  const known = (form.options ?? []).map((o) => `${o.name}:`);
  return known.length ? [known.join('  ')] : [];
}
