// A workspace (a Slack team, a Lark tenant, the shell) and the tenant row that
// holds its book. Chat makes one when someone first speaks there; the CSV tool
// when a file is imported into a workspace Steward has not seen.
import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { tenants, type Locale, type Platform } from '../../db/schema.js';
import type { Tenant } from './types.js';

export interface Workspace {
  platform: Platform;
  workspaceId: string;
}

const ph = sql.placeholder;
const byWorkspace = (db: Db | Tx) =>
  prepared(db, 'domain.tenant', (q) =>
    q
      .select()
      .from(tenants)
      .where(and(eq(tenants.platform, ph('platform')), eq(tenants.workspaceId, ph('workspaceId'))))
      .prepare(),
  );

export async function findTenant(db: Db | Tx, ws: Workspace): Promise<Tenant | undefined> {
  return await byWorkspace(db).get({ platform: ws.platform, workspaceId: ws.workspaceId });
}

/** The workspace's tenant, made with `defaults` (its language and time zone) the first time. */
export async function ensureTenant(tx: Tx, ws: Workspace, defaults: { locale: Locale; timezone: string }): Promise<Tenant> {
  return (
    (await findTenant(tx, ws)) ??
    (await tx.insert(tenants).values({ platform: ws.platform, workspaceId: ws.workspaceId, locale: defaults.locale, timezone: defaults.timezone }).returning().get())
  );
}
