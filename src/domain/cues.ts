// Notes that speak: a touchpoint or complaint note that names a warning sign
// ("their new GM wants to cut prices", "竞品报价低了一成") gets a one-tap
// suggestion to record it as a churn signal. Nothing is recorded here: the
// suggestion is a button running the real `/signal`, so the rep's tap is the yes
// (src/views/cues.ts draws it).
import { and, eq, gte, inArray } from 'drizzle-orm';
import { churnSignals, type SignalKind } from '../../db/schema.js';
import type { DomainCtx } from './context.js';
import { DAY_MS } from './dates.js';
import type { Account } from './types.js';

/**
 * What a key-account manager writes when a warning sign shows, by signal kind.
 * English cues match at the start of a word, case aside, and may run on into a
 * longer word (`competitor` matches "competitors", `cut price` "cut prices");
 * a space also matches a hyphen. Chinese cues match anywhere.
 */
// biome-ignore format: the cues are data, kept several to a line and grouped by meaning.
export const SIGNAL_CUES: Record<SignalKind, { en: string[]; zh: string[] }> = {
  'decision-maker-change': {
    en: [
      'new gm', 'new general manager', 'new ceo', 'new coo', 'new cfo', 'new md', 'new managing director', 'new president', 'new boss',
      'new owner', 'new vp', 'new purchasing director', 'new purchasing manager', 'new procurement director', 'new procurement manager',
      'new head of procurement', 'new head of purchasing', 'new head of logistics', 'new logistics director', 'new supply chain director',
      'new buyer', 'new decision maker', 'stepped down', 'taking over as', 'took over as',
    ],
    zh: [
      '新来的总', '新来的采购', '新来的老板', '新来的负责人', '新来的经理', '新任总', '新任采购', '新任老板', '新任负责人', '新任经理', '新上任', '新老板', '新的总经理', '新总经理', '新采购总监',
      '换了总经理', '换了老板', '换了采购', '总经理换了', '采购总监换了', '老板换了', '采购换人', '换负责人', '高层变动', '管理层变动', '人事变动',
    ],
  },
  'price-pressure': {
    en: [
      'price cut', 'cut price', 'cut our price', 'cut the price', 'cut rate', 'cut our rate', 'cut the rate', 'lower price', 'lower our price',
      'lower the price', 'lower rate', 'lower our rate', 'reduce price', 'reduce our price', 'reduce the price', 'reduce rate', 'reduce our rate',
      'price reduction', 'rate reduction', 'price down', 'prices down', 'rates down', 'discount', 'cheaper', 'too expensive', 'price pressure',
      'renegotiate',
    ],
    zh: [
      '要求降价', '要求打折', '要求让价', '降价', '压价', '砍价', '让价', '打折', '折扣', '降费', '降点', '价格太高', '价格偏高', '价格高了', '太贵', '运价下调', '价格下调',
      '下调价格', '下调运价', '降低运价', '降低价格', '更便宜',
    ],
  },
  competitor: {
    en: [
      'competitor', 'competing offer', 'competing quote', 'competing bid', 'rival', 'other supplier', 'another supplier', 'second supplier',
      'alternative supplier', 'new supplier', 'switch supplier', 'switching supplier', 'change supplier', 'changing supplier', 'replace us',
      'consolidate supplier', 'consolidating supplier', 'supplier consolidation', 'fewer supplier', 'reduce supplier', 'tender', 'rfq', 'rfp',
      'bidding', 'dual sourcing', 'dual source', 'second source',
    ],
    zh: [
      '竞品', '竞争对手', '对手', '友商', '别家', '其他供应商', '别的供应商', '第二供应商', '第二家供应商', '新供应商', '换供应商', '更换供应商',
      '换掉我们', '引入供应商', '供应商整合', '整合供应商', '减少供应商', '精简供应商', '招标', '投标', '比价', '挖人', '挖角',
    ],
  },
  'volume-drop': {
    en: [
      'volume drop', 'volumes drop', 'volume down', 'volumes down', 'volume is down', 'volumes are down', 'volume fell', 'volumes fell',
      'volume decline', 'volumes decline', 'lower volume', 'less volume', 'reduced volume', 'reduce volume', 'cut volume', 'cut their volume',
      'fewer order', 'fewer shipment', 'fewer load', 'orders down', 'orders are down', 'smaller order', 'order drop', 'orders drop',
      'moving volume', 'moved volume', 'shifting volume', 'shifted volume',
    ],
    zh: [
      '货量下降', '货量减少', '货量下滑', '货量少了', '单量下降', '单量减少', '单量下滑', '单量少了', '业务量下降', '业务量减少', '业务量下滑',
      '订单减少', '订单下降', '订单下滑', '订单少了', '减量', '砍量', '量转走', '货转走',
    ],
  },
  'payment-delay': {
    en: [
      'late payment', 'paying late', 'pay late', 'paid late', 'payment delay', 'payment is late', 'payments are late', 'delayed payment',
      'payment delayed', 'overdue invoice', 'overdue payment', 'invoices overdue', 'invoice overdue', 'unpaid invoice', "hasn't paid",
      "haven't paid", 'not paid', 'still owe', 'owes us', 'arrears', 'longer payment terms', 'extend payment terms', 'extended payment terms',
    ],
    zh: [
      '回款延迟', '回款慢', '回款晚', '回款推迟', '回款拖', '付款延迟', '付款推迟', '付款慢', '延迟付款', '推迟付款', '拖欠', '欠款', '逾期',
      '账期延长', '延长账期', '压款', '拖款', '未付款', '还没付款', '还没回款',
    ],
  },
  'strategy-change': {
    en: [
      'strategy change', 'new strategy', 'change of strategy', 'changing strategy', 'changed strategy', 'strategic shift', 'in house',
      'insourcing', 'own fleet', 'own warehouse', 'build their own', 'building their own', 'set up their own', 'setting up their own',
      'merger', 'merging', 'acquired', 'acquisition', 'restructuring', 'reorganisation', 'reorganization', 'relocating', 'moving production',
      'new product line', 'closing the plant', 'closing their plant',
    ],
    zh: [
      '战略调整', '战略变化', '战略转型', '调整战略', '转型', '自建', '自营', '自己做物流', '并购', '收购', '兼并', '公司合并', '被合并', '重组', '搬迁', '新产品线',
      '业务调整', '架构调整', '关厂', '上游整合', '整合上游',
    ],
  },
};

