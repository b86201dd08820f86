// Text as Slack sends it, read back as what the person wrote. Slack writes `&`,
// `<` and `>` as `&amp;` `&lt;` `&gt;` in message text and in slash commands
// (whose manifest entries set should_escape), and wraps links, channels, people
// and special mentions in `<…>`: `<https://x.example|the form>`, `<#C1|ops>`,
// `<@U1>`, `<!here>`, `<!subteam^S1|@leads>`, `<!date^1700000000^{date}|Nov 14>`.

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>' };
const decode = (s: string): string => s.replace(/&(amp|lt|gt);/g, (_, e: string) => ENTITIES[e]!);

// One pass over both, so an entity a sequence's label decodes to is never decoded twice.
const MARKUP = /<([^<>]*)>|&(amp|lt|gt);/g;

/**
 * Command text as Slack sends it, as the engine reads it: entities decoded and
 * links as `label (url)`; people, channels and special mentions stay as Slack
 * wrote them (`<@U1|bob>`, `<#C1|ops>`, `<!here>`), for the engine to resolve
 * or to keep as words.
 */
export const commandText = (text: string): string => read(text);

/** A message as a person reads it: people by `name(id)`, `#channel`, `@here`, a user group or date by its label. */
export function messageText(text: string, name: (id: string, label: string | undefined) => string): string {
  return read(text, (target, label) => {
    if (target.startsWith('@')) return `@${name(target.slice(1), label)}`;
    if (target.startsWith('#')) return `#${label || target.slice(1)}`;
    return label || `@${target.slice(1).split('^')[0]}`;
  });
}

/** `text` with its entities and links read; a reference to a person, channel or special mention becomes what `ref` makes of it, or stays. */
function read(text: string, ref?: (target: string, label: string | undefined) => string): string {
  return text.replace(MARKUP, (whole, inner: string | undefined, entity: string | undefined) => {
    if (entity) return ENTITIES[entity]!;
    const bar = inner!.indexOf('|');
    const target = bar < 0 ? inner! : inner!.slice(0, bar);
    const label = bar < 0 ? undefined : decode(inner!.slice(bar + 1));
    if (/^[@#!]/.test(target)) return ref ? ref(target, label) : whole;
    if (target === '') return whole;
    const url = decode(target);
    const bare = url.replace(/^mailto:/i, '');
    return !label || label === url || label === bare ? bare : `${label} (${url})`;
  });
}

const MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;

/** The people `text` mentions, by their Slack ids. */
export const mentionedIds = (text: string): string[] => [...new Set(Array.from(text.matchAll(MENTION), (m) => m[1]!))];
