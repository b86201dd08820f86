// The Slack renderer, Reply -> Block Kit: exact payloads for each kind of
// section, escaping of what users type, and every limit cut visibly with a
// warning rather than refused by Slack.
import type { ActionsBlock, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { catalog } from '../prompts/index.js';
import {
  ACTION_ID_MAX,
  ACTIONS_ELEMENTS_MAX,
  BLOCKS_TEXT_BUDGET,
  BUTTON_TEXT_MAX,
  BUTTON_VALUE_MAX,
  FIELD_TEXT_MAX,
  HEADER_TEXT_MAX,
  MESSAGE_MAX_BLOCKS,
  MESSAGE_TEXT_MAX,
  MIN_BLOCKS,
  MIN_TEXT_BUDGET,
  SECTION_FIELDS_MAX,
  SECTION_TEXT_MAX,
  VIEW_MAX_BLOCKS,
  escapeMrkdwn,
  graphemes,
  renderBlocks,
  renderRich,
  slackLength,
  type RenderedBlocks,
} from '../src/chat/slack/blocks.js';
import type { Button, Reply, Rich, Section } from '../src/engine/reply.js';

const LI = { platformUserId: 'U02LI', name: 'Li Wei' };
const ZWSP = '\u200b';

function make(r: Partial<Reply> & Pick<Reply, 'sections'>): Reply {
  return { tone: 'info', buttons: [], visibility: 'ephemeral', ...r };
}

const section = (b: KnownBlock | undefined): SectionBlock => {
  expect(b?.type).toBe('section');
  return b as SectionBlock;
};
const sectionText = (b: KnownBlock | undefined): string => section(b).text!.text;
const header = (b: KnownBlock | undefined): HeaderBlock => {
  expect(b?.type).toBe('header');
  return b as HeaderBlock;
};

/** Every string Slack will count towards the message's text. */
function texts(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((b): string[] => {
    switch (b.type) {
      case 'header':
        return [b.text.text];
      case 'section':
        return [...(b.text ? [b.text.text] : []), ...(b.fields ?? []).map((f) => f.text)];
      case 'context':
        return b.elements.map((e) => ('text' in e && typeof e.text === 'string' ? e.text : ''));
      case 'actions':
        return b.elements.map((e) => (e.type === 'button' ? e.text.text : ''));
      default:
        throw new Error(`unexpected block ${b.type}`);
    }
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Everything Slack checks, and what Steward promises on top (no stray markup, no split characters). */
function expectWithinLimits(out: RenderedBlocks, maxBlocks = MESSAGE_MAX_BLOCKS, budget = BLOCKS_TEXT_BUDGET): void {
  expect(out.blocks.length).toBeLessThanOrEqual(maxBlocks);
  expect(texts(out.blocks).reduce((n, t) => n + slackLength(t), 0)).toBeLessThanOrEqual(budget);
  expect(slackLength(out.text)).toBeLessThanOrEqual(MESSAGE_TEXT_MAX);
  expect(out.text.trim()).not.toBe('');
  const ids = new Set<string>();
  for (const b of out.blocks) {
    if (b.type === 'header') expect(slackLength(b.text.text)).toBeLessThanOrEqual(HEADER_TEXT_MAX);
    if (b.type === 'section') {
      if (b.text) expect(slackLength(b.text.text)).toBeLessThanOrEqual(SECTION_TEXT_MAX);
      if (b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(SECTION_FIELDS_MAX);
        for (const f of b.fields) expect(slackLength(f.text)).toBeLessThanOrEqual(FIELD_TEXT_MAX);
      }
      expect(b.text ?? b.fields).toBeDefined();
    }
    if (b.type === 'actions') {
      expect(b.elements.length).toBeLessThanOrEqual(ACTIONS_ELEMENTS_MAX);
      for (const e of b.elements) {
        if (e.type !== 'button') throw new Error('only buttons');
        expect(slackLength(e.text.text)).toBeLessThanOrEqual(BUTTON_TEXT_MAX);
        expect(slackLength(e.value!)).toBeLessThanOrEqual(BUTTON_VALUE_MAX);
        expect(slackLength(e.action_id!)).toBeLessThanOrEqual(ACTION_ID_MAX);
        expect(ids.has(e.action_id!)).toBe(false);
        ids.add(e.action_id!);
      }
    }
  }
  for (const t of [...texts(out.blocks), out.text]) {
    expect(t.replace(/[\s\u200b]/g, '')).not.toBe('');
    expect(t).not.toMatch(LONE_SURROGATE);
  }
  // In mrkdwn, `<` opens only a real user mention and `&` only an entity.
  for (const b of out.blocks) {
    if (b.type !== 'section') continue;
    for (const t of [...(b.text ? [b.text] : []), ...(b.fields ?? [])]) {
      expect(t.type).toBe('mrkdwn');
      expect(t.text.replace(/<@[UW][A-Z0-9]+>/g, '')).not.toMatch(/[<>]/);
      expect(t.text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
  }
}

describe('Slack limits as named constants', () => {
  it('match the Block Kit reference and chat.postMessage', () => {
    expect({
      MESSAGE_MAX_BLOCKS,
      VIEW_MAX_BLOCKS,
      SECTION_TEXT_MAX,
      SECTION_FIELDS_MAX,
      FIELD_TEXT_MAX,
      HEADER_TEXT_MAX,
      ACTIONS_ELEMENTS_MAX,
      BUTTON_TEXT_MAX,
      BUTTON_VALUE_MAX,
      ACTION_ID_MAX,
      MESSAGE_TEXT_MAX,
      BLOCKS_TEXT_BUDGET,
    }).toEqual({
      MESSAGE_MAX_BLOCKS: 50,
      VIEW_MAX_BLOCKS: 100,
      SECTION_TEXT_MAX: 3000,
      SECTION_FIELDS_MAX: 10,
      FIELD_TEXT_MAX: 2000,
      HEADER_TEXT_MAX: 150,
      ACTIONS_ELEMENTS_MAX: 25,
      BUTTON_TEXT_MAX: 75,
      BUTTON_VALUE_MAX: 2000,
      ACTION_ID_MAX: 255,
      MESSAGE_TEXT_MAX: 40_000,
      BLOCKS_TEXT_BUDGET: 9000,
    });
  });

  it('count UTF-16 code units: a Chinese character is 1, 👍 is 2, a family emoji is 8', () => {
    expect(slackLength('客户投诉')).toBe(4);
    expect(slackLength('👍')).toBe(2);
    expect(slackLength('👨‍👩‍👧')).toBe(8);
    expect(slackLength('&')).toBe(1);
    expect(slackLength(escapeMrkdwn('&'))).toBe(5);
  });
});

describe('exact output for each kind of section', () => {
  it('a complaint card: header, text, fields with a mention, buttons', () => {
    const r: Reply = {
      tone: 'warning',
      title: 'C-12 · Acme Logistics',
      sections: [
        { type: 'text', text: 'Cargo damaged in transit, bounced between regions.' },
        {
          type: 'fields',
          fields: [
            { label: 'Account', value: 'Acme Logistics (strategic)' },
            { label: 'Severity', value: 'high' },
            { label: 'Owner', value: [{ mention: LI }] },
            { label: 'Deadline', value: 'Tue 24 Nov 18:00 — OVERDUE' },
          ],
        },
      ],
      buttons: [
        { label: 'Resolve', command: '/resolve C-12', style: 'primary' },
        { label: 'Take ownership', command: '/complaint assign C-12 me' },
      ],
      visibility: 'public',
    };
    const expected = [
      { type: 'header', text: { type: 'plain_text', text: '⚠️ C-12 · Acme Logistics' } },
      { type: 'section', text: { type: 'mrkdwn', text: 'Cargo damaged in transit, bounced between regions.', verbatim: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Account*\nAcme Logistics (strategic)', verbatim: true },
          { type: 'mrkdwn', text: '*Severity*\nhigh', verbatim: true },
          { type: 'mrkdwn', text: '*Owner*\n<@U02LI>', verbatim: true },
          { type: 'mrkdwn', text: '*Deadline*\nTue 24 Nov 18:00 — OVERDUE', verbatim: true },
        ],
      },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Resolve' }, action_id: 'steward:cmd:0', value: '/resolve C-12', style: 'primary' },
          { type: 'button', text: { type: 'plain_text', text: 'Take ownership' }, action_id: 'steward:cmd:1', value: '/complaint assign C-12 me' },
        ],
      },
    ] satisfies KnownBlock[];
    expect(renderBlocks(r)).toEqual({
      blocks: expected,
      text: [
        '! C-12 · Acme Logistics',
        'Cargo damaged in transit, bounced between regions.',
        '  Account   Acme Logistics (strategic)',
        '  Severity  high',
        '  Owner     @Li Wei',
        '  Deadline  Tue 24 Nov 18:00 — OVERDUE',
        '[Resolve: /resolve C-12]  [Take ownership: /complaint assign C-12 me]',
      ].join('\n'),
      warnings: [],
    });
  });

  it('a title that mentions someone is a bold section, since a header cannot mention', () => {
    const out = renderBlocks(make({ tone: 'success', title: ['C-12 assigned to ', { mention: LI }], sections: [] }));
    expect(out).toEqual({
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '✅ *C-12 assigned to <@U02LI>*', verbatim: true } }],
      text: '✔ C-12 assigned to @Li Wei',
      warnings: [],
    });
  });

  it('a title with a mention is kept as short as a header', () => {
    const out = renderBlocks(make({ title: [{ mention: LI }, ` ${words(300, 'took ownership of C-12 ')}`], sections: [] }));
    const text = sectionText(out.blocks[0]);
    expect(text.startsWith('ℹ️ *<@U02LI> took ownership of C-12')).toBe(true);
    expect(text.endsWith('*…')).toBe(true);
    expect(slackLength(text)).toBeLessThanOrEqual(HEADER_TEXT_MAX);
    expect(out.warnings).toEqual([`title: cut to ${text.length} characters`]);
  });

  it('each tone has its emoji', () => {
    const heads = (['success', 'info', 'warning', 'error'] as const).map((tone) => header(renderBlocks(make({ tone, title: 'T', sections: [] })).blocks[0]).text.text);
    expect(heads).toEqual(['✅ T', 'ℹ️ T', '⚠️ T', '❌ T']);
  });

  it('a list: bold heading, bullets, multi-line items indented, the handler\'s own "…and N more"', () => {
    const out = renderBlocks(
      make({
        title: 'Overdue revisits',
        sections: [
          { type: 'list', heading: 'Strategic', items: ['Acme Logistics — 12 days', ['Beta Freight — ', { strong: 'no owner' }], 'Gamma\nnote on a second line'], more: 3 },
        ],
      }),
    );
    expect(out.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'ℹ️ Overdue revisits' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Strategic*\n• Acme Logistics — 12 days\n• Beta Freight — *no owner*\n• Gamma\n    note on a second line\n…and 3 more',
          verbatim: true,
        },
      },
    ] satisfies KnownBlock[]);
    expect(out.warnings).toEqual([]);
  });

  it('an empty list shows its empty line; a list with nothing at all shows nothing', () => {
    const out = renderBlocks(
      make({
        sections: [
          { type: 'list', heading: 'Promises due', items: [], empty: 'Nothing due.' },
          { type: 'list', items: [] },
        ],
      }),
    );
    expect(out.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*Promises due*\nNothing due.', verbatim: true } }] satisfies KnownBlock[]);
    expect(out.warnings).toEqual([]);
  });

  it('an error with usage: the items, then the usage as a code block, then a hint', () => {
    const out = renderBlocks(
      make({
        tone: 'error',
        title: 'Which account?',
        sections: [
          { type: 'list', items: ['Acme Logistics', 'Acme Freight'] },
          { type: 'usage', heading: 'Usage', lines: ['/touch <account> [kind] [note]', '/touch <account> on:<date>'] },
          { type: 'text', text: 'More: /steward help touch' },
        ],
      }),
    );
    expect(out.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '❌ Which account?' } },
      { type: 'section', text: { type: 'mrkdwn', text: '• Acme Logistics\n• Acme Freight', verbatim: true } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Usage*\n```/touch &lt;account&gt; [kind] [note]\n/touch &lt;account&gt; on:&lt;date&gt;```', verbatim: true } },
      { type: 'section', text: { type: 'mrkdwn', text: 'More: /steward help touch', verbatim: true } },
    ] satisfies KnownBlock[]);
    expect(out.text).toBe(
      [
        '✘ Which account?',
        '  • Acme Logistics',
        '  • Acme Freight',
        'Usage:',
        '  /touch &lt;account&gt; [kind] [note]',
        '  /touch &lt;account&gt; on:&lt;date&gt;',
        'More: /steward help touch',
      ].join('\n'),
    );
  });

  it('inline emphasis and code; a marker touching a letter (Chinese too) gets a zero-width space outside it', () => {
    const out = renderBlocks(
      make({
        sections: [
          { type: 'text', text: ['Logged for ', { strong: 'Acme' }, ': ', { code: 'T-7' }, '.'] },
          { type: 'text', text: ['已记录', { strong: 'Acme' }, '的拜访'] },
          { type: 'text', text: ['Acme', { strong: ' Logistics ' }, 'Ltd'] },
        ],
      }),
    );
    expect(out.blocks.map(sectionText)).toEqual([
      'Logged for *Acme*: `T-7`.',
      `已记录${ZWSP}*Acme*${ZWSP}的拜访`,
      // Spaces at the edge of a run go outside the markers, where Slack wants them.
      'Acme *Logistics* Ltd',
    ]);
  });

  it('a channel is a channel link Slack names itself, in a title too; a channel known only by a typed name stays text, escaped', () => {
    const out = renderBlocks(
      make({
        tone: 'warning',
        title: ['Steward cannot post in ', { channel: 'C0ESC42' }],
        sections: [
          { type: 'text', text: ['Set to ', { channel: 'key-accounts' }, '.'] },
          { type: 'fields', fields: [{ label: 'Escalation channel', value: [{ channel: 'G0PRIV1' }] }] },
          { type: 'text', text: [{ channel: '<!channel>' }] },
        ],
      }),
    );
    expect(out.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'section']);
    expect(sectionText(out.blocks[0])).toBe('⚠️ *Steward cannot post in <#C0ESC42>*');
    expect(sectionText(out.blocks[1])).toBe('Set to #key-accounts.');
    expect(JSON.stringify(out.blocks[2])).toContain('<#G0PRIV1>');
    expect(sectionText(out.blocks[3])).not.toContain('<!channel>');
  });

  it('a reply without title, sections or buttons still has fallback text', () => {
    expect(renderBlocks(make({ tone: 'success', sections: [] }))).toEqual({ blocks: [], text: '✅', warnings: [] });
  });

  it("renders in the reader's language through andMore, and does not touch its input", () => {
    const r = make({ sections: [{ type: 'list', items: ['甲'], more: 3 }] });
    const before = structuredClone(r);
    const zh = renderBlocks(r, { andMore: catalog('zh-CN').common.andMore });
    expect(sectionText(zh.blocks[0])).toBe('• 甲\n……另有3条');
    expect(r).toEqual(before);
    expect(renderBlocks(r)).toEqual(renderBlocks(r));
  });

  it('types: the blocks are @slack/types KnownBlock[]', () => {
    const out = renderBlocks(make({ sections: [] }));
    expectTypeOf(out.blocks).toEqualTypeOf<KnownBlock[]>();
    expectTypeOf(out.text).toEqualTypeOf<string>();
    expectTypeOf(out.warnings).toEqualTypeOf<string[]>();
  });
});

