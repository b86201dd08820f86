// A count's word in the reader's language, by the language's own plural rules
// (CLDR, through Intl.PluralRules), not by `n === 1`: English has "one" and
// "other"; Chinese has only "other" (its measure words, 个 项 起 条, never change);
// other languages have more forms.

/** A word's forms by plural category; `other` is required, the rest are as the language needs. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

const rules = new Map<string, Intl.PluralRules>();

/** The form of a word that goes with `n` in `locale` (`plural('en', 1, { one: 'day', other: 'days' })` is `day`). */
export function plural(locale: string, n: number, forms: PluralForms): string {
  let r = rules.get(locale);
  if (!r) rules.set(locale, (r = new Intl.PluralRules(locale)));
  return forms[r.select(n)] ?? forms.other;
}
