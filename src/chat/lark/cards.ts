// Reply -> Lark card (JSON 2.0). Pure: no I/O, no clock; the same Reply always
// gives the same card. Content over one of Lark's limits is cut with a visible
// "…and N more" (or "…"), never sent for Lark to refuse.
//
// User text in card markdown. Lark's markdown understands HTML-like tags
// (`<at id=all></at>` pings everyone, `<font>`, `<link>`) and the usual
// markdown marks. In user text `&`, `<`, `>` become `&amp;` `&lt;` `&gt;`, so no
// tag survives; `*` `~` and backticks become look-alikes (∗ ∼ ˋ), `_` too
// unless it sits inside a word (acct_123 stays), and `[` `]` become ［ ］ so
// no link can be formed. A line starting with `#`, `>` or `-` would become a
// heading, quote or list item; a zero-width space in front defuses it. Only a
// MentionRef with a real Lark open_id (`ou_…`) becomes `<at id=…></at>`.
//
// Buttons carry the command they stand for in their callback value; a click
// comes back as `card.action.trigger` and runs that text through the engine.
import { COMPLAINT_CATEGORIES, SEVERITIES, TOUCH_KINDS, type Locale } from '../../../db/schema.js';
import { catalog, type Catalog } from '../../../prompts/index.js';
import { clean, renderText, richText } from '../../engine/render-text.js';
import { TONE_COLOUR } from '../../engine/render-chart.js';
import type { About, Button, ChannelRef, Chart, MentionRef, Reply, Rich, Section } from '../../engine/reply.js';
import type { FormCommand } from '../../engine/forms.js';

// Lark's limits (open.feishu.cn, "卡片 JSON 2.0 结构" and "发送消息" im/v1/message/create).
/** Bytes of the request body that carries a card (im/v1/messages: 30 KB for cards), where the card is a JSON string inside JSON. */
export const CARD_MAX_BYTES = 30 * 1024;
/** Components in one card, nested ones included. */
export const CARD_MAX_ELEMENTS = 200;
/** A text input's `max_length` ceiling. */
export const INPUT_MAX_LENGTH = 1000;
// Steward's own bounds, for readability rather than because Lark refuses more.
/** Characters of one markdown component before it is cut. */
export const MARKDOWN_MAX = 4000;
/** Characters of the header title. */
export const TITLE_MAX = 120;
/** Characters of a button label. */
export const BUTTON_TEXT_MAX = 40;
/** Options in a form's account picker; a larger book gets a text field instead. */
export const PICKER_MAX_OPTIONS = 100;
/** Room kept for the header, buttons and end marker when sections are fitted. */
const RESERVE_BYTES = 4 * 1024;

export const TONE_TEMPLATE: Record<Reply['tone'], string> = { success: 'green', info: 'blue', warning: 'orange', error: 'red' };

export interface LarkCard {
  schema: '2.0';
  config: { update_multi: true; summary: { content: string } };
  header?: { title: { tag: 'plain_text'; content: string }; template: string };
  body: { elements: CardElement[] };
}
export type CardElement = Record<string, unknown> & { tag: string };

/**
 * What a card button or form sends back in `action.value`. `shared`: the button is on a card everyone in the
 * chat sees; `about`: the record that card shows, redrawn in place after a click. An `ask` form carries the
 * shared card it was asked from (`redraw`: its message id), to redraw that card once answered.
 */
export type ActionValue = { cmd: string; shared?: true; about?: About } | { form: FormCommand } | { ask: string; redraw?: string; about?: About };

/** The `about` of a callback value, when it is one Steward wrote. */
export function aboutOf(v: unknown): About | undefined {
  const n = (v as { complaint?: unknown } | null | undefined)?.complaint;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? { complaint: n } : undefined;
}

export interface RenderedCard {
  card: LarkCard;
  /** The plain-text rendering: the chat-list preview, and what is sent if a card is refused. */
  text: string;
  /** What was cut to fit, for the log. */
  warnings: string[];
}

