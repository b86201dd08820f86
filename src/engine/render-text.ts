// Reply -> plain text, for the shell and as the fallback text of every chat message.
import type { Inline, Reply, Rich, Section } from './reply.js';

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

function section(s: Section, andMore: (n: number) => string): string[] {
  switch (s.type) {
    case 'text':
      return [richText(s.text)];
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
