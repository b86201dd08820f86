// The tokenizer: how the words a person types become words, quoted values,
// key:value options and mentions, in English and Chinese typing habits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quote, tokenize, type Token } from '../src/engine/tokenize.js';
import { harness } from './harness.js';

function tokens(input: string): Token[] {
  const r = tokenize(input);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to tokenize, got ${JSON.stringify(r)}`);
  return r.tokens;
}

/** Kind and value of each token, the part the binder relies on. */
function shape(input: string): string[] {
  return tokens(input).map((t) => (t.kind === 'option' ? `option ${t.key}=${t.value}` : `${t.kind} ${t.value}`));
}

describe('tokenize: words and quotes', () => {
  it('splits plain words on spaces and keeps their positions', () => {
    const t = tokens('hello   world');
    expect(t).toEqual([
      { kind: 'word', value: 'hello', raw: 'hello', start: 0, end: 5 },
      { kind: 'word', value: 'world', raw: 'world', start: 8, end: 13 },
    ]);
  });

  it('returns no tokens for empty or blank input', () => {
    expect(tokens('')).toEqual([]);
    expect(tokens('  \t ')).toEqual([]);
  });

  it('groups words inside straight quotes into one quoted value', () => {
    const t = tokens('say "hi there" ok');
    expect(shape('say "hi there" ok')).toEqual(['word say', 'quoted hi there', 'word ok']);
    expect(t[1]).toMatchObject({ raw: '"hi there"', start: 4, end: 14 });
  });

  it('groups words inside Chinese curly quotes “..”', () => {
    expect(shape('/客户 “华东 汽配” 查看')).toEqual(['word /客户', 'quoted 华东 汽配', 'word 查看']);
  });

  it('groups words inside corner brackets 「..」', () => {
    expect(shape('a 「东西 南北」 b')).toEqual(['word a', 'quoted 东西 南北', 'word b']);
  });

  it('treats a lone quote mark in free text as a literal character', () => {
    expect(shape('ordered 5" pipes')).toEqual(['word ordered', 'word 5"', 'word pipes']);
    // An opening quote that never closes is kept as typed, not an error.
    expect(shape('he said "maybe next')).toEqual(['word he', 'word said', 'word "maybe', 'word next']);
    expect(shape('he said “maybe')).toEqual(['word he', 'word said', 'word “maybe']);
  });

  it('marks a word that opens a quote which never closes, so a name can refuse it', () => {
    expect(tokens('add "Unclosed quote')[1]).toEqual({ kind: 'word', value: '"Unclosed', raw: '"Unclosed', start: 4, end: 13, unclosed: '"' });
    expect(tokens('「华东')[0]).toMatchObject({ kind: 'word', unclosed: '「' });
    expect(tokens('ordered 5" pipes').some((t) => t.kind === 'word' && t.unclosed)).toBe(false);
  });

  it('does not close a straight quote with a curly one', () => {
    expect(shape('"abc” d')).toEqual(['word "abc”', 'word d']);
  });

  it('separates tokens on the full-width space U+3000', () => {
    expect(shape('华东\u3000拜访\u3000参观')).toEqual(['word 华东', 'word 拜访', 'word 参观']);
  });
});

describe('tokenize: quote marks inside quotes', () => {
  it('reads a doubled quote inside straight quotes as one quote mark', () => {
    expect(shape('/account show "OOO ""Romashka""" now')).toEqual(['word /account', 'word show', 'quoted OOO "Romashka"', 'word now']);
    expect(shape('to:"Li ""the boss"" Wei" x')).toEqual(['option to=Li "the boss" Wei', 'word x']);
    expect(shape('"" x')).toEqual(['quoted ', 'word x']);
  });

  it('quote() makes any text one quoted value, whatever quote marks it holds', () => {
    expect(quote('Acme')).toBe('"Acme"');
    expect(quote('OOO "Romashka"')).toBe('“OOO "Romashka"”');
    const marks = fc.constantFrom('"', '“', '”', '「', '」', '『', '』', '«', '»', '‘', '’', ' ', 'a', ':', '@', '<@U1>', 'on:', '华');
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.array(marks, { maxLength: 30 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(text, (v) => {
        expect(shape(quote(v))).toEqual([`quoted ${v}`]);
        expect(shape(`/touch ${quote(v)} visit to:${quote(v)} done`)).toEqual(['word /touch', `quoted ${v}`, 'word visit', `option to=${v}`, 'word done']);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tokenize: options', () => {
  it('reads key:value as an option with a lower-cased key', () => {
    expect(tokens('Due:Friday')).toEqual([{ kind: 'option', key: 'due', value: 'Friday', raw: 'Due:Friday', start: 0, end: 10 }]);
  });

  it('accepts the full-width colon key：value', () => {
    expect(shape('due：friday')).toEqual(['option due=friday']);
  });

  it('reads key:"quoted value" with spaces as one option', () => {
    const t = tokens('to:"Li Wei" rest');
    expect(shape('to:"Li Wei" rest')).toEqual(['option to=Li Wei', 'word rest']);
    expect(t[0]).toMatchObject({ raw: 'to:"Li Wei"', start: 0, end: 11 });
  });

  it('reads key:“Chinese quoted value” and key:「..」', () => {
    expect(shape('对方:“李 伟”')).toEqual(['option 对方=李 伟']);
    expect(shape('to:「王 磊」 ok')).toEqual(['option to=王 磊', 'word ok']);
  });

  it('reads Chinese option keys with a full-width colon', () => {
    expect(shape('截止：下周五')).toEqual(['option 截止=下周五']);
    expect(shape('级别:战略 区域:华东')).toEqual(['option 级别=战略', 'option 区域=华东']);
  });

  it('does not treat URLs as options', () => {
    expect(shape('see https://x')).toEqual(['word see', 'word https://x']);
    expect(shape('http://example.com/a?b=c:d')).toEqual(['word http://example.com/a?b=c:d']);
  });

  it('keeps `re:` with nothing after the colon as a plain word', () => {
    expect(shape('re: the invoice')).toEqual(['word re:', 'word the', 'word invoice']);
  });

  it('keeps a clock time like 10:30 as a word (a key must start with a letter)', () => {
    expect(shape('at 10:30')).toEqual(['word at', 'word 10:30']);
  });

  it('keeps a word with a colon but no valid key as a word', () => {
    expect(shape(':x')).toEqual(['word :x']);
  });

  it('fails with unclosed-quote when an option value opens a quote and never closes it', () => {
    expect(tokenize('to:"Li Wei visited')).toEqual({ ok: false, error: 'unclosed-quote', quote: '"', at: 0 });
    expect(tokenize('note 对方:「李伟 参观')).toEqual({ ok: false, error: 'unclosed-quote', quote: '「', at: 5 });
  });
});

describe('tokenize: mentions', () => {
  it('reads @name as a mention', () => {
    expect(shape('owner @li today')).toEqual(['word owner', 'mention @li', 'word today']);
  });

  it('keeps a lone @ as a word', () => {
    expect(shape('@ noon')).toEqual(['word @', 'word noon']);
  });

  it('reads Slack <@U123|bob smith> as one mention even with a space in the label', () => {
    const t = tokens('with <@U123|bob smith> hi');
    expect(shape('with <@U123|bob smith> hi')).toEqual(['word with', 'mention <@U123|bob smith>', 'word hi']);
    expect(t[1]).toMatchObject({ raw: '<@U123|bob smith>', start: 5, end: 22 });
  });

  it('keeps Slack channel and special references <#..> <!..> as words, not mentions', () => {
    expect(shape('<#C1|general> <!channel>')).toEqual(['word <#C1|general>', 'word <!channel>']);
  });

  it('keeps an option whose value is a mention as an option', () => {
    expect(shape('owner:@li')).toEqual(['option owner=@li']);
  });
});

describe('tokenize through the engine', () => {
  it('answers an unclosed quote in an option with what is wrong and writes nothing', async () => {
    const h = harness();
    try {
      await h.run('/account add Acme Logistics');
      const before = h.snapshot();
      const out = await h.run('/touch Acme visit to:"Li Wei walked the warehouse');
      expect(out.ok).toBe(false);
      expect(out.text).toContain('A value starts with " but the closing quote is missing.');
      expect(h.snapshot()).toBe(before);
    } finally {
      h.close();
    }
  });
});
