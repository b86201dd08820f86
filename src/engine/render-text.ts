// Reply -> plain text, for the shell and as the fallback text of every chat message.
import type { Chart, Inline, Reply, Rich, Section } from './reply.js';

const MARK: Record<Reply['tone'], string> = { success: '✔', info: '•', warning: '!', error: '✘' };

// Terminal control characters in user text could move the cursor or recolour the
// screen; tabs and line breaks are the only ones kept.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function clean(s: string): string {
  return s.replace(CONTROL, '');
}

function inline(p: Inline): string {
  if (typeof p === 'string') return clean(p);
  if ('mention' in p) return `@${clean(p.mention.name)}`;
  if ('strong' in p) return clean(p.strong);
  if ('channel' in p) return `#${clean(p.name ?? p.channel)}`;
  return clean(p.code);
}

export function richText(r: Rich): string {
  return typeof r === 'string' ? clean(r) : r.map(inline).join('');
}

const BARS = '▁▂▃▄▅▆▇█';

/** Columns a string takes in a terminal: a CJK character takes two. */
export function columns(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef]/u.test(ch) ? 2 : 1;
  return n;
}
export const pad = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - columns(s)));

/** One character per value, on a scale from 0 to `max` shared by the chart's series, so their heights compare. */
export function sparkline(values: number[], max: number): string {
  return values.map((v) => BARS[max > 0 ? Math.round((Math.max(0, v) / max) * (BARS.length - 1)) : 0]).join('');
}

/** The largest value a chart's scale must reach: a stacked bar's total, or a single value. */
export function scaleMax(c: Chart): number {
  if (c.kind === 'stacked') return Math.max(0, ...c.x.map((_, i) => c.series.reduce((n, s) => n + (s.values[i] ?? 0), 0)));
  return Math.max(0, ...c.series.flatMap((s) => s.values));
}

/**
 * The chart as plain text: its heading with the span of its x axis, then a sparkline per series
 * with its values ("  healthy  ▃▄▅▅▆▇██  3 4 5 5 6 7 8 8").
 */
export function chartSparklines(c: Chart): string[] {
  const width = Math.max(0, ...c.series.map((s) => columns(clean(s.label))));
  // A stacked chart's parts share the scale of one part, not of the whole bar: each series' own shape shows.
  const max = Math.max(0, ...c.series.flatMap((s) => s.values));
  const span = c.x.length ? ` (${c.x[0]} – ${c.x[c.x.length - 1]})` : '';
  return [`${clean(c.heading)}${span}`, ...c.series.map((s) => `  ${pad(clean(s.label), width)}  ${sparkline(s.values, max)}  ${s.values.join(' ')}`)];
}

function section(s: Section, andMore: (n: number) => string): string[] {
  switch (s.type) {
    case 'text':
      return [richText(s.text)];
    case 'chart':
      return chartSparklines(s.chart);
    case 'fields': {
      const width = Math.max(...s.fields.map((f) => f.label.length));
      return s.fields.map((f) => `  ${clean(f.label).padEnd(width)}  ${richText(f.value)}`);
    }
    case 'list': {
      const lines = s.heading ? [clean(s.heading)] : [];
      if (s.items.length === 0 && s.empty) lines.push(`  ${clean(s.empty)}`);
      for (const item of s.items) lines.push(`  • ${richText(item).replace(/\n/g, '\n    ')}`);
      if (s.more && s.more > 0) lines.push(`  ${andMore(s.more)}`);
      return lines;
    }
    case 'usage':
      // A Chinese heading takes a full-width colon (用法：).
      return [`${clean(s.heading)}${/\p{Script=Han}$/u.test(s.heading) ? '：' : ':'}`, ...s.lines.map((l) => `  ${clean(l)}`)];
  }
}

/** The reply in one line, without its tone mark: the title, or the first line when there is none (a toast, a form field's error). */
export function headline(r: Reply): string {
  return (r.title !== undefined ? richText(r.title) : renderText(r)).split('\n')[0]!;
}

/** Renders a reply as lines of plain text; `andMore` words the "…and N more" line. */
export function renderText(r: Reply, andMore: (n: number) => string = (n) => `…+${n}`): string {
  const out: string[] = [];
  if (r.title !== undefined) out.push(`${MARK[r.tone]} ${richText(r.title)}`);
  for (const s of r.sections) out.push(...section(s, andMore));
  if (r.buttons.length) out.push(r.buttons.map((b) => `[${clean(b.label)}: ${clean(b.command)}]`).join('  '));
  return out.join('\n');
}
