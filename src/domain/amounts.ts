// Money and spans as people type them: `1.2m`, `350k`, `120万`, `1,200,000`; `21d`, `3w`, `4h`.

const AMOUNT = /^(\d+(?:\.\d+)?)(k|m|b|千|万|亿)?$/i;
const MULTIPLIER: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, 千: 1e3, 万: 1e4, 亿: 1e8 };

/**
 * An amount and the currency symbol typed before it, if any. The symbol is not
 * stored, so callers compare it across the amounts of one command instead.
 */
export function parseMoney(input: string): { amount: number; currency?: string } | undefined {
  const s = input.normalize('NFKC').replace(/[,_\s]/g, '');
  const currency = /^[$¥€£]/u.exec(s)?.[0];
  const m = AMOUNT.exec(currency ? s.slice(currency.length) : s);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] ? MULTIPLIER[m[2].toLowerCase()]! : 1);
  return Number.isFinite(n) && n <= 1e15 ? { amount: n, currency } : undefined;
}

export function parseAmount(input: string): number | undefined {
  return parseMoney(input)?.amount;
}

const SPAN = /^(\d{1,4})\s*(h|d|w|m|小时|天|日|周|个月|月)?$/i;
const HOURS: Record<string, number> = { h: 1, 小时: 1, d: 24, 天: 24, 日: 24, w: 168, 周: 168, m: 720, 个月: 720, 月: 720 };

/** A span in hours; a bare number means `unit`. */
export function parseSpanHours(input: string, unit: 'h' | 'd'): number | undefined {
  const m = SPAN.exec(input.normalize('NFKC').trim());
  if (!m) return undefined;
  const n = Number(m[1]) * HOURS[(m[2] ?? unit).toLowerCase()]!;
  return n > 0 ? n : undefined;
}

/** A span in whole days (`21d`, `3w`, `21`), at least one day. */
export function parseDays(input: string): number | undefined {
  const h = parseSpanHours(input, 'd');
  return h !== undefined && h % 24 === 0 ? h / 24 : undefined;
}