describe('escaping what users type', () => {
  const attack = '<!channel> <!here> <@U123> <#C999> <https://evil.example|Click me> & 5 > 3 < 4';

  it('broadcasts, mentions and links in a note ping nobody and link nothing', () => {
    const out = renderBlocks(make({ title: 'Touchpoint logged', sections: [{ type: 'text', text: attack }] }));
    expect(sectionText(out.blocks[1])).toBe('&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;#C999&gt; &lt;https://evil.example|Click me&gt; &amp; 5 &gt; 3 &lt; 4');
    expect(out.text).toBe(`• Touchpoint logged\n${escapeMrkdwn(attack)}`);
    expectWithinLimits(out);
  });

  it("everywhere user text goes: fields, list items and headings, usage, a mention's name", () => {
    const out = renderBlocks(
      make({
        title: ['Owner: ', { mention: LI }],
        sections: [
          { type: 'fields', fields: [{ label: '<!here>', value: ['<@U1>', { strong: '<!channel>' }, { code: '<!everyone>' }] }] },
          { type: 'list', heading: '<!channel>', items: ['<@U999|boss>'] },
          { type: 'usage', heading: 'Usage', lines: ['<!channel>'] },
          { type: 'text', text: [{ mention: { platformUserId: '!channel', name: '<!channel>' } }] },
        ],
      }),
    );
    expect(out.blocks.slice(1).map((b) => (section(b).text ?? section(b).fields![0]!).text)).toEqual([
      '*&lt;!here&gt;*\n&lt;@U1&gt;*&lt;!channel&gt;*`&lt;!everyone&gt;`',
      '*&lt;!channel&gt;*\n• &lt;@U999|boss&gt;',
      '*Usage*\n```&lt;!channel&gt;```',
      // A mention whose id is not a Slack user id is only its (escaped) name.
      '@&lt;!channel&gt;',
    ]);
    expectWithinLimits(out);
  });

  it('a header and a button are plain text, which Slack never parses', () => {
    const out = renderBlocks(make({ title: '<!channel> & co', sections: [], buttons: [{ label: '<!here>', command: '/account show "<!channel>"' }] }));
    expect(header(out.blocks[0]).text).toEqual({ type: 'plain_text', text: 'ℹ️ <!channel> & co' });
    const button = (out.blocks[1] as ActionsBlock).elements[0];
    expect(button).toEqual({ type: 'button', text: { type: 'plain_text', text: '<!here>' }, action_id: 'steward:cmd:0', value: '/account show "<!channel>"' });
    expect(out.text).toBe('• &lt;!channel&gt; &amp; co\n[&lt;!here&gt;: /account show "&lt;!channel&gt;"]');
  });

  it("formatting characters in user text cannot format or break Steward's own emphasis", () => {
    const out = renderBlocks(
      make({
        sections: [
          { type: 'text', text: '*urgent* _call back_ ~maybe~ `rm -rf` ＊wide＊ ＿wide＿ ｀wide｀' },
          { type: 'text', text: ['Account ', { strong: 'A*B_C* corp*' }, ' noted'] },
          { type: 'text', text: ['Run ', { code: 'a`b*c_d~e' }] },
        ],
      }),
    );
    expect(out.blocks.map(sectionText)).toEqual([
      '∗urgent∗ ˍcall backˍ ∼maybe∼ ˋrm -rfˋ ﹡wide﹡ ⸏wide⸏ ˋwideˋ',
      // Between two letters Slack never formats: `A*B_C` stays as typed, the `*` that could close the bold does not.
      'Account *A*B_C∗ corp∗* noted',
      'Run `aˋb*c_d~e`',
    ]);
  });

  it('identifiers, emoji codes and arithmetic stay as typed', () => {
    const out = renderBlocks(make({ sections: [{ type: 'text', text: 'acct_123 snake_case :white_check_mark: 2*3 x~y' }] }));
    expect(sectionText(out.blocks[0])).toBe('acct_123 snake_case :white_check_mark: 2*3 x~y');
  });

  it('terminal and bidi control characters are dropped, line breaks kept', () => {
    const out = renderBlocks(make({ sections: [{ type: 'text', text: 'a\u0007b\u202ec\r\nd' }] }));
    expect(sectionText(out.blocks[0])).toBe('abc\nd');
  });
});

