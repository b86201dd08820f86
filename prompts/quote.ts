// How a value is written into command text so the tokenizer reads it back whole: the quote marks that
// group words, and `quote`, which the catalogs use for the commands they show and handlers for buttons.
// It sits here, below everything, because the catalogs need it; the tokenizer (src/engine/tokenize.ts)
// reads the same table.

/** Each quote mark that opens a value, and the one that closes it; `quote` prefers them in this order. */
export const QUOTES: Readonly<Record<string, string>> = {
  '"': '"',
  '“': '”',
  // A closing curly quote typed first (some keyboards) opens as well.
  '”': '”',
  '「': '」',
  '『': '』',
  '«': '»',
  '‘': '’',
};

/** The pairs `quote` may wrap a value in: every opening mark but a closing one typed first. */
const PAIRS = Object.entries(QUOTES).filter(([open, close]) => open === '"' || open !== close);

/**
 * `v` as one quoted value, whatever it holds: in a pair of quotes it does not
 * contain, or else in straight quotes with its own doubled. For command text
 * built from names and notes (a button's command, a form's submission).
 */
export function quote(v: string): string {
  const pair = PAIRS.find(([o, c]) => !v.includes(o) && !v.includes(c));
  return pair ? `${pair[0]}${v}${pair[1]}` : `"${v.replaceAll('"', '""')}"`;
}
