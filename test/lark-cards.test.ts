// The Lark renderer, Reply -> card JSON 2.0: exact output for each kind of
// section, escaping of what users type, and Lark's limits cut visibly rather
// than refused by Lark.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { askCard, CARD_MAX_BYTES, CARD_MAX_ELEMENTS, escapeMarkdown, formCard, MARKDOWN_MAX, PICKER_MAX_OPTIONS, renderCard, type CardElement } from '../src/chat/lark/cards.js';
import type { Reply, Rich } from '../src/engine/reply.js';

const LI = { platformUserId: 'ou_li', name: 'Li Wei' };

function make(r: Partial<Reply> & Pick<Reply, 'sections'>): Reply {
  return { tone: 'info', buttons: [], visibility: 'ephemeral', ...r };
}

const contentOf = (e: CardElement | undefined): string => String(e?.content);

/** Every component in the card, nested ones included. */
function all(els: CardElement[]): CardElement[] {
  return els.flatMap((e) => [
    e,
    ...all((e.elements as CardElement[] | undefined) ?? []),
    ...all(((e.columns as { elements: CardElement[] }[] | undefined) ?? []).flatMap((c) => [{ tag: 'column' } as CardElement, ...c.elements])),
  ]);
}

describe('renderCard', () => {
  it('a chat is shown by its name (looked up by the port), escaped; one it could not name stays its id, as code', () => {
    const out = renderCard(
      make({
        tone: 'warning',
        title: ['Steward cannot post in ', { channel: 'oc_esc', name: '华东*大客户*群' }],
        sections: [{ type: 'text', text: ['Set to ', { channel: 'oc_esc', name: '<at id=all></at>' }, ' / ', { channel: 'oc_gone' }] }],
      }),
    );
    expect(out.card.header?.title.content).toBe('Steward cannot post in #华东*大客户*群');
    expect(contentOf(out.card.body.elements[0])).toBe('Set to **#&lt;at id=all&gt;&lt;/at&gt;** / `#oc_gone`');
    expect(out.text).toBe('! Steward cannot post in #华东*大客户*群\nSet to #<at id=all></at> / #oc_gone');
  });

  it('a public card’s buttons say they are shared and carry what the card shows, so a click can redraw it; a private card’s carry neither', () => {
    const buttons = [{ label: 'Resolve', command: '/resolve C-4', style: 'primary' as const }];
    const values = (r: Reply) =>
      all(renderCard(r).card.body.elements)
        .filter((e) => e.tag === 'button')
        .map((b) => (b.behaviors as { value: unknown }[])[0]!.value);
    expect(values(make({ sections: [], buttons, visibility: 'public', about: { complaint: 4 } }))).toEqual([{ cmd: '/resolve C-4', shared: true, about: { complaint: 4 } }]);
    expect(values(make({ sections: [], buttons, visibility: 'public' }))).toEqual([{ cmd: '/resolve C-4', shared: true }]);
    expect(values(make({ sections: [], buttons, visibility: 'ephemeral', about: { complaint: 4 } }))).toEqual([{ cmd: '/resolve C-4' }]);
  });

  it('renders title, text, fields, list, usage and buttons exactly', () => {
    const out = renderCard(
      make({
        tone: 'success',
        title: ['Logged a visit at ', { strong: 'Acme' }],
        sections: [
          { type: 'text', text: ['Owner ', { mention: LI }, ', id ', { code: 'T-7' }] },
          { type: 'fields', fields: [{ label: 'Tier', value: 'strategic' }] },
          { type: 'list', heading: 'Open', items: ['C-1 damage', 'C-2 late'], more: 3 },
          { type: 'usage', heading: 'Usage', lines: ['/touch <account> <kind>'] },
        ],
        buttons: [{ label: 'Resolve', command: '/resolve C-1', style: 'primary' }],
      }),
    );
    expect(out.card).toEqual({
      schema: '2.0',
      config: { update_multi: true, summary: { content: '✔ Logged a visit at Acme' } },
      header: { title: { tag: 'plain_text', content: 'Logged a visit at Acme' }, template: 'green' },
      body: {
        elements: [
          { tag: 'markdown', content: 'Owner <at id=ou_li></at>, id `T-7`' },
          { tag: 'markdown', content: '**Tier**  strategic' },
          { tag: 'markdown', content: '**Open**\n• C-1 damage\n• C-2 late\n…and 3 more' },
          { tag: 'markdown', content: '**Usage**\n`/touch <account> <kind>`' },
          {
            tag: 'column_set',
            flex_mode: 'flow',
            horizontal_spacing: 'small',
            columns: [
              {
                tag: 'column',
                width: 'auto',
                elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Resolve' }, type: 'primary', behaviors: [{ type: 'callback', value: { cmd: '/resolve C-1' } }] }],
              },
            ],
          },
        ],
      },
    });
    expect(out.text).toContain('Logged a visit at Acme');
    expect(out.warnings).toEqual([]);
  });

  it('words the cut marker in the reader’s language', () => {
    const out = renderCard(make({ sections: [{ type: 'list', items: ['a'], more: 2 }] }), { locale: 'zh-CN' });
    expect(JSON.stringify(out.card)).not.toContain('more');
    expect(contentOf(out.card.body.elements[0])).toMatch(/2/);
  });

  it('pings nobody and links nothing from user text', () => {
    const note = '<at id=all></at> **bold** [x](https://evil.example) `code` <font color=red>hi</font> & ~~gone~~';
    const md = contentOf(renderCard(make({ sections: [{ type: 'text', text: note }] })).card.body.elements[0]);
    expect(md).not.toMatch(/<at|<font|\*\*|\]\(|`|~~/);
    expect(md).toContain('&lt;at id=all&gt;');
    expect(md).toContain('&amp;');
    // A mention that is not a real open_id stays words.
    expect(renderCard(make({ sections: [{ type: 'text', text: [{ mention: { platformUserId: 'all', name: 'all' } }] }] })).card.body.elements[0]).toEqual({
      tag: 'markdown',
      content: '@all',
    });
  });

  it('keeps snake_case and Chinese as typed, and defuses line prefixes', () => {
    expect(escapeMarkdown('acct_123 华东物流 50% 完成')).toBe('acct_123 华东物流 50% 完成');
    expect(escapeMarkdown('# not a heading\n- not a list')).toBe('\u200b# not a heading\n\u200b- not a list');
  });

  it('cuts a long text at MARKDOWN_MAX with an ellipsis and a warning', () => {
    const out = renderCard(make({ sections: [{ type: 'text', text: '拜'.repeat(MARKDOWN_MAX * 2) }] }));
    const content = contentOf(out.card.body.elements[0]);
    expect([...content].length).toBeLessThanOrEqual(MARKDOWN_MAX);
    expect(content.endsWith('…')).toBe(true);
    expect(out.warnings.length).toBe(1);
  });

  it('keeps any reply within Lark’s byte and component limits, saying how much was left out', () => {
    const items: Rich[] = Array.from({ length: 3000 }, (_, i) => `C-${i} ${'货损 cargo damage '.repeat(8)}`);
    const sections = Array.from({ length: 300 }, () => ({ type: 'list' as const, items: items.slice(0, 20) }));
    for (const r of [make({ sections: [{ type: 'list', items }] }), make({ sections })]) {
      const out = renderCard(r);
      expect(Buffer.byteLength(JSON.stringify(out.card))).toBeLessThanOrEqual(CARD_MAX_BYTES);
      expect(all(out.card.body.elements).length).toBeLessThanOrEqual(CARD_MAX_ELEMENTS);
      expect(JSON.stringify(out.card)).toMatch(/…and \d+ more/);
      expect(out.warnings.length).toBeGreaterThan(0);
    }
  });

  it('keeps the request body that carries the card within Lark’s 30 KB, however much its text is escaped on the way', () => {
    // The card goes as a JSON string inside the body's JSON: a quote, backslash or line break is escaped twice.
    const body = (card: unknown) => Buffer.byteLength(JSON.stringify({ receive_id: `oc_${'x'.repeat(32)}`, msg_type: 'interactive', content: JSON.stringify(card) }));
    for (const unit of ['"', '\\', 'a\n', 'he said "ok"\n']) {
      const s = unit.repeat(Math.floor(3900 / unit.length));
      const out = renderCard(make({ title: 'T', sections: Array.from({ length: 6 }, () => ({ type: 'text' as const, text: s })) }));
      expect(body(out.card), JSON.stringify(unit)).toBeLessThanOrEqual(CARD_MAX_BYTES);
      expect(JSON.stringify(out.card)).toMatch(/…and \d+ more/);
    }
  });

  it('never exceeds the limits whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 400 }), { maxLength: 60 }), fc.string({ maxLength: 300 }), (lines, title) => {
        const out = renderCard(
          make({
            title,
            sections: [
              { type: 'list', items: lines },
              { type: 'text', text: lines.join('\n') },
            ],
          }),
        );
        expect(Buffer.byteLength(JSON.stringify(out.card))).toBeLessThanOrEqual(CARD_MAX_BYTES);
        for (const e of all(out.card.body.elements)) if (e.tag === 'markdown') expect(e.content).not.toMatch(/<(?!at id=ou_)[a-z]/i);
        // Nothing is dropped that did not have to be.
        expect(out.warnings).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('card forms', () => {
  const form = (c: ReturnType<typeof formCard>) => c.body.elements[0] as CardElement & { elements: CardElement[] };

  it('the touch form has the account picker, kind, date, contact, note and a submit that names the form', () => {
    const c = formCard('touch', 'zh-CN', ['华东物流', 'Acme']);
    const f = form(c);
    expect(f.tag).toBe('form');
    const named = f.elements.filter((e) => e.name).map((e) => [e.tag, e.name]);
    expect(named).toEqual([
      ['select_static', 'account'],
      ['select_static', 'kind'],
      ['date_picker', 'date'],
      ['input', 'contact'],
      ['input', 'note'],
      ['button', 'submit'],
    ]);
    expect(f.elements.at(-1)).toMatchObject({ form_action_type: 'submit', behaviors: [{ type: 'callback', value: { form: 'touch' } }] });
    expect(c.header?.title.content).toBe('记录触点');
  });

  it('a book too large for a picker gets a text field', () => {
    const many = Array.from({ length: PICKER_MAX_OPTIONS + 1 }, (_, i) => `A${i}`);
    expect(form(formCard('complaint', 'en', many)).elements.find((e) => e.name === 'account')).toMatchObject({ tag: 'input' });
    expect(form(formCard('complaint', 'en', [])).elements.find((e) => e.name === 'account')).toMatchObject({ tag: 'input' });
  });

  it('the ask card carries the command it completes', () => {
    const c = askCard('/resolve C-3', 'What was done?', 'en');
    const f = c.body.elements[1] as CardElement & { elements: CardElement[] };
    expect(f.elements.at(-1)).toMatchObject({ behaviors: [{ type: 'callback', value: { ask: '/resolve C-3' } }] });
  });
});
