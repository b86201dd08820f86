// Splits command text into words, quoted values, key:value options and mentions.
// Straight and CJK quotes group words; a full-width colon works like `:`.

export type Token =
  | { kind: 'word'; value: string; raw: string; start: number; end: number }
  | { kind: 'quoted'; value: string; raw: string; start: number; end: number }
  | { kind: 'mention'; value: string; raw: string; start: number; end: number }
  | { kind: 'option'; key: string; value: string; raw: string; start: number; end: number };

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: 'unclosed-quote'; quote: string; at: number };

const QUOTES: Record<string, string> = {
  '"': '"',
  '“': '”',
  '”': '”',
  '「': '」',
  '『': '』',
  '‘': '’',
  '«': '»',
};

const isSpace = (ch: string) => /\s/u.test(ch);

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
    if (open in QUOTES) {
      const close = s.indexOf(QUOTES[open]!, i + 1);
      // A lone quote mark in free text (`5" pipes`) is just a character.
      if (close >= 0) {
        tokens.push({ kind: 'quoted', value: s.slice(i + 1, close), raw: s.slice(start, close + 1), start, end: close + 1 });
        i = close + 1;
        continue;
      }
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
        const close = s.indexOf(QUOTES[q]!, valueStart + 1);
        if (close < 0) return { ok: false, error: 'unclosed-quote', quote: q, at: start };
        tokens.push({ kind: 'option', key: key.toLowerCase(), value: s.slice(valueStart + 1, close), raw: s.slice(start, close + 1), start, end: close + 1 });
        i = close + 1;
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
    else tokens.push({ kind: 'word', value: word, raw: word, start, end: j });
    i = j;
  }
  return { ok: true, tokens };
}
