// Money and spans as people type them: `1.2m`, `350k`, `120万`, `1,200,000`; `21d`, `3w`, `4h`, `30min`.

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

// `m` is no unit: a month to some, minutes to others (`deadline-critical:1m`). Minutes are `min`.
const SPAN = /^(\d{1,4})\s*(min|h|d|w|分钟|小时|天|日|周|个月|月)?$/i;
const MINUTES: Record<string, number> = { min: 1, 分钟: 1, h: 60, 小时: 60, d: 1440, 天: 1440, 日: 1440, w: 10_080, 周: 10_080, 个月: 43_200, 月: 43_200 };

/** A span in hours (`30min` is 0.5); a bare number means `unit`. */
export function parseSpanHours(input: string, unit: 'h' | 'd'): number | undefined {
  const m = SPAN.exec(input.normalize('NFKC').trim());
  if (!m) return undefined;
  const n = (Number(m[1]) * MINUTES[(m[2] ?? unit).toLowerCase()]!) / 60;
  return n > 0 ? n : undefined;
}

/** A span in whole days (`21d`, `3w`, `21`), at least one day. */
export function parseDays(input: string): number | undefined {
  const h = parseSpanHours(input, 'd');
  return h !== undefined && h % 24 === 0 ? h / 24 : undefined;
}

/** Wallet share: our revenue from them over their total spend in our category; unknown until both are set. */
export function walletShare(a: { annualRevenue: number | null; categorySpend: number | null }): number | undefined {
  return a.annualRevenue != null && a.categorySpend ? a.annualRevenue / a.categorySpend : undefined;
}
