// Splits command text into words, quoted values, key:value options and mentions.
// Straight and CJK quotes group words; a full-width colon works like `:`. Inside
// straight quotes a doubled quote is one quote mark (`"OOO ""Romashka"""`).

import { QUOTES } from '../../prompts/quote.js';

// Command text is quoted for the tokenizer by `quote` (prompts/quote.ts, where the catalogs can reach it).
export { quote } from '../../prompts/quote.js';

export type Token =
  // `unclosed`: the word starts with this quote mark, which never closes (kept as typed; see bind).
  | { kind: 'word'; value: string; raw: string; start: number; end: number; unclosed?: string }
  | { kind: 'quoted'; value: string; raw: string; start: number; end: number }
  | { kind: 'mention'; value: string; raw: string; start: number; end: number }
  | { kind: 'option'; key: string; value: string; raw: string; start: number; end: number };

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: 'unclosed-quote'; quote: string; at: number };

const isSpace = (ch: string) => /\s/u.test(ch);

/** Where the quote opened at `at` closes, and the value between; undefined when it never closes. */
function quoted(s: string, at: number): { value: string; end: number } | undefined {
  const open = s[at]!;
  const close = QUOTES[open]!;
  let from = at + 1;
  for (;;) {
    const i = s.indexOf(close, from);
    if (i < 0) return undefined;
    // `""` inside straight quotes is a quote mark, not the end.
    if (open === '"' && s[i + 1] === '"') {
      from = i + 2;
      continue;
    }
    const value = s.slice(at + 1, i);
    return { value: open === '"' ? value.replaceAll('""', '"') : value, end: i + 1 };
  }
}

// An option key: ASCII words with dashes, or Chinese characters (`截止：下周五`).
const OPTION_KEY = /^(?:[A-Za-z][A-Za-z0-9_-]*|\p{Script=Han}{1,8})$/u;

export function tokenize(input: string): TokenizeResult {
  const tokens: Token[] = [];
  const s = input;
  let i = 0;
  while (i < s.length) {
    if (isSpace(s[i]!)) {
      i++;
      continue;
    }
    const start = i;
    const open = s[i]!;
    let unclosed: string | undefined;
    if (open in QUOTES) {
      const q = quoted(s, i);
      // A lone quote mark in free text (`5" pipes`) is just a character.
      if (q) {
        tokens.push({ kind: 'quoted', value: q.value, raw: s.slice(start, q.end), start, end: q.end });
        i = q.end;
        continue;
      }
      unclosed = open;
    }
    // Slack's `<@U123|name>` arrives as one token even though it may hold spaces in the label.
    if (s.startsWith('<@', i) || s.startsWith('<!', i) || s.startsWith('<#', i)) {
      const close = s.indexOf('>', i);
      if (close > 0) {
        const raw = s.slice(start, close + 1);
        tokens.push({ kind: s[i + 1] === '@' ? 'mention' : 'word', value: raw, raw, start, end: close + 1 });
        i = close + 1;
        continue;
      }
    }
    let j = i;
    while (j < s.length && !isSpace(s[j]!)) j++;
    const word = s.slice(i, j);
    const colon = word.search(/[:：]/u);
    const key = colon > 0 ? word.slice(0, colon) : '';
    if (colon > 0 && OPTION_KEY.test(key) && !word.startsWith('//', colon + 1)) {
      // key:"quoted value with spaces"
      const valueStart = i + colon + 1;
      const q = s[valueStart];
      if (q !== undefined && q in QUOTES) {
        const v = quoted(s, valueStart);
        if (!v) return { ok: false, error: 'unclosed-quote', quote: q, at: start };
        tokens.push({ kind: 'option', key: key.toLowerCase(), value: v.value, raw: s.slice(start, v.end), start, end: v.end });
        i = v.end;
        continue;
      }
      const value = word.slice(colon + 1);
      if (value !== '') {
        tokens.push({ kind: 'option', key: key.toLowerCase(), value, raw: word, start, end: j });
        i = j;
        continue;
      }
    }
    if (word.startsWith('@') && word.length > 1) tokens.push({ kind: 'mention', value: word, raw: word, start, end: j });
    else tokens.push({ kind: 'word', value: word, raw: word, start, end: j, ...(unclosed && { unclosed }) });
    i = j;
  }
  return { ok: true, tokens };
}
