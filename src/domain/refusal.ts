// A rule said no. The domain refuses with a code (the catalog key of the
// sentence that explains it) and the facts that sentence needs, never with
// words of its own: chat, the CSV tool and the scheduler each turn the same
// refusal into the same sentence, in the reader's language.
import type { Catalog } from '../../prompts/index.js';

type Sentence = (...args: never[]) => unknown;

/** Every catalog sentence a refusal may name, as `section.name` (e.g. `perm.refused`, `account.nameTaken`). */
export type RefusalCode = {
  [S in keyof Catalog & string]: Catalog[S] extends Record<string, unknown>
    ? { [N in keyof Catalog[S] & string]: Catalog[S][N] extends Sentence ? `${S}.${N}` : never }[keyof Catalog[S] & string]
    : never;
}[keyof Catalog & string];

/** The facts a code's sentence takes, in its order. */
export type RefusalFacts<C extends RefusalCode> = C extends `${infer S extends keyof Catalog}.${infer N}`
  ? N extends keyof Catalog[S]
    ? Catalog[S][N] extends (...args: infer A) => unknown
      ? A
      : never
    : never
  : never;

export class Refusal<C extends RefusalCode = RefusalCode> extends Error {
  override name = 'Refusal';
  readonly facts: RefusalFacts<C>;
  /** Lines shown under the sentence (candidates, suggestions), already in the reader's terms. */
  items: unknown[] = [];
  /** Which argument or option was wrong, so a form can show the refusal on its field. */
  field?: string;
  constructor(
    readonly code: C,
    ...facts: RefusalFacts<C>
  ) {
    super(code);
    this.facts = facts;
  }

  /** The same refusal, listing `items` under its sentence. */
  listing(items: unknown[]): this {
    this.items = items;
    return this;
  }

  /** The refusal's sentence in `t`'s language (what the catalog's sentence returns: text, or text with names inline). */
  words(t: Catalog): unknown {
    const [section, name] = this.code.split('.') as [keyof Catalog, string];
    const fn = (t[section] as Record<string, (...a: unknown[]) => unknown>)[name]!;
    return fn(...(this.facts as unknown[]));
  }
}