/**
 * A negation among the two words just before an English cue, in the same clause,
 * suppresses it ("no competitor", "didn't ask for a price cut"); little words
 * such as "a" and "for" are not counted.
 */
const EN_NEGATIONS = new Set(['no', 'not', 'never', 'without', 'nor', 'none', 'neither', 'cannot']);
const EN_FILLERS = new Set(['a', 'an', 'the', 'any', 'for', 'of', 'to', 'about', 'from', 'by', 'sign', 'signs']);
const EN_WINDOW = 2;
/** A negation right before a Chinese cue suppresses it ("没有降价", "没看到竞品"). */
const ZH_NEGATIONS = ['没有', '没', '未', '无', '不', '不会', '不用', '不需要', '不打算', '并非', '不是', '没听说', '没看到', '没发现', '未发现', '未见', '暂无', '无需'];

/** No suggestion for a kind already recorded on the account this recently. */
export const RECENT_SIGNAL_DAYS = 30;
/** At most this many suggestions under one note. */
export const MAX_SUGGESTIONS = 3;

const CLAUSE_BREAK = /[,，;；:：。！？!?、\n()（）]/u;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * Each English cue's pattern, with the words of the cue: a note holds a match
 * only if its lower case (long s read as s) holds every one of them, so a note
 * without them skips the pattern (most notes name no cue, and running some 150
 * patterns over every note was most of what a /touch spent outside SQLite).
 * Under `iu` only the letters a-z and 0-9 of a cue's words match themselves,
 * their capitals, the Kelvin sign (k, which lower-cases to k) and the long s (s).
 */
