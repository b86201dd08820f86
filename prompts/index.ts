import type { Locale } from '../db/schema.js';
import { en, type Catalog } from './en.js';
import { zhCN } from './zh-CN.js';

export type { Catalog };

const catalogs: Record<Locale, Catalog> = { en, 'zh-CN': zhCN };

export function catalog(locale: Locale): Catalog {
  return catalogs[locale];
}
