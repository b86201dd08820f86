/** Printable ASCII, which NFKC leaves as it is: most names skip asking ICU. */
const ASCII = /^[\x20-\x7e]*$/;

/** The key names and matching use: NFKC (full-width letters become ASCII), lower case, single spaces. */
export function normalize(s: string): string {
  return (ASCII.test(s) ? s : s.normalize('NFKC')).toLowerCase().replace(/\s+/gu, ' ').trim();
}

export const MAX_NAME = 200;
/** Long enough for a real visit report; Slack shows 3000 characters a section, so longer text is cut on display, never here. */
export const MAX_NOTE = 4000;