const OPEN_ID = /^ou_[A-Za-z0-9_-]+$/;
const WORD = /[A-Za-z0-9]/;
const ZWSP = '\u200b';

/**
 * The plain-text fallback for a Lark text message, which still reads tags
 * (`<at user_id="all"></at>` pings everyone, `<a href>`) and `[label](url)`
 * links: a zero-width space after `<` and between `]` and `(` keeps every
 * character visible but no tag or link forms.
 */
export function escapeText(s: string): string {
  return s.replace(/<(?=[/!A-Za-z])/g, `<${ZWSP}`).replace(/\]\(/g, `]${ZWSP}(`);
}

/** User text for Lark card markdown: no tag, link, mark or line prefix survives. */
export function escapeMarkdown(s: string): string {
  const chars = [...clean(s)];
  const out = chars.map((ch, i) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '*':
        return '∗';
      case '~':
        return '∼';
      case '`':
        return 'ˋ';
      case '[':
        return '［';
      case ']':
        return '］';
      case '_':
        return WORD.test(chars[i - 1] ?? '') && WORD.test(chars[i + 1] ?? '') ? '_' : 'ˍ';
      default:
        return ch;
    }
  });
  return out.join('').replace(/(^|\n)([#\-+]|\d+\.)/g, `$1${ZWSP}$2`);
}

function mention(m: MentionRef): string {
  return OPEN_ID.test(m.platformUserId) ? `<at id=${m.platformUserId}></at>` : `@${escapeMarkdown(m.name)}`;
}

/** A chat by its name, which LarkPort looks up before rendering; one it could not name stays its id. */
function channel(c: ChannelRef): string {
  return c.name ? `**#${escapeMarkdown(c.name)}**` : `\`#${clean(c.channel).replace(/`/g, 'ˋ')}\``;
}

/** Rich text as Lark markdown. */
export function richMarkdown(r: Rich): string {
  if (typeof r === 'string') return escapeMarkdown(r);
  return r
    .map((p) =>
      typeof p === 'string'
        ? escapeMarkdown(p)
        : 'mention' in p
          ? mention(p.mention)
          : 'strong' in p
            ? `**${escapeMarkdown(p.strong)}**`
            : 'channel' in p
              ? channel(p)
              : `\`${clean(p.code).replace(/`/g, 'ˋ')}\``,
    )
    .join('');
}

const plainText = (content: string) => ({ tag: 'plain_text' as const, content });
const cut = (s: string, max: number): string => {
  const g = [...s];
  return g.length <= max ? s : `${g.slice(0, max - 1).join('')}…`;
};
const markdown = (content: string): CardElement => ({ tag: 'markdown', content });
/**
 * What `v` costs in the request body: the card travels as a JSON string inside
 * the body's JSON, so every quote, backslash and newline is escaped twice.
 */
const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(JSON.stringify(v))) - 2;

/** Cuts a markdown text to MARKDOWN_MAX characters at a line end where it can. */
function fitText(md: string, warnings: string[], label: string): string {
  if ([...md].length <= MARKDOWN_MAX) return md;
  warnings.push(`${label}: text cut to ${MARKDOWN_MAX} characters`);
  const head = [...md].slice(0, MARKDOWN_MAX - 1).join('');
  // Never end inside an entity or a mention tag.
  return `${head.replace(/&[a-z]*$|<[^>]*$/, '')}…`;
}

interface Budget {
  bytes: number;
  elements: number;
}