const EN_PATTERNS: [SignalKind, RegExp, string[]][] = Object.entries(SIGNAL_CUES).flatMap(([kind, { en }]) =>
  en.map((cue): [SignalKind, RegExp, string[]] => [
    kind as SignalKind,
    new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(cue).replaceAll("'", "['’]").replaceAll(' ', '[\\s-]+')}`, 'giu'),
    cue.split(/[^a-z0-9]+/).filter((w) => w !== ''),
  ]),
);
/** Every Chinese cue is written in characters outside ASCII: a note of ASCII alone holds none. */
const NON_ASCII = /[^\x00-\x7f]/;

interface Match {
  kind: SignalKind;
  start: number;
  end: number;
  zh: boolean;
}

function clauseBefore(note: string, at: number): string {
  let i = at;
  while (i > 0 && !CLAUSE_BREAK.test(note[i - 1]!)) i--;
  return note.slice(i, at);
}

function negated(note: string, m: Match): boolean {
  const before = clauseBefore(note, m.start);
  if (m.zh) return ZH_NEGATIONS.some((n) => before.trimEnd().endsWith(n));
  const words = before
    .toLowerCase()
    .replaceAll('’', "'")
    .split(/[^\p{L}']+/u)
    .filter((w) => w && !EN_FILLERS.has(w))
    .slice(-EN_WINDOW);
  return words.some((w) => EN_NEGATIONS.has(w) || w.endsWith("n't"));
}

/** The sentence of `note` holding position `at`, as written. */
function sentenceAt(note: string, at: number): string {
  const ends = /[。！？!?\n]|[.;](?=\s|$)|；/gu;
  let from = 0;
  for (const e of note.matchAll(ends)) {
    const stop = e.index + e[0].length;
    if (stop > at) return note.slice(from, stop).trim();
    from = stop;
  }
  return note.slice(from).trim();
}

/**
 * The warning signs `note` names, one per kind, in the order they first appear,
 * each with the sentence that names it. Where cues overlap the longest wins, so
 * "没有要求降价" is one negated cue, not a negated one and a bare "降价".
 */
export function signalCues(note: string): { kind: SignalKind; sentence: string }[] {
  const all: Match[] = [];
  const folded = note.toLowerCase().replaceAll('ſ', 's');
  for (const [kind, re, words] of EN_PATTERNS) {
    if (!words.every((w) => folded.includes(w))) continue;
    for (const m of note.matchAll(re)) all.push({ kind, start: m.index, end: m.index + m[0].length, zh: false });
  }
  if (NON_ASCII.test(note)) {
    for (const [kind, { zh }] of Object.entries(SIGNAL_CUES) as [SignalKind, { zh: string[] }][]) {
      for (const cue of zh) for (let i = note.indexOf(cue); i >= 0; i = note.indexOf(cue, i + 1)) all.push({ kind, start: i, end: i + cue.length, zh: true });
    }
  }
  all.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: { kind: SignalKind; sentence: string }[] = [];
  let reach = -1;
  for (const m of all) {
    if (m.end <= reach) continue; // inside a longer cue already taken
    reach = m.end;
    if (negated(note, m) || out.some((o) => o.kind === m.kind)) continue;
    out.push({ kind: m.kind, sentence: sentenceAt(note, m.start) });
  }
  return out;
}

/**
 * The warning signs a note on `account` names that are worth suggesting: those of a kind not recorded
 * on the account in the last 30 days, at most three. Empty when the note names none.
 */
export async function freshSignalCues(ctx: DomainCtx, account: Account, note: string): Promise<{ kind: SignalKind; sentence: string }[]> {
  const cues = signalCues(note);
  if (cues.length === 0) return [];
  const since = new Date(ctx.now.getTime() - RECENT_SIGNAL_DAYS * DAY_MS);
  const recent = new Set(
    (
      await ctx.db
        .select({ kind: churnSignals.kind })
        .from(churnSignals)
        .where(
          and(
            eq(churnSignals.accountId, account.id),
            inArray(
              churnSignals.kind,
              cues.map((c) => c.kind),
            ),
            gte(churnSignals.occurredAt, since),
          ),
        )
        .all()
    ).map((r) => r.kind),
  );
  return cues.filter((c) => !recent.has(c.kind)).slice(0, MAX_SUGGESTIONS);
}