const words = (n: number, word = 'pallet '): string => word.repeat(Math.ceil(n / word.length)).slice(0, n);

describe('limits: cut visibly, with a warning', () => {
  it('a 10 000-character note fills sections up to the text budget and ends with "…"', () => {
    const note = words(10_000, 'Pallets damaged at the dock. ');
    const out = renderBlocks(make({ title: 'Note', sections: [{ type: 'text', text: note }] }));
    expectWithinLimits(out);
    const parts = out.blocks.slice(1).map(sectionText);
    expect(parts.length).toBe(3);
    for (const p of parts) expect(slackLength(p)).toBeLessThanOrEqual(SECTION_TEXT_MAX);
    expect(parts.at(-1)!.endsWith('…')).toBe(true);
    // Blocks break between words, and together they are the start of the note.
    const shown = parts.join(' ').slice(0, -1);
    expect(note.startsWith(shown)).toBe(true);
    expect(out.warnings).toEqual([`section 1 (text): cut to ${parts.join('').length} of 10000 characters`]);
    // The fallback text carries the whole note.
    expect(out.text).toBe(`• Note\n${note}`);
  });

  it('60 short list items fit one section, uncut', () => {
    const items = Array.from({ length: 60 }, (_, i) => `Account ${i + 1}`);
    const out = renderBlocks(make({ sections: [{ type: 'list', items }] }));
    expect(out.blocks.length).toBe(1);
    expect(sectionText(out.blocks[0])).toBe(items.map((i) => `• ${i}`).join('\n'));
    expect(out.warnings).toEqual([]);
  });

  it('60 long list items: split across sections, then "…and N more" when the text budget is spent', () => {
    const items = Array.from({ length: 60 }, (_, i) => `${i + 1} ${words(290)}`);
    const out = renderBlocks(make({ title: 'Digest', sections: [{ type: 'list', heading: 'Accounts', items, more: 4 }] }));
    expectWithinLimits(out);
    const body = out.blocks.slice(1).map(sectionText);
    expect(body.length).toBeGreaterThan(1);
    const shown = body.join('\n').match(/^• /gm)!.length;
    expect(shown).toBeLessThan(60);
    // The handler's own 4 left out are added to the ones cut here.
    expect(body.at(-1)!.endsWith(`\n…and ${60 - shown + 4} more`)).toBe(true);
    expect(body[0]!.startsWith('*Accounts*\n• 1 pallet')).toBe(true);
    expect(out.warnings).toEqual([`section 1 (list): ${60 - shown} of 60 items not shown`]);
  });

  it('a list that would need more than 50 blocks stops at 50 with "…and N more"', () => {
    const items = Array.from({ length: 200 }, (_, i) => `${i + 1} ${words(1000)}`);
    const out = renderBlocks(make({ title: 'All', sections: [{ type: 'list', items }] }), { textBudget: 1_000_000 });
    expectWithinLimits(out, MESSAGE_MAX_BLOCKS, 1_000_000);
    expect(out.blocks.length).toBe(MESSAGE_MAX_BLOCKS);
    const body = out.blocks.slice(1).map(sectionText);
    const shown = body.join('\n').match(/^• /gm)!.length;
    expect(body.at(-1)!.endsWith(`…and ${200 - shown} more`)).toBe(true);
    expect(out.warnings).toEqual([`section 1 (list): ${200 - shown} of 200 items not shown`, 'fallback text cut to 40000 characters']);
  });

  it('App Home and modals may pass their own block limit', () => {
    const items = Array.from({ length: 200 }, (_, i) => `${i + 1} ${words(1000)}`);
    const out = renderBlocks(make({ sections: [{ type: 'list', items }] }), { textBudget: 1_000_000, maxBlocks: VIEW_MAX_BLOCKS });
    expect(out.blocks.length).toBe(VIEW_MAX_BLOCKS);
  });

  it('one list item longer than a section is cut with "…"', () => {
    const out = renderBlocks(make({ sections: [{ type: 'list', items: [words(5000), 'short'] }] }));
    expectWithinLimits(out);
    const [first, second] = out.blocks.map(sectionText);
    expect(first!.endsWith('…')).toBe(true);
    expect(second).toBe('• short');
    expect(out.warnings).toEqual([`section 1 (list): item 1 cut to ${first!.length} characters`]);
  });

  it('12 fields become two sections of 10 and 2, nothing lost', () => {
    const fields = Array.from({ length: 12 }, (_, i) => ({ label: `F${i + 1}`, value: `v${i + 1}` }));
    const out = renderBlocks(make({ sections: [{ type: 'fields', fields }] }));
    expect(out.blocks).toEqual([
      { type: 'section', fields: fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: `*${f.label}*\n${f.value}`, verbatim: true })) },
      { type: 'section', fields: fields.slice(10).map((f) => ({ type: 'mrkdwn', text: `*${f.label}*\n${f.value}`, verbatim: true })) },
    ] satisfies KnownBlock[]);
    expect(out.warnings).toEqual([]);
  });

  it('fields beyond the blocks left end in an "…and N more" field', () => {
    const fields = Array.from({ length: 25 }, (_, i) => ({ label: `F${i + 1}`, value: `v${i + 1}` }));
    const out = renderBlocks(make({ title: 'Fields', sections: [{ type: 'fields', fields }] }), { maxBlocks: 3 });
    expectWithinLimits(out, 3);
    const [, a, b] = out.blocks.map((x) => (x.type === 'section' ? x.fields!.map((f) => f.text) : []));
    expect(a).toHaveLength(10);
    expect(b).toEqual([...fields.slice(10, 19).map((f) => `*${f.label}*\n${f.value}`), '…and 6 more']);
    expect(out.warnings).toEqual(['section 1 (fields): 6 of 25 fields not shown']);
  });

  it('a field over 2000 characters is cut with "…"', () => {
    const out = renderBlocks(make({ sections: [{ type: 'fields', fields: [{ label: 'Note', value: words(2500) }] }] }));
    const f = section(out.blocks[0]).fields![0]!.text;
    // Within a few characters of the limit: a bold run is budgeted 4 (markers and room for zero-width spaces).
    expect(slackLength(f)).toBeLessThanOrEqual(FIELD_TEXT_MAX);
    expect(slackLength(f)).toBeGreaterThan(FIELD_TEXT_MAX - 5);
    expect(f.startsWith('*Note*\npallet')).toBe(true);
    expect(f.endsWith('…')).toBe(true);
    expect(out.warnings).toEqual([`section 1 (fields): field "Note" cut to ${f.length} characters`]);
  });

  it('30 buttons: 25 in the actions block, each with its own action_id, then "…and 5 more"', () => {
    const buttons: Button[] = Array.from({ length: 30 }, (_, i) => ({ label: `Show ${i + 1}`, command: `/account show A-${i + 1}` }));
    const out = renderBlocks(make({ sections: [], buttons }));
    expectWithinLimits(out);
    const [actions, more] = out.blocks as [ActionsBlock, ContextBlock];
    expect(actions.elements).toEqual(
      buttons.slice(0, 25).map((b, i) => ({ type: 'button', text: { type: 'plain_text', text: b.label }, action_id: `steward:cmd:${i}`, value: b.command })),
    );
    expect(more).toEqual({ type: 'context', elements: [{ type: 'plain_text', text: '…and 5 more' }] });
    expect(out.warnings).toEqual(['buttons: 5 of 30 not shown (25 per actions block)']);
  });

  it('a long button label is cut; a command too long for a button value leaves the button out rather than run something else', () => {
    const out = renderBlocks(
      make({
        sections: [],
        buttons: [
          { label: words(100, 'Take ownership '), command: '/complaint assign C-1 me', style: 'danger' },
          { label: 'Huge', command: `/touch A ${'x'.repeat(BUTTON_VALUE_MAX)}` },
          { label: 'Empty', command: '  ' },
        ],
      }),
    );
    const [button, ...others] = (out.blocks[0] as ActionsBlock).elements;
    expect(others).toEqual([]);
    expect(button).toMatchObject({ action_id: 'steward:cmd:0', value: '/complaint assign C-1 me', style: 'danger' });
    const label = (button as { text: { text: string } }).text.text;
    expect(slackLength(label)).toBeLessThanOrEqual(BUTTON_TEXT_MAX);
    expect(label.endsWith('…')).toBe(true);
    expect(out.warnings).toEqual([
      'button "Huge": command longer than 2000 characters, left out',
      'button "Empty": no command, left out',
      `button "${words(100, 'Take ownership ').trim()}": label cut to 75 characters`,
    ]);
  });

  it('a 200-character title is cut to the 150 of a header', () => {
    const title = words(200, 'Quarterly business review ');
    const out = renderBlocks(make({ title, sections: [] }));
    const text = header(out.blocks[0]).text.text;
    expect(slackLength(text)).toBe(HEADER_TEXT_MAX);
    expect(text.startsWith('ℹ️ Quarterly business review')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(out.warnings).toEqual([`title: ${3 + 200} characters cut to 150 (header limit 150)`]);
  });

  it('a list cut with its own "…and N more" is followed by the names of the sections left out whole, in the reader\'s language', () => {
    const complaints: Section = { type: 'list', heading: 'Open complaints', items: Array.from({ length: 60 }, (_, i) => `C-${i + 1} · ${words(240)}`) };
    const promises: Section = { type: 'list', heading: 'Open promises', items: Array.from({ length: 10 }, (_, i) => `P-${i + 1} · quote`) };
    const tasks: Section = { type: 'list', heading: 'Checklist', items: ['T-1 · meet Li Wei'] };
    const out = renderBlocks(make({ title: 'Your book', sections: [complaints, promises, tasks] }));
    expectWithinLimits(out);
    const texts = out.blocks.slice(1).map((b) => (b.type === 'context' ? (b.elements[0] as { text: string }).text : sectionText(b)));
    expect(texts.at(-2)).toMatch(/…and \d+ more$/);
    expect(texts.at(-1)).toBe('Not shown: Open promises (10), Checklist (1)');
    const zh = renderBlocks(make({ title: '客户', sections: [complaints, promises] }), { andMore: catalog('zh-CN').common.andMore, notShown: catalog('zh-CN').common.notShown });
    expect((zh.blocks.at(-1) as ContextBlock).elements[0]).toEqual({ type: 'plain_text', text: '未显示：Open promises (10)' });
  });

  it('60 sections: 48 shown, the 50th block says how many more, the buttons stay', () => {
    const sections: Section[] = Array.from({ length: 60 }, (_, i) => ({ type: 'text', text: `Line ${i + 1}` }));
    const out = renderBlocks(make({ title: 'Many', sections, buttons: [{ label: 'Digest', command: '/digest' }] }));
    expectWithinLimits(out);
    expect(out.blocks.length).toBe(MESSAGE_MAX_BLOCKS);
    expect(out.blocks.slice(1, 48).map(sectionText)).toEqual(sections.slice(0, 47).map((s) => (s as { text: string }).text));
    expect(out.blocks[48]).toEqual({ type: 'context', elements: [{ type: 'plain_text', text: '…and 13 more' }] });
    expect(out.blocks[49]!.type).toBe('actions');
    expect(out.warnings).toEqual(['sections 48-60 not shown: no room left within 50 blocks and 9000 characters']);
  });

  it('fallback text over 40 000 characters is cut with "…"', () => {
    const items = Array.from({ length: 50 }, () => words(1000));
    const out = renderBlocks(make({ sections: [{ type: 'list', items }] }));
    expect(slackLength(out.text)).toBe(MESSAGE_TEXT_MAX);
    expect(out.text.endsWith('…')).toBe(true);
    expect(out.warnings).toContain('fallback text cut to 40000 characters');
  });
});