/** Lines of a list or usage section, fitted to the budget with "…and N more" for the rest. */
function linesElement(
  heading: string | undefined,
  lines: string[],
  more: number,
  budget: Budget,
  andMore: (n: number) => string,
  warnings: string[],
  label: string,
): CardElement | undefined {
  const head = heading ? `**${escapeMarkdown(heading)}**\n` : '';
  const build = (k: number) => {
    const rest = lines.length - k + more;
    return head + [...lines.slice(0, k), ...(rest > 0 ? [escapeMarkdown(andMore(rest))] : [])].join('\n');
  };
  const fits = (md: string) => md.length <= MARKDOWN_MAX && bytes(md) <= budget.bytes;
  // The most lines that fit, by bisection: a 5 000-item list costs a dozen builds, not thousands.
  let kept = lines.length;
  if (!fits(build(kept))) {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(build(mid))) lo = mid;
      else hi = mid - 1;
    }
    kept = lo;
  }
  const md = build(kept);
  if (kept < lines.length) warnings.push(`${label}: ${lines.length - kept} of ${lines.length} lines left out`);
  if (bytes(md) > budget.bytes) return undefined;
  return markdown(md);
}

/**
 * A chart as card JSON 2.0's chart component, whose `chart_spec` is a VChart spec: bars stacked
 * (accounts by band) or side by side (complaints opened and resolved), each series in its tone's
 * colour, the heading as the chart's title. Lark draws it, words and all, in the reader's client.
 */
export function chartElement(c: Chart): CardElement {
  const values = c.x.flatMap((x, i) => c.series.map((s) => ({ x, series: clean(s.label), value: s.values[i] ?? 0 })));
  return {
    tag: 'chart',
    aspect_ratio: '16:9',
    chart_spec: {
      type: 'bar',
      title: { text: clean(c.heading) },
      data: [{ id: 'values', values }],
      xField: c.kind === 'stacked' ? 'x' : ['x', 'series'],
      yField: 'value',
      seriesField: 'series',
      stack: c.kind === 'stacked',
      color: { type: 'ordinal', domain: c.series.map((s) => clean(s.label)), range: c.series.map((s) => TONE_COLOUR[s.tone]) },
      legends: { visible: true, orient: 'bottom' },
      label: { visible: true },
    },
  };
}

function sectionElement(s: Section, budget: Budget, andMore: (n: number) => string, warnings: string[], label: string): CardElement | undefined {
  switch (s.type) {
    case 'text':
      return markdown(fitText(richMarkdown(s.text), warnings, label));
    case 'chart':
      return chartElement(s.chart);
    case 'fields':
      return linesElement(
        undefined,
        s.fields.map((f) => `**${escapeMarkdown(f.label)}**  ${richMarkdown(f.value)}`),
        0,
        budget,
        andMore,
        warnings,
        label,
      );
    case 'list': {
      if (s.items.length === 0) {
        const md = [s.heading && `**${escapeMarkdown(s.heading)}**`, s.empty && escapeMarkdown(s.empty)].filter(Boolean).join('\n');
        return md ? markdown(md) : undefined;
      }
      return linesElement(
        s.heading,
        s.items.map((i) => `• ${richMarkdown(i).replace(/\n/g, '\n   ')}`),
        s.more ?? 0,
        budget,
        andMore,
        warnings,
        label,
      );
    }
    case 'usage':
      return linesElement(
        s.heading,
        s.lines.map((l) => `\`${clean(l).replace(/`/g, 'ˋ')}\``),
        0,
        budget,
        andMore,
        warnings,
        label,
      );
  }
}

export function buttonElement(b: Pick<Button, 'label' | 'style'>, value: ActionValue, extra: Record<string, unknown> = {}): CardElement {
  return {
    tag: 'button',
    text: plainText(cut(clean(b.label), BUTTON_TEXT_MAX)),
    type: b.style === 'danger' ? 'danger' : b.style === 'primary' ? 'primary' : 'default',
    behaviors: [{ type: 'callback', value }],
    ...extra,
  };
}

/** Buttons side by side, wrapping on narrow screens; on a card everyone in a chat sees (`shared`), they say so when clicked. */
function buttonRow(buttons: Button[], shared: boolean, about: About | undefined): CardElement {
  return {
    tag: 'column_set',
    flex_mode: 'flow',
    horizontal_spacing: 'small',
    columns: buttons.map((b) => ({
      tag: 'column',
      width: 'auto',
      elements: [buttonElement(b, shared ? { cmd: b.command, shared: true, ...(about ? { about } : {}) } : { cmd: b.command })],
    })),
  };
}

