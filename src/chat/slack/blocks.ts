// Reply -> Slack Block Kit. Pure: no I/O, no clock, the same Reply always gives
// the same payload. Content over one of Slack's limits is cut with a visible
// "…and N more" or "…" and a warning, never sent for Slack to refuse.
//
// What is counted. Every limit below is checked on the exact string we send
// (after escaping, so `&` costs 5 for `&amp;`), measured in UTF-16 code units
// (JavaScript's `length`). That is never less than the count of Unicode code
// points, so a text that passes here passes Slack whichever of the two it
// counts: a Chinese character costs 1, 👍 costs 2, 👨‍👩‍👧 costs 8. Cuts fall only
// between grapheme clusters (Intl.Segmenter), so no emoji, flag or accented
// letter is split and no lone surrogate is ever sent.
//
// User text in mrkdwn. Slack parses `&`, `<` and `>` as control characters;
// they become `&amp;` `&lt;` `&gt;`, so `<!channel>`, `<@U123>` or
// `<https://x|y>` typed into a note pings nobody and links nothing. Only a
// MentionRef with a real Slack user id becomes `<@U…>`. Every mrkdwn object is
// sent with `verbatim: true`: Slack then skips its automatic parsing (bare
// "@here", "#channel", URLs) of text we did not mark up ourselves. mrkdwn has no
// escape for its formatting characters, so in user text `*` `_` `~` become
// look-alikes (∗ ˍ ∼) unless they sit between two ASCII letters or digits,
// where Slack never formats them (acct_123, snake_case, :white_check_mark:,
// 2*3 stay as typed); backticks and the full-width ＊ ＿ ｀ that Slack also
// honours always become look-alikes. A user's note can therefore neither bold
// itself nor close the `*…*` Steward wraps around it. Inside code only the
// backtick needs replacing: Slack does not format within code. A line of user
// text that starts with `>` may still show as a quote; that changes no meaning.
//
// The fallback `text` is the plain-text renderer's output with `&<>` escaped.
// The adapter must not pass `link_names`, so "@channel" there stays words.
import type { ActionsBlock, Button as ButtonElement, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { catalog } from '../../../prompts/index.js';
import { chartTable } from '../../engine/render-chart.js';
import { clean, renderText, richText } from '../../engine/render-text.js';
import type { Button, MentionRef, Reply, Rich, Section } from '../../engine/reply.js';

// Slack's limits, from the Block Kit reference (docs.slack.dev/reference/block-kit)
// as restated in @slack/types' comments, and from chat.postMessage.
/** Blocks in one message (chat.postMessage, chat.update, response_url). */
export const MESSAGE_MAX_BLOCKS = 50;
/** Blocks in a modal or the App Home tab. */
export const VIEW_MAX_BLOCKS = 100;
/** A section's `text`, and any text object's text. */
export const SECTION_TEXT_MAX = 3000;
/** Text objects in one section's `fields`. */
export const SECTION_FIELDS_MAX = 10;
/** The text of one item in a section's `fields`. */
export const FIELD_TEXT_MAX = 2000;
/** A header block's plain text. */
export const HEADER_TEXT_MAX = 150;
/** Interactive elements in one actions block. */
export const ACTIONS_ELEMENTS_MAX = 25;
/** A button's label (Slack may show only ~30 of them). */
export const BUTTON_TEXT_MAX = 75;
/** A button's `value`, sent back to us on click. */
export const BUTTON_VALUE_MAX = 2000;
/** An `action_id`. */
export const ACTION_ID_MAX = 255;
/** A select menu option's text, and its `value`. */
export const OPTION_TEXT_MAX = 75;
export const OPTION_VALUE_MAX = 150;
/** A plain-text input's `initial_value` and `max_length`; a modal's title, submit and close. */
export const INPUT_TEXT_MAX = 3000;
export const VIEW_TITLE_MAX = 24;
/** A placeholder, and the label of an input block as Steward keeps it. */
export const PLACEHOLDER_MAX = 150;
/** The top-level `text`; Slack truncates beyond it (changelog 2018-04, "Truncating really long messages"). */
export const MESSAGE_TEXT_MAX = 40_000;
/**
 * Text across all the blocks of one message. Not documented: Slack refuses a
 * payload whose blocks hold too much text in total with `msg_blocks_too_long`
 * although every single block is within its limit (slackapi/bolt-js #2509 and
 * #2867: about 12 000 characters less an overhead per block; 9 597 characters in
 * 50 blocks accepted, 11 341 in 45 refused). Kept below what was seen to pass.
 */
export const BLOCKS_TEXT_BUDGET = 9000;

/** Every button's action_id is this prefix and its position: the adapter routes them all to one listener. */
export const ACTION_ID_PREFIX = 'steward:cmd:';

export const TONE_EMOJI: Record<Reply['tone'], string> = { success: '✅', info: 'ℹ️', warning: '⚠️', error: '❌' };

/**
 * The title and the buttons are always kept (at most 3 blocks and 150 + 25 × 75
 * + a marker's characters), so a limit below MIN_BLOCKS or MIN_TEXT_BUDGET is not honoured.
 */
export interface RenderOptions {
  /** Words the "…and N more" line in the reader's language; English by default. */
  andMore?: (n: number) => string;
  /** Words the line naming sections left out whole ("Not shown: Open promises (12)"); English by default. */
  notShown?: (what: string[]) => string;
  /** The surface's block limit: MESSAGE_MAX_BLOCKS (default), or VIEW_MAX_BLOCKS for a modal or the Home tab. */
  maxBlocks?: number;
  /** Characters of text across all blocks; BLOCKS_TEXT_BUDGET by default. */
  textBudget?: number;
}
export const MIN_BLOCKS = 3;
export const MIN_TEXT_BUDGET = 2100;

export interface RenderedBlocks {
  blocks: KnownBlock[];
  /** Fallback for notifications and clients that cannot show blocks. */
  text: string;
  /** What was cut or left out, for the log; empty when everything fit. */
  warnings: string[];
}

/** How Slack's limits are measured here: UTF-16 code units of the string sent. */
export function slackLength(s: string): number {
  return s.length;
}

const MRKDWN_SPECIAL = /[&<>]/;

export function escapeMrkdwn(s: string): string {
  return MRKDWN_SPECIAL.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
}

// ---------------------------------------------------------------------------
// Rich text as atoms: the smallest pieces a cut may fall between. An atom is one
// grapheme cluster (already escaped, so `&amp;` is never split), or a whole
// `<@U…>` mention. Its style says which markers surround it when rendered.

type Style = 'plain' | 'strong' | 'code';
interface Atom {
  s: string;
  style: Style;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Characters that are never part of a larger grapheme cluster with a neighbour
 * from this set: no combining marks, joiners, variation selectors, Hangul jamo,
 * prepended or surrogate characters. Between two of them there is always a
 * boundary (a test checks each one against Intl.Segmenter).
 */
const SIMPLE =
  '\\t\\n\\x20-\\x7e\\u00a0-\\u02ff\\u2010-\\u2027\\u2030-\\u205e\\u2100-\\u23ff\\u2e00-\\u2e4f\\u3001-\\u3029\\u3030-\\u303f\\u3041-\\u3096\\u30a0-\\u30ff\\u4e00-\\u9fff\\ufe50-\\ufe6b\\uff01-\\uff5e';
const RUNS = new RegExp(`[${SIMPLE}]+|[^${SIMPLE}]+`, 'g');
const SIMPLE_RUN = new RegExp(`^[${SIMPLE}]{2,}$`);

/**
 * Node's segmenter slows down more than linearly on long strings (80 000
 * characters take seconds), so it is fed windows: a boundary depends only on
 * what precedes it and one character after, so every boundary inside a window
 * is a real one; the window's last cluster may go on past it and is read again.
 */
function segment(s: string, out: string[]): void {
  let start = 0;
  let size = 1024;
  while (start < s.length) {
    const end = Math.min(s.length, start + size);
    const segs = Array.from(segmenter.segment(s.slice(start, end)), (g) => g.segment);
    if (end === s.length) {
      for (const g of segs) out.push(g);
      return;
    }
    if (segs.length < 2) {
      size *= 2;
      continue;
    }
    segs.pop();
    for (const g of segs) {
      out.push(g);
      start += g.length;
    }
    size = 1024;
  }
}

/**
 * Grapheme clusters of `s`, as Intl.Segmenter finds them. Runs of SIMPLE
 * characters split into single characters without asking the segmenter; any
 * other run goes to it together with the simple character on each side, which
 * a combining mark or a prepended character may join.
 */
export function graphemes(s: string): string[] {
  const out: string[] = [];
  const runs = (s.match(RUNS) ?? []).map((text) => ({ text, simple: SIMPLE_RUN.test(text) }));
  // Merge a short simple run into its neighbours: each end of it may be taken by the run beside it.
  const merged: { text: string; simple: boolean }[] = [];
  for (const r of runs) {
    const prev = merged.at(-1);
    if (prev && !prev.simple && !r.simple) prev.text += r.text;
    else merged.push({ ...r });
  }
  let carry = '';
  for (let k = 0; k < merged.length; k++) {
    const r = merged[k]!;
    const nextOther = merged[k + 1] !== undefined && !merged[k + 1]!.simple;
    if (r.simple) {
      const from = carry ? 1 : 0;
      const to = nextOther ? r.text.length - 1 : r.text.length;
      for (let i = from; i < to; i++) out.push(r.text[i]!);
      carry = '';
      continue;
    }
    // Runs alternate, so the one before is simple and kept its last character back for this one.
    const before = merged[k - 1]?.text.slice(-1) ?? '';
    const after = merged[k + 1]?.text[0] ?? '';
    segment(before + r.text + after, out);
    carry = after;
  }
  return out;
}

const LOOKALIKE: Record<string, string> = { '*': '∗', _: 'ˍ', '~': '∼', '`': 'ˋ', '＊': '﹡', '＿': '⸏', '｀': 'ˋ' };
const ASCII_WORD = /[A-Za-z0-9]/;

/** Replaces the mrkdwn formatting characters that could take effect with look-alikes. */
function defuse(s: string): string {
  return s.replace(/[*_~`＊＿｀]/g, (c, i: number) => ('*_~'.includes(c) && ASCII_WORD.test(s[i - 1] ?? '') && ASCII_WORD.test(s[i + 1] ?? '') ? c : LOOKALIKE[c]!));
}

/**
 * How fine atoms are: 'grapheme' where a cut may fall anywhere; 'word' for
 * text known to fit, where only what render() sees matters. It emits plain
 * text as it comes, and sees only the spaces and line breaks at the edges of a
 * bold or code run: so plain text can be one atom, and styled text of simple
 * characters one atom a word (a space, tab or line break each an atom of its
 * own). Either renders as its characters would and costs what they would (see
 * fit), with a few objects instead of one per character.
 */
export type Grain = 'grapheme' | 'word';
const ALL_SIMPLE = new RegExp(`^[${SIMPLE}]*$`);
const WORDS = /[ \t\n]|[^ \t\n]+/g;

function toAtoms(s: string, style: Style, grain: Grain = 'grapheme'): Atom[] {
  if (grain === 'word' && style === 'plain') return s ? [{ s: escapeMrkdwn(s), style }] : [];
  if (grain === 'word' && ALL_SIMPLE.test(s)) return (s.match(WORDS) ?? []).map((w) => ({ s: escapeMrkdwn(w), style }));
  return graphemes(s).map((g) => ({ s: escapeMrkdwn(g), style }));
}
const textAtoms = (s: string, style: Style, grain?: Grain): Atom[] => toAtoms(defuse(clean(s)), style, grain);
/** Inline code or a line of a code block: Slack formats nothing inside, only a backtick would end it. */
const codeAtoms = (s: string, style: Style, grain?: Grain): Atom[] => toAtoms(clean(s).replace(/[`｀]/g, 'ˋ'), style, grain);

const SLACK_USER_ID = /^[UW][A-Z0-9]+$/;
const isRealMention = (m: MentionRef): boolean => SLACK_USER_ID.test(m.platformUserId);
/** Public (C…) and private (G…) channel ids. */
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

function richAtoms(r: Rich, base: 'plain' | 'strong', grain?: Grain): Atom[] {
  return (typeof r === 'string' ? [r] : r).flatMap((p): Atom[] => {
    if (typeof p === 'string') return textAtoms(p, base, grain);
    if ('mention' in p) return isRealMention(p.mention) ? [{ s: `<@${p.mention.platformUserId}>`, style: base }] : textAtoms(`@${p.mention.name}`, base, grain);
    if ('strong' in p) return textAtoms(p.strong, 'strong', grain);
    // A channel id Slack shows as the channel's name, linked; a name typed without one stays text.
    if ('channel' in p) return SLACK_CHANNEL_ID.test(p.channel) ? [{ s: `<#${p.channel}>`, style: base }] : textAtoms(`#${p.name ?? p.channel}`, base, grain);
    return codeAtoms(p.code, 'code', grain);
  });
}

/**
 * Rich text rendered whole from atoms of one grain, with what fit() counts for
 * it: word atoms must give the same as grapheme atoms (a test checks that).
 */
export function renderRich(r: Rich, grain: Grain): { text: string; cost: number } {
  const atoms = richAtoms(r, 'plain', grain);
  return { text: render(atoms), cost: atoms.reduce((n, _, k) => n + cost(atoms, k, 0), 0) };
}

const ZWSP = '\u200b';
const WORD_END = /[\p{L}\p{N}]$/u;
const WORD_START = /^[\p{L}\p{N}]/u;
const isSpace = (a: Atom): boolean => a.s === ' ' || a.s === '\t';

/**
 * Atoms -> mrkdwn. A run of strong or code atoms gets its markers; a run never
 * spans a line break, and spaces at its edges go outside the markers, because
 * Slack will not open `* x` or close `x *`. Against a letter or digit (Chinese
 * included) a marker gets a zero-width space outside it, without which Slack
 * leaves `已记录*Acme*的` unformatted.
 */
function render(atoms: Atom[]): string {
  let out = '';
  for (let i = 0; i < atoms.length; ) {
    const a = atoms[i]!;
    if (a.style === 'plain' || a.s === '\n') {
      out += a.s;
      i++;
      continue;
    }
    let j = i;
    while (j < atoms.length && atoms[j]!.style === a.style && atoms[j]!.s !== '\n') j++;
    let lo = i;
    let hi = j;
    while (lo < hi && isSpace(atoms[lo]!)) lo++;
    while (hi > lo && isSpace(atoms[hi - 1]!)) hi--;
    const join = (from: number, to: number): string =>
      atoms
        .slice(from, to)
        .map((x) => x.s)
        .join('');
    const lead = join(i, lo);
    const body = join(lo, hi);
    const trail = join(hi, j);
    if (body === '') out += lead + trail;
    else {
      const mark = a.style === 'strong' ? '*' : '`';
      const next = atoms[j];
      const before = lead === '' && WORD_END.test(out) ? ZWSP : '';
      const after = trail === '' && next !== undefined && WORD_START.test(next.s) ? ZWSP : '';
      out += `${lead}${before}${mark}${body}${mark}${after}${trail}`;
    }
    i = j;
  }
  return out;
}

/** What atom k adds to a rendering that starts at `from`: an upper bound, counting 4 for a run's markers. */
function cost(atoms: Atom[], k: number, from: number): number {
  const a = atoms[k]!;
  const prev = k > from ? atoms[k - 1] : undefined;
  const opens = a.style !== 'plain' && a.s !== '\n' && (prev === undefined || prev.style !== a.style || prev.s === '\n');
  return a.s.length + (opens ? 4 : 0);
}

/** The end of the longest run of atoms from `from` whose rendering stays within `max`. */
function fit(atoms: Atom[], from: number, max: number): number {
  let used = 0;
  let k = from;
  for (; k < atoms.length; k++) {
    const c = cost(atoms, k, from);
    if (used + c > max) break;
    used += c;
  }
  return k;
}

const ELLIPSIS: Atom = { s: '…', style: 'plain' };
const NEWLINE: Atom = { s: '\n', style: 'plain' };

/** atoms[from, to) rendered with a visible "…" in place of what follows. */
function withEllipsis(atoms: Atom[], from: number, to: number): string {
  let end = to;
  while (end > from && (isSpace(atoms[end - 1]!) || atoms[end - 1]!.s === '\n')) end--;
  return render([...atoms.slice(from, end), ELLIPSIS]);
}

/** Renders atoms within `max` characters; `cut` when they did not all fit. */
function renderWithin(atoms: Atom[], max: number): { text: string; cut: boolean } {
  if (fit(atoms, 0, max) === atoms.length) return { text: render(atoms), cut: false };
  return { text: withEllipsis(atoms, 0, fit(atoms, 0, max - ELLIPSIS.s.length)), cut: true };
}

/** Plain text (header, button label, fallback, an option or a form's text) cut between grapheme clusters to `max` with "…". */
export function cutPlain(s: string, max: number, map: (g: string) => string = (g) => g): { text: string; cut: boolean } {
  const mapped = map(s);
  if (mapped.length <= max) return { text: mapped, cut: false };
  let out = '';
  // `map` never shortens, so no more than `max` characters of `s` can be kept: only they need segmenting.
  for (const g of graphemes(s.slice(0, max + 64))) {
    const m = map(g);
    if (out.length + m.length > max - 1) break;
    out += m;
  }
  return { text: `${out.trimEnd()}…`, cut: true };
}

/** An account picker's value that stands for the account's id: `id:42`. */
export const ACCOUNT_ID_VALUE = /^id:(\d+)$/;

/**
 * An account picker option's value: the account's name when it fits Slack's
 * 150 characters (and cannot be read as an id), else `id:<n>`, read back on
 * submit (names up to 200 characters that share their first 150 must not
 * become one value). Without an id, a name too long is cut: the engine then
 * matches what is left.
 */
export function accountValue(name: string, id?: number): string {
  if (name.length <= OPTION_VALUE_MAX && !ACCOUNT_ID_VALUE.test(name)) return name;
  if (id !== undefined) return `id:${id}`;
  const cut = name.slice(0, OPTION_VALUE_MAX);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

// ---------------------------------------------------------------------------
// Blocks.

const mrkdwn = (text: string): { type: 'mrkdwn'; text: string; verbatim: true } => ({ type: 'mrkdwn', text, verbatim: true });
const sectionBlock = (text: string): SectionBlock => ({ type: 'section', text: mrkdwn(text) });
const contextBlock = (text: string): ContextBlock => ({ type: 'context', elements: [{ type: 'plain_text', text }] });

/** Blocks and characters still free for a section. */
interface Room {
  blocks: number;
  chars: number;
}

interface Emitted {
  block: KnownBlock;
  /** Characters of text it holds, towards the message's text budget. */
  size: number;
}

/** How a section fared: all shown, cut with a visible marker in its last block, or not shown at all. */
type Outcome = 'whole' | 'cut' | 'none';

interface SectionOut {
  emitted: Emitted[];
  outcome: Outcome;
}

interface Ctx {
  andMore: (n: number) => string;
  warn: (w: string) => void;
}

const chars = (e: Emitted[]): number => e.reduce((n, x) => n + x.size, 0);
const sectionOf = (text: string): Emitted => ({ block: sectionBlock(text), size: text.length });
const contextOf = (text: string): Emitted => ({ block: contextBlock(text), size: text.length });

/** A block that another may follow leaves at least this much room for it, so no section ends in a sliver. */
const MIN_TAIL = 200;

/** Slack's text objects need at least one visible character. */
const blank = (s: string): boolean => s.replace(/[\s\u200b]/g, '') === '';

function textSection(rich: Rich, room: Room, ctx: Ctx, label: string): SectionOut {
  // Most text fits in one block: then word atoms render it, and no cut needs finer ones.
  const words = richAtoms(rich, 'plain', 'word');
  const whole = render(words);
  if (blank(whole)) return { emitted: [], outcome: 'whole' };
  if (room.blocks >= 1 && room.chars >= 2 && fit(words, 0, Math.min(SECTION_TEXT_MAX, room.chars)) === words.length) return { emitted: [sectionOf(whole)], outcome: 'whole' };
  const atoms = richAtoms(rich, 'plain');
  const emitted: Emitted[] = [];
  const push = (text: string): void => {
    emitted.push(sectionOf(text));
  };
  const left = (): Room => ({ blocks: room.blocks - emitted.length, chars: room.chars - chars(emitted) });
  let i = 0;
  while (i < atoms.length) {
    const r = left();
    if (r.blocks < 1 || r.chars < 2) break;
    const cap = Math.min(SECTION_TEXT_MAX, r.chars);
    // The last block this section can have: what does not fit in it is cut.
    const last = r.blocks === 1 || r.chars < SECTION_TEXT_MAX + MIN_TAIL;
    const end = fit(atoms, i, cap);
    if (end === atoms.length) {
      push(i === 0 ? whole : render(atoms.slice(i)));
      i = end;
      break;
    }
    if (last || end === i) {
      push(withEllipsis(atoms, i, fit(atoms, i, cap - ELLIPSIS.s.length)));
      const total = whole.length;
      ctx.warn(`${label}: cut to ${chars(emitted)} of ${total} characters`);
      return { emitted, outcome: 'cut' };
    }
    // Carry on in another section, breaking at a line end or a space in the second half when there is one.
    const half = i + Math.ceil((end - i) / 2);
    let brk = -1;
    for (const sep of ['\n', ' ']) {
      for (let k = end; k >= half && brk < 0; k--) if (atoms[k]?.s === sep) brk = k;
      if (brk >= 0) break;
    }
    if (brk >= 0) {
      const piece = render(atoms.slice(i, brk));
      if (!blank(piece)) push(piece);
      i = brk + 1;
    } else {
      push(render(atoms.slice(i, end)));
      i = end;
    }
  }
  if (i < atoms.length) {
    // Out of room before this text began (or between two of its blocks, which `last` prevents).
    if (emitted.length === 0) return { emitted, outcome: 'none' };
    ctx.warn(`${label}: cut after ${chars(emitted)} characters`);
    return { emitted, outcome: 'cut' };
  }
  return { emitted, outcome: 'whole' };
}

function fieldsSection(fields: { label: string; value: Rich }[], room: Room, ctx: Ctx, label: string): SectionOut {
  const texts = fields.flatMap((f) => {
    const head = textAtoms(f.label, 'strong');
    const value = richAtoms(f.value, 'plain');
    const atoms = head.length && value.length ? [...head, NEWLINE, ...value] : [...head, ...value];
    if (blank(render(atoms))) return [];
    const { text, cut } = renderWithin(atoms, FIELD_TEXT_MAX);
    if (cut) ctx.warn(`${label}: field "${clean(f.label)}" cut to ${text.length} characters`);
    return [text];
  });
  const n = texts.length;
  const size = (ts: string[]): number => ts.reduce((sum, t) => sum + t.length, 0);
  const emit = (ts: string[]): Emitted => ({ block: { type: 'section', fields: ts.map((t) => mrkdwn(t)) }, size: size(ts) });
  // A block that another may follow leaves at least this much room for it.
  const follow = ctx.andMore(n).length + 1;
  const emitted: Emitted[] = [];
  let i = 0;
  while (i < n) {
    const r = { blocks: room.blocks - emitted.length, chars: room.chars - chars(emitted) };
    if (r.blocks < 1 || r.chars < follow) break;
    const next = texts.slice(i, i + SECTION_FIELDS_MAX);
    const rest = n - i - next.length;
    const fits = size(next) <= r.chars && (rest === 0 || (r.blocks > 1 && r.chars - size(next) >= follow));
    if (fits) {
      emitted.push(emit(next));
      i += next.length;
      continue;
    }
    // The last block this section can have: as many fields as fit beside an "…and N more" field.
    let take = next.slice(0, SECTION_FIELDS_MAX - 1);
    while (take.length > 0 && size(take) + ctx.andMore(n - i - take.length).length > r.chars) take = take.slice(0, -1);
    emitted.push(emit([...take, ctx.andMore(n - i - take.length)]));
    i += take.length;
    break;
  }
  if (i === n) return { emitted, outcome: 'whole' };
  if (emitted.length === 0) return { emitted, outcome: 'none' };
  ctx.warn(`${label}: ${n - i} of ${n} fields not shown`);
  return { emitted, outcome: 'cut' };
}

interface Lines {
  /** First block only, on a line of its own. */
  head?: Atom[];
  /** Around the lines of every block: a code fence for usage. */
  open: string;
  close: string;
  /** How many lines, and each line's atoms (made only for the lines that are reached). */
  count: number;
  line: (j: number) => Atom[];
  /** Items the handler already left out ("…and N more" even when everything here fits). */
  more: number;
}

/** Lines packed into sections of at most SECTION_TEXT_MAX characters, a line never split across two. */
function lineSections(p: Lines, room: Room, ctx: Ctx, label: string, unit: string): SectionOut {
  const n = p.count;
  const cache = new Map<number, { atoms: Atom[]; text: string }>();
  const line = (j: number): { atoms: Atom[]; text: string } => {
    let hit = cache.get(j);
    if (!hit) {
      const atoms = p.line(j);
      hit = { atoms, text: render(atoms) };
      cache.set(j, hit);
    }
    return hit;
  };
  // Every block keeps room for a marker line, so one always fits where it is needed.
  const reserve = 1 + ctx.andMore(n + p.more).length;
  const fence = p.open.length + p.close.length;
  let head = '';
  if (p.head) {
    const { text, cut } = renderWithin(p.head, SECTION_TEXT_MAX - fence - reserve - 1);
    if (cut) ctx.warn(`${label}: heading cut to ${text.length} characters`);
    head = text;
  }
  const emitted: Emitted[] = [];
  let i = 0;
  for (;;) {
    const first = emitted.length === 0;
    const r = { blocks: room.blocks - emitted.length, chars: room.chars - chars(emitted) };
    const fixed = (first && head ? head.length + 1 : 0) + fence;
    if (r.blocks < 1 || r.chars < fixed + reserve + 1) break;
    // Whether another block could follow this one.
    const more = r.blocks > 1 && r.chars - SECTION_TEXT_MAX >= fence + reserve + MIN_TAIL;
    const cap = Math.min(SECTION_TEXT_MAX, r.chars) - fixed - reserve;
    // A line is cut only when even a block of its own could not hold it, not because the budget runs low.
    const whole = SECTION_TEXT_MAX - fixed - reserve;
    const taken: string[] = [];
    let used = 0;
    let j = i;
    while (j < n) {
      const add = line(j).text.length + (taken.length ? 1 : 0);
      if (used + add <= cap) {
        taken.push(line(j).text);
        used += add;
        j++;
        continue;
      }
      if (taken.length === 0 && cap >= 2 && line(j).text.length > whole) {
        // One line longer than a whole block.
        const { atoms } = line(j);
        const text = withEllipsis(atoms, 0, fit(atoms, 0, cap - ELLIPSIS.s.length));
        ctx.warn(`${label}: ${unit} ${j + 1} cut to ${text.length} characters`);
        taken.push(text);
        j++;
      }
      break;
    }
    const rest = n - j;
    const body = taken.length ? `${p.open}${taken.join('\n')}${p.close}` : '';
    if (more && rest > 0 && taken.length > 0) {
      emitted.push(sectionOf([first ? head : '', body].filter(Boolean).join('\n')));
      i = j;
      continue;
    }
    const left = rest + p.more;
    const parts = [first ? head : '', body, left > 0 ? ctx.andMore(left) : ''].filter(Boolean);
    if (parts.length > 0) emitted.push(sectionOf(parts.join('\n')));
    if (rest > 0) {
      ctx.warn(`${label}: ${rest} of ${n} ${unit}s not shown`);
      return { emitted, outcome: 'cut' };
    }
    return { emitted, outcome: 'whole' };
  }
  if (emitted.length === 0) return { emitted, outcome: 'none' };
  ctx.warn(`${label}: ${n - i} of ${n} ${unit}s not shown`);
  return { emitted, outcome: 'cut' };
}

const plainAtoms = (s: string): Atom[] => toAtoms(s, 'plain');

function listLines(s: Extract<Section, { type: 'list' }>): Lines {
  // Continuation lines of an item are indented under its bullet, as in the text renderer.
  const item = (j: number): Atom[] => [...plainAtoms('• '), ...richAtoms(s.items[j]!, 'plain').flatMap((a) => (a.s === '\n' ? [NEWLINE, ...plainAtoms('    ')] : [a]))];
  const empty = s.items.length === 0 && s.empty ? s.empty : undefined;
  const head = s.heading ? textAtoms(s.heading, 'strong') : undefined;
  const more = Math.max(0, s.more ?? 0);
  if (empty !== undefined) return { head, open: '', close: '', count: 1, line: () => textAtoms(empty, 'plain'), more };
  return { head, open: '', close: '', count: s.items.length, line: item, more };
}

function usageLines(s: Extract<Section, { type: 'usage' }>): Lines {
  return { head: textAtoms(s.heading, 'strong'), open: '```', close: '```', count: s.lines.length, line: (j) => codeAtoms(s.lines[j]!, 'plain'), more: 0 };
}

/** A chart as a table in a code block: the message carries it whether or not a picture of it follows. */
function chartLines(s: Extract<Section, { type: 'chart' }>): Lines {
  const rows = chartTable(s.chart);
  return { head: textAtoms(s.chart.heading, 'strong'), open: '```', close: '```', count: rows.length, line: (j) => codeAtoms(rows[j]!, 'plain'), more: 0 };
}

function renderSection(s: Section, room: Room, ctx: Ctx, label: string): SectionOut {
  switch (s.type) {
    case 'text':
      return textSection(s.text, room, ctx, label);
    case 'chart':
      return lineSections(chartLines(s), room, ctx, label, 'line');
    case 'fields':
      return fieldsSection(s.fields, room, ctx, label);
    case 'list':
      return lineSections(listLines(s), room, ctx, label, 'item');
    case 'usage':
      return lineSections(usageLines(s), room, ctx, label, 'line');
  }
}

/** What a section holds, for the "…and N more" of sections left out whole. */
function units(s: Section): number {
  switch (s.type) {
    case 'text':
      return 1;
    case 'chart':
      return s.chart.series.length + 1;
    case 'fields':
      return s.fields.length;
    case 'list':
      return s.items.length + Math.max(0, s.more ?? 0);
    case 'usage':
      return s.lines.length;
  }
}

function titleBlock(reply: Reply, ctx: Ctx): Emitted | undefined {
  const title = reply.title;
  if (title === undefined) return undefined;
  const emoji = TONE_EMOJI[reply.tone];
  const mentions =
    typeof title !== 'string' && title.some((p) => typeof p === 'object' && (('mention' in p && isRealMention(p.mention)) || ('channel' in p && SLACK_CHANNEL_ID.test(p.channel))));
  if (mentions) {
    // A header is plain text and cannot mention anyone or link a channel: a bold section can. It stays as short as a header.
    const atoms = [...plainAtoms(`${emoji} `), ...richAtoms(title, 'strong')];
    const { text, cut } = renderWithin(atoms, HEADER_TEXT_MAX);
    if (cut) ctx.warn(`title: cut to ${text.length} characters`);
    return sectionOf(text);
  }
  const plain = richText(title)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  if (plain === '') return undefined;
  const { text, cut } = cutPlain(`${emoji} ${plain}`, HEADER_TEXT_MAX);
  if (cut) ctx.warn(`title: ${emoji.length + 1 + plain.length} characters cut to ${text.length} (header limit ${HEADER_TEXT_MAX})`);
  const block: HeaderBlock = { type: 'header', text: { type: 'plain_text', text } };
  return { block, size: text.length };
}

function actionBlocks(buttons: Button[], ctx: Ctx): Emitted[] {
  const usable = buttons.filter((b) => {
    // Cutting a command would make the button run a different one: leave it out instead.
    if (clean(b.command).trim() === '') ctx.warn(`button "${clean(b.label)}": no command, left out`);
    else if (b.command.length > BUTTON_VALUE_MAX) ctx.warn(`button "${clean(b.label)}": command longer than ${BUTTON_VALUE_MAX} characters, left out`);
    else return true;
    return false;
  });
  if (usable.length === 0) return [];
  const shown = usable.slice(0, ACTIONS_ELEMENTS_MAX);
  let labels = 0;
  const elements = shown.map((b, i): ButtonElement => {
    const wanted = clean(b.label).replace(/\s+/g, ' ').trim() || clean(b.command).replace(/\s+/g, ' ').trim();
    const { text, cut } = cutPlain(wanted, BUTTON_TEXT_MAX);
    if (cut) ctx.warn(`button "${wanted}": label cut to ${BUTTON_TEXT_MAX} characters`);
    labels += text.length;
    const el: ButtonElement = { type: 'button', text: { type: 'plain_text', text }, action_id: `${ACTION_ID_PREFIX}${i}`, value: b.command };
    if (b.style) el.style = b.style;
    return el;
  });
  const actions: ActionsBlock = { type: 'actions', elements };
  // The label text is what counts towards the message's text budget.
  const out: Emitted[] = [{ block: actions, size: labels }];
  if (usable.length > shown.length) {
    const more = ctx.andMore(usable.length - shown.length);
    ctx.warn(`buttons: ${usable.length - shown.length} of ${usable.length} not shown (${ACTIONS_ELEMENTS_MAX} per actions block)`);
    out.push(contextOf(more));
  }
  return out;
}

/** Characters kept back, while later sections wait, for the closing line ("…and N more", "Not shown: …") should they find no room. */
const END_MARKER_RESERVE = 80;

export function renderBlocks(reply: Reply, opts: RenderOptions = {}): RenderedBlocks {
  const andMore = opts.andMore ?? catalog('en').common.andMore;
  const notShown = opts.notShown ?? catalog('en').common.notShown;
  const maxBlocks = opts.maxBlocks ?? MESSAGE_MAX_BLOCKS;
  const budget = opts.textBudget ?? BLOCKS_TEXT_BUDGET;
  const warnings: string[] = [];
  const ctx: Ctx = { andMore, warn: (w) => warnings.push(w) };

  const title = titleBlock(reply, ctx);
  const actions = actionBlocks(reply.buttons, ctx);
  const fixed = [...(title ? [title] : []), ...actions];
  const room: Room = { blocks: Math.max(0, maxBlocks - fixed.length), chars: budget - chars(fixed) };

  const body: Emitted[] = [];
  const sections = reply.sections;
  let stoppedAt = sections.length;
  let visibleCut = false;
  for (let k = 0; k < sections.length; k++) {
    const lastSection = k === sections.length - 1;
    const mine: Room = {
      blocks: room.blocks - body.length - (lastSection ? 0 : 1),
      chars: room.chars - chars(body) - (lastSection ? 0 : END_MARKER_RESERVE),
    };
    const out = renderSection(sections[k]!, mine, ctx, `section ${k + 1} (${sections[k]!.type})`);
    body.push(...out.emitted);
    if (out.outcome === 'cut') {
      visibleCut = true;
      stoppedAt = k + 1;
      break;
    }
    if (out.outcome === 'none') {
      stoppedAt = k;
      break;
    }
  }
  if (stoppedAt < sections.length) {
    const left = sections.slice(stoppedAt);
    ctx.warn(`sections ${stoppedAt + 1}-${sections.length} not shown: no room left within ${maxBlocks} blocks and ${budget} characters`);
    // Sections with headings are named ("Not shown: Open promises (12)"): after a list cut with its own
    // "…and N more", a count alone would read as more of that list.
    const headings = left.map((s) => (s.type === 'list' ? s.heading?.trim() : undefined));
    const named = headings.every(Boolean) ? notShown(left.map((s, i) => `${headings[i]} (${units(s)})`)) : undefined;
    const line = [named, visibleCut ? undefined : andMore(left.reduce((n, s) => n + units(s), 0))].find((l) => l !== undefined && chars(body) + l.length <= room.chars);
    if (line && body.length < room.blocks) body.push(contextOf(line));
  }

  // A section of nothing but white space (an empty heading, a blank line) is refused by Slack: leave it out.
  const shown = body.filter((e) => !(e.block.type === 'section' && !e.block.fields?.length && blank(e.block.text?.text ?? '')));
  const blocks = [...(title ? [title.block] : []), ...shown.map((e) => e.block), ...actions.map((e) => e.block)];

  const fallback = cutPlain(renderText(reply, andMore), MESSAGE_TEXT_MAX, escapeMrkdwn);
  if (fallback.cut) ctx.warn(`fallback text cut to ${fallback.text.length} characters`);
  // Slack needs some text or some block; an empty reply still says something.
  const text = blank(fallback.text) ? TONE_EMOJI[reply.tone] : fallback.text;
  return { blocks, text, warnings };
}