describe('Chinese text and emoji', () => {
  it('3000 Chinese characters are exactly one full section; the 3001st starts another, no cut', () => {
    const one = renderBlocks(make({ sections: [{ type: 'text', text: '客'.repeat(3000) }] }));
    expect(one.blocks.map(sectionText)).toEqual(['客'.repeat(3000)]);
    expect(one.warnings).toEqual([]);
    const two = renderBlocks(make({ sections: [{ type: 'text', text: '客'.repeat(3001) }] }));
    expect(two.blocks.map(sectionText)).toEqual(['客'.repeat(3000), '客']);
    expect(two.warnings).toEqual([]);
  });

  it('an emoji costs 2 and is never split: 1501 thumbs-up need two sections', () => {
    const out = renderBlocks(make({ sections: [{ type: 'text', text: '👍'.repeat(1501) }] }));
    expect(out.blocks.map(sectionText)).toEqual(['👍'.repeat(1500), '👍']);
    expectWithinLimits(out);
  });

  it('a family emoji (11 code units, one grapheme) is never split across sections', () => {
    const family = '👨‍👩‍👧‍👦';
    expect(slackLength(family)).toBe(11);
    const out = renderBlocks(make({ sections: [{ type: 'text', text: family.repeat(300) }] }));
    const parts = out.blocks.map(sectionText);
    expect(parts).toEqual([family.repeat(272), family.repeat(28)]);
  });

  it('a header of Chinese or emoji is cut between characters to exactly 150', () => {
    const zh = header(renderBlocks(make({ title: '客户'.repeat(100), sections: [] })).blocks[0]).text.text;
    expect(zh).toBe(`ℹ️ ${'客户'.repeat(73)}…`);
    expect(slackLength(zh)).toBe(150);
    const party = header(renderBlocks(make({ title: '🎉'.repeat(100), sections: [] })).blocks[0]).text.text;
    expect(party).toBe(`ℹ️ ${'🎉'.repeat(73)}…`);
    expect(party).not.toMatch(LONE_SURROGATE);
  });

  it('escapes count at their sent length: 600 "&" are 3000 characters once escaped', () => {
    const out = renderBlocks(make({ sections: [{ type: 'text', text: '&'.repeat(601) }] }));
    expect(out.blocks.map(sectionText)).toEqual(['&amp;'.repeat(600), '&amp;']);
  });
});