/** A title naming someone: a header shows plain text only, so it leads the body, where the mention is real. */
const mentionsSomeone = (r: Rich | undefined): boolean => Array.isArray(r) && r.some((p) => typeof p === 'object' && 'mention' in p && OPEN_ID.test(p.mention.platformUserId));

function shell(reply: Pick<Reply, 'tone' | 'title'>, summary: string, elements: CardElement[]): LarkCard {
  const config = { update_multi: true as const, summary: { content: cut(summary.split('\n')[0] ?? '', 100) } };
  if (mentionsSomeone(reply.title)) return { schema: '2.0', config, body: { elements: [markdown(`**${fitText(richMarkdown(reply.title!), [], 'title')}**`), ...elements] } };
  const title = reply.title === undefined ? undefined : cut(richText(reply.title).replace(/\s+/g, ' ').trim(), TITLE_MAX);
  return {
    schema: '2.0',
    config,
    ...(title ? { header: { title: plainText(title), template: TONE_TEMPLATE[reply.tone] } } : {}),
    body: { elements },
  };
}

const countElements = (els: CardElement[]): number =>
  els.reduce(
    (n, e) =>
      n +
      1 +
      (Array.isArray(e.columns) ? countElements((e.columns as { elements: CardElement[] }[]).flatMap((c) => [{ tag: 'column' }, ...c.elements])) : 0) +
      (Array.isArray(e.elements) ? countElements(e.elements as CardElement[]) : 0),
    0,
  );

/** A section with nothing to show: no component at all (Lark refuses an empty markdown). */
function blank(s: Section): boolean {
  const empty = (r: Rich | undefined) => r === undefined || richText(r).trim() === '';
  switch (s.type) {
    case 'text':
      return empty(s.text);
    case 'chart':
      return s.chart.x.length === 0 || s.chart.series.length === 0;
    case 'fields':
      return s.fields.length === 0;
    case 'list':
      return s.items.length === 0 && empty(s.heading) && empty(s.empty) && !s.more;
    case 'usage':
      return s.lines.length === 0 && empty(s.heading);
  }
}

export interface CardOptions {
  /** The reader's locale, for the "…and N more" marker (default: en). */
  locale?: Locale;
}

export function renderCard(reply: Reply, opts: CardOptions = {}): RenderedCard {
  const t = catalog(opts.locale ?? 'en');
  const andMore = t.common.andMore;
  const warnings: string[] = [];
  const text = renderText(reply, andMore);
  const actions = reply.buttons.length ? [buttonRow(reply.buttons, reply.visibility === 'public', reply.about)] : [];
  const budget: Budget = { bytes: CARD_MAX_BYTES - RESERVE_BYTES - bytes(actions), elements: CARD_MAX_ELEMENTS - countElements(actions) - 1 };
  const elements: CardElement[] = [];
  let dropped = 0;
  reply.sections.forEach((s, i) => {
    if (blank(s)) return;
    const label = `section ${i + 1} (${s.type})`;
    const el = dropped ? undefined : sectionElement(s, budget, andMore, warnings, label);
    if (!el || budget.elements < 1 || bytes(el) > budget.bytes) {
      dropped++;
      return;
    }
    elements.push(el);
    budget.bytes -= bytes(el) + 1;
    budget.elements -= 1;
  });
  if (dropped) {
    warnings.push(`${dropped} of ${reply.sections.length} sections left out`);
    elements.push(markdown(escapeMarkdown(andMore(dropped))));
  }
  return { card: shell(reply, text, [...elements, ...actions]), text, warnings };
}

// ---------------------------------------------------------------------------
// Card forms: /touch and /complaint with nothing after them, and the text a
// button's command still needs (Resolve asks what was done).

