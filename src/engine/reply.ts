// The platform-neutral answer a handler returns. It is data; one renderer per
// platform turns it into Block Kit, a Lark card or plain text. Strings here are
// plain user-visible text, never markup: renderers escape them.
import type { Locale } from '../../db/schema.js';

/** A member named in a reply, so a platform can render a real mention. */
export interface MentionRef {
  platformUserId: string;
  name: string;
}

/**
 * A chat channel (a Slack channel id, a Lark chat id), so a platform can show it as it shows channels (Slack
 * `<#C123>`, Lark the chat's name) rather than as a raw id; `name`, when known, for those that cannot.
 */
export interface ChannelRef {
  channel: string;
  name?: string;
}

export type Inline = string | { mention: MentionRef } | { strong: string } | { code: string } | ChannelRef;
/** Text that may carry mentions, emphasis or code (a command, an id). */
export type Rich = string | Inline[];

/** A chart series' colour, the same on every platform that draws it. */
export type ChartTone = 'good' | 'warn' | 'bad' | 'accent';

/** One series of a chart: its name and a value for each point of the x axis. */
export interface ChartSeries {
  label: string;
  tone: ChartTone;
  values: number[];
}

/**
 * Numbers over time, drawn where a platform can (a Lark chart, a picture on Slack) and written as a
 * table or a sparkline where it cannot. `stacked`: bars whose parts add up (accounts by band); `grouped`:
 * bars side by side (complaints opened and resolved). The x labels are numbers and dates only, so a
 * picture drawn without a CJK font still reads.
 */
export interface Chart {
  heading: string;
  kind: 'stacked' | 'grouped';
  x: string[];
  series: ChartSeries[];
}

export type Section =
  | { type: 'text'; text: Rich }
  | { type: 'chart'; chart: Chart }
  | { type: 'fields'; fields: { label: string; value: Rich }[] }
  | { type: 'list'; heading?: string; items: Rich[]; empty?: string; more?: number }
  | { type: 'usage'; heading: string; lines: string[] };

export interface Button {
  label: string;
  /** Command text the button runs, through the same engine and checks as typing it. */
  command: string;
  style?: 'primary' | 'danger';
}

/**
 * What a message shows, when it is a record's card that stays where it is read
 * (a complaint's card in the escalation channel): a platform that can redraw a
 * message redraws it with the record's new state after someone acts on it.
 */
export type About = { complaint: number };

export interface Reply {
  tone: 'success' | 'info' | 'warning' | 'error';
  title?: Rich;
  sections: Section[];
  buttons: Button[];
  /** `ephemeral`: only the actor sees it (confirmations, errors); `public`: the whole channel. */
  visibility: 'ephemeral' | 'public';
  /**
   * The language it is written in, so a renderer words what it adds itself
   * ("…and N more" where content is cut) in the same one. The engine sets it on
   * every command's reply and notice, the outbox on everything it delivers;
   * unset, a renderer uses its own default.
   */
  locale?: Locale;
  about?: About;
}

/** `r` marked as written in `locale`, unless it already says which language it is in. */
export function inLocale(r: Reply, locale: Locale): Reply {
  return r.locale ? r : { ...r, locale };
}

export function reply(tone: Reply['tone'], title: Rich | undefined, ...sections: Section[]): Reply {
  return { tone, title, sections, buttons: [], visibility: 'ephemeral' };
}

export const text = (t: Rich): Section => ({ type: 'text', text: t });
export const chart = (c: Chart): Section => ({ type: 'chart', chart: c });
export const fields = (f: { label: string; value: Rich }[]): Section => ({ type: 'fields', fields: f });
export const list = (items: Rich[], opts: { heading?: string; empty?: string; more?: number } = {}): Section => ({
  type: 'list',
  items,
  ...opts,
});

/** Flattens rich text to plain text (mentions as @name, channels as #name). */
export function plain(r: Rich): string {
  if (typeof r === 'string') return r;
  return r
    .map((p) => (typeof p === 'string' ? p : 'mention' in p ? `@${p.mention.name}` : 'strong' in p ? p.strong : 'channel' in p ? `#${p.name ?? p.channel}` : p.code))
    .join('');
}

/**
 * A catalog sentence with `inline` where it puts its argument: `words` is called with a marker, so each
 * language keeps its own word order (`Steward cannot post in #x` / `Steward 无法在 #x 发消息`).
 */
export function around(words: (slot: string) => string, inline: Inline): Rich {
  const MARK = '\u0000';
  const parts = words(MARK).split(MARK);
  return parts.flatMap((p, i) => (i === 0 ? [p] : [inline, p])).filter((p) => p !== '');
}