describe('grapheme clusters, found fast', () => {
  const seg = new Intl.Segmenter('en', { granularity: 'grapheme' });
  const reference = (s: string): string[] => Array.from(seg.segment(s), (g) => g.segment);

  it('every character on the fast path stands alone between letters and beside itself', () => {
    const ranges: [number, number][] = [
      [0x09, 0x0a],
      [0x20, 0x7e],
      [0xa0, 0x2ff],
      [0x2010, 0x2027],
      [0x2030, 0x205e],
      [0x2100, 0x23ff],
      [0x2e00, 0x2e4f],
      [0x3001, 0x3029],
      [0x3030, 0x303f],
      [0x3041, 0x3096],
      [0x30a0, 0x30ff],
      [0x4e00, 0x9fff],
      [0xfe50, 0xfe6b],
      [0xff01, 0xff5e],
    ];
    const joining: string[] = [];
    for (const [lo, hi] of ranges) {
      for (let cp = lo; cp <= hi; cp++) {
        const c = String.fromCharCode(cp);
        if (reference(`a${c}a${c}${c}`).length !== 5) joining.push(cp.toString(16));
      }
    }
    expect(joining).toEqual([]);
  });

  it('agrees with Intl.Segmenter on combining marks, joiners, flags, jamo, prepended marks and long runs of them', () => {
    const bits = [
      'a',
      'é',
      'e\u0301',
      '\u0301',
      '客',
      '👍',
      '👍🏽',
      '👨‍👩‍👧‍👦',
      '\u200d',
      '🇨🇳',
      '🇺',
      '\ufe0f',
      '1\ufe0f\u20e3',
      '\u1100\u1161\u11a8',
      '\u0600a',
      'क्ष',
      ' ',
      '\n',
      '∗',
      'ˍ',
    ];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...bits), fc.string({ unit: 'grapheme', maxLength: 5 })), { maxLength: 60 }), (parts) => {
        const s = parts.join('');
        expect(graphemes(s)).toEqual(reference(s));
      }),
      { numRuns: 500 },
    );
    for (const long of ['👨‍👩‍👧‍👦'.repeat(400), `${'e\u0301'.repeat(1500)}x`, `a${'\u0301'.repeat(3000)}b`, `${'🇨🇳'.repeat(700)}🇺`]) {
      expect(graphemes(long)).toEqual(reference(long));
    }
  });
});