const option = (value: string, label: string) => ({ text: plainText(cut(label, 60)), value });

/** The account picker (a menu when the book is small, else a box to type in), with `chosen` already chosen. */
function accountField(t: Catalog, accounts: readonly string[], chosen?: string): CardElement {
  if (accounts.length > 0 && accounts.length <= PICKER_MAX_OPTIONS && (!chosen || accounts.includes(chosen))) {
    return {
      tag: 'select_static',
      name: 'account',
      required: true,
      placeholder: plainText(t.lark.pickAccount),
      options: accounts.map((a) => option(a, a)),
      ...(chosen ? { initial_option: chosen } : {}),
    };
  }
  return { tag: 'input', name: 'account', required: true, max_length: 200, placeholder: plainText(t.lark.typeAccount), ...(chosen ? { default_value: chosen } : {}) };
}

const labelled = (label: string, field: CardElement): CardElement[] => [markdown(`**${escapeMarkdown(label)}**`), field];

const noteField = (placeholder: string): CardElement => ({
  tag: 'input',
  name: 'note',
  input_type: 'multiline_text',
  rows: 3,
  max_length: INPUT_MAX_LENGTH,
  placeholder: plainText(cut(placeholder, 100)),
});

/** A card form whose submission becomes the same command text a rep would type; `account` comes already chosen. */
export function formCard(kind: FormCommand, locale: Locale, accounts: readonly string[], account?: string): LarkCard {
  const t = catalog(locale);
  const fields: CardElement[] =
    kind === 'touch'
      ? [
          ...labelled(t.forms.account, accountField(t, accounts, account)),
          ...labelled(t.forms.kind, { tag: 'select_static', name: 'kind', initial_option: 'visit', options: TOUCH_KINDS.map((k) => option(k, t.enums.touchKind[k])) }),
          ...labelled(t.forms.date, { tag: 'date_picker', name: 'date', placeholder: plainText(t.lark.today) }),
          ...labelled(t.forms.contact, { tag: 'input', name: 'contact', max_length: 200 }),
          ...labelled(t.forms.note, noteField(t.forms.note)),
        ]
      : [
          ...labelled(t.forms.account, accountField(t, accounts, account)),
          ...labelled(t.forms.severity, { tag: 'select_static', name: 'severity', initial_option: 'medium', options: SEVERITIES.map((k) => option(k, t.enums.severity[k])) }),
          ...labelled(t.forms.category, {
            tag: 'select_static',
            name: 'category',
            initial_option: 'other',
            options: COMPLAINT_CATEGORIES.map((k) => option(k, t.enums.category[k])),
          }),
          ...labelled(t.forms.summary, noteField(t.forms.summary)),
        ];
  const submit = buttonElement({ label: t.forms.save, style: 'primary' }, { form: kind }, { name: 'submit', form_action_type: 'submit' });
  const title = kind === 'touch' ? t.forms.touchTitle : t.forms.complaintTitle;
  return shell({ tone: 'info', title }, title, [{ tag: 'form', name: `steward_${kind}`, elements: [...fields, submit] }]);
}

/** Asks for the text `command` still needs, then runs `command <text>`; `redraw`: the shared card to redraw after (its message id, and what it shows). */
export function askCard(command: string, what: string, locale: Locale, redraw?: { messageId: string; about: About }): LarkCard {
  const t = catalog(locale);
  const value: ActionValue = redraw ? { ask: command, redraw: redraw.messageId, about: redraw.about } : { ask: command };
  const submit = buttonElement({ label: t.forms.save, style: 'primary' }, value, { name: 'submit', form_action_type: 'submit' });
  return shell({ tone: 'info', title: command.split(' ')[0] }, what, [
    markdown(`\`${clean(command).replace(/`/g, 'ˋ')}\``),
    { tag: 'form', name: 'steward_ask', elements: [...labelled(what, noteField(what)), submit] },
  ]);
}
