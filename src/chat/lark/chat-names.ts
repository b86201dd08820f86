// Lark shows no chat by its id: a ChannelRef in a reply (an escalation group an
// admin is told about) is named with the chat's name before the card is rendered.
import type { ChannelRef, Inline, Reply, Rich, Section } from '../../engine/reply.js';

/** Chats whose names are kept; a name changed in Lark shows after a restart or once this many others were looked up. */
const MAX_NAMES = 500;
const CHAT_ID = /^oc_[A-Za-z0-9_-]+$/;

const channelsIn = (r: Rich | undefined): ChannelRef[] => (Array.isArray(r) ? r.filter((p): p is ChannelRef => typeof p === 'object' && 'channel' in p) : []);
const richOf = (s: Section): Rich[] => (s.type === 'text' ? [s.text] : s.type === 'fields' ? s.fields.map((f) => f.value) : s.type === 'list' ? s.items : []);

function mapRich(r: Rich, fn: (p: Inline) => Inline): Rich {
  return typeof r === 'string' ? r : r.map(fn);
}

/** Looks chat names up once each (`lookup` gives undefined where it cannot), and keeps them. */
export class ChatNames {
  private readonly names = new Map<string, string>();
  constructor(private readonly lookup: (chatId: string) => Promise<string | undefined>) {}

  /** `reply` with every Lark chat it names given its name; one that cannot be looked up stays as it is. */
  async name(reply: Reply): Promise<Reply> {
    const wanted = new Set<string>();
    for (const r of [reply.title, ...reply.sections.flatMap(richOf)]) for (const c of channelsIn(r)) if (!c.name && CHAT_ID.test(c.channel)) wanted.add(c.channel);
    if (wanted.size === 0) return reply;
    for (const id of wanted) {
      if (this.names.has(id)) continue;
      const name = await this.lookup(id).catch(() => undefined);
      if (!name) continue;
      if (this.names.size >= MAX_NAMES) this.names.delete(this.names.keys().next().value!);
      this.names.set(id, name);
    }
    const named = (p: Inline): Inline => (typeof p === 'object' && 'channel' in p && !p.name && this.names.has(p.channel) ? { ...p, name: this.names.get(p.channel)! } : p);
    const section = (s: Section): Section =>
      s.type === 'text'
        ? { ...s, text: mapRich(s.text, named) }
        : s.type === 'fields'
          ? { ...s, fields: s.fields.map((f) => ({ ...f, value: mapRich(f.value, named) })) }
          : s.type === 'list'
            ? { ...s, items: s.items.map((i) => mapRich(i, named)) }
            : s;
    return { ...reply, title: reply.title === undefined ? undefined : mapRich(reply.title, named), sections: reply.sections.map(section) };
  }
}