describe('text that fits is rendered from words', () => {
  it('word atoms render and cost exactly what grapheme atoms do, whatever the text and its styles', () => {
    // Spaces, tabs and line breaks at the edges of bold and code runs, escapes, look-alikes, letters against markers,
    // a space that a combining mark joins, CRLF, emoji sequences, Chinese, and mentions real and not.
    const bits = [
      'a',
      'Acme',
      '客户',
      '3',
      ' ',
      '  ',
      '\t',
      '\n',
      '\r\n',
      ' \u0301',
      'e\u0301',
      '👨‍👩‍👧',
      '🇨🇳',
      '&',
      '<',
      '>',
      '*',
      '_',
      '~',
      '`',
      '｀',
      '＊',
      'x_y',
      '\u202e',
      '\u200b',
      '。',
    ];
    const str = fc.array(fc.oneof(fc.constantFrom(...bits), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 }).map((a) => a.join(''));
    const inline = fc.oneof(
      str,
      str.map((s) => ({ strong: s })),
      str.map((s) => ({ code: s })),
      fc.record({ platformUserId: fc.constantFrom('U02LI', 'W9', 'bob', ''), name: str }).map((m) => ({ mention: m })),
    );
    const rich: fc.Arbitrary<Rich> = fc.oneof(str, fc.array(inline, { maxLength: 8 }));
    fc.assert(
      fc.property(rich, (r) => {
        expect(renderRich(r, 'word')).toEqual(renderRich(r, 'grapheme'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('any reply stays within every limit', () => {
  const piece = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('<!channel>', '<@U1>', '&', '*', '_', '~', '`', '>', '\n', ' ', '客户投诉', '👨‍👩‍👧', '🇨🇳', 'é', '\u202e'),
    fc.integer({ min: 1, max: 4000 }).map((n) => words(n)),
  );
  const str = fc.array(piece, { maxLength: 6 }).map((a) => a.join(''));
  const mention = fc.record({ platformUserId: fc.oneof(fc.constant('U02LI'), fc.string({ maxLength: 8 })), name: str });
  const rich: fc.Arbitrary<Rich> = fc.oneof(
    str,
    fc.array(
      fc.oneof(
        str,
        mention.map((m) => ({ mention: m })),
        str.map((s) => ({ strong: s })),
        str.map((s) => ({ code: s })),
      ),
      { maxLength: 5 },
    ),
  );
  const sectionArb: fc.Arbitrary<Section> = fc.oneof(
    rich.map((text) => ({ type: 'text' as const, text })),
    fc.array(fc.record({ label: str, value: rich }), { maxLength: 30 }).map((f) => ({ type: 'fields' as const, fields: f })),
    fc
      .record({
        heading: fc.option(str, { nil: undefined }),
        items: fc.array(rich, { maxLength: 80 }),
        empty: fc.option(str, { nil: undefined }),
        more: fc.option(fc.nat(100), { nil: undefined }),
      })
      .map((l) => ({ type: 'list' as const, ...l })),
    fc.record({ heading: str, lines: fc.array(str, { maxLength: 10 }) }).map((u) => ({ type: 'usage' as const, ...u })),
  );
  const buttonArb: fc.Arbitrary<Button> = fc.record({ label: str, command: str, style: fc.option(fc.constantFrom('primary' as const, 'danger' as const), { nil: undefined }) });
  const replyArb: fc.Arbitrary<Reply> = fc.record({
    tone: fc.constantFrom('success' as const, 'info' as const, 'warning' as const, 'error' as const),
    title: fc.option(rich, { nil: undefined }),
    sections: fc.array(sectionArb, { maxLength: 70 }),
    buttons: fc.array(buttonArb, { maxLength: 30 }),
    visibility: fc.constantFrom('ephemeral' as const, 'public' as const),
  });

  const limitsArb = fc.oneof(
    fc.constant({ maxBlocks: MESSAGE_MAX_BLOCKS, textBudget: BLOCKS_TEXT_BUDGET }),
    fc.constant({ maxBlocks: VIEW_MAX_BLOCKS, textBudget: BLOCKS_TEXT_BUDGET }),
    fc.record({ maxBlocks: fc.integer({ min: MIN_BLOCKS, max: 120 }), textBudget: fc.integer({ min: MIN_TEXT_BUDGET, max: 40_000 }) }),
  );

  it("blocks, characters, fields, buttons, header, fallback: all within Slack's limits", () => {
    fc.assert(
      fc.property(replyArb, limitsArb, (r, limits) => {
        expectWithinLimits(renderBlocks(r, limits), limits.maxBlocks, limits.textBudget);
      }),
      { numRuns: 250 },
    );
  });
});
