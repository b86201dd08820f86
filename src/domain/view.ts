import { catalog, type Catalog } from '../../prompts/index.js';
import type { Locale } from '../../db/schema.js';
import type { Member, Tenant } from './types.js';

/** Whose eyes a message is for: their language, time zone and the moment it is written. */
export interface View {
  t: Catalog;
  locale: Locale;
  zone: string;
  now: Date;
}

export function viewFor(tenant: Tenant, member: Member | undefined, now: Date): View {
  const locale = member?.locale ?? tenant.locale;
  return { t: catalog(locale), locale, zone: member?.timezone ?? tenant.timezone, now };
}
