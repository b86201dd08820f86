// Where a distributed Slack app's installations are kept: one row per tenant
// (db/schema.ts's slack_installations), so every instance sharing the database
// finds the token of any workspace. The Slack adapter reaches these through
// the InstallationRecords it is handed (src/chat/slack/installations.ts turns
// them into Bolt's InstallationStore); the rows are Bolt's Installation, kept
// as given.
import { eq } from 'drizzle-orm';
import { changes, type Db, transaction } from '../../db/index.js';
import { slackInstallations } from '../../db/schema.js';

export interface InstallationRow {
  /** The tenant's workspace id: the enterprise id of an org-wide install, the team id otherwise. */
  key: string;
  teamId?: string;
  enterpriseId?: string;
  orgWide: boolean;
  installation: Record<string, unknown>;
}

export async function findSlackInstallation(db: Db, key: string): Promise<InstallationRow | undefined> {
  const row = await db.select().from(slackInstallations).where(eq(slackInstallations.key, key)).get();
  return row && { key: row.key, teamId: row.teamId ?? undefined, enterpriseId: row.enterpriseId ?? undefined, orgWide: row.orgWide, installation: row.installation };
}

// Each write in a transaction of its own, in turn with the others on this connection (db/transaction.ts):
// a bare statement run while another flow's transaction (a command, a view) waits on an await joins it,
// and a command refused or tried undoes the installation with its own work.

/** Records an installation, or replaces the tenant's (a reinstall, new scopes, a rotated token). */
export async function saveSlackInstallation(db: Db, row: InstallationRow, now = new Date()): Promise<void> {
  const values = { teamId: row.teamId ?? null, enterpriseId: row.enterpriseId ?? null, orgWide: row.orgWide, installation: row.installation, updatedAt: now };
  await transaction(db, async (tx) => {
    await tx
      .insert(slackInstallations)
      .values({ key: row.key, ...values })
      .onConflictDoUpdate({ target: slackInstallations.key, set: values })
      .run();
  });
}

/** Forgets the tenant's installation (the app uninstalled, its bot token revoked); whether there was one. */
export async function removeSlackInstallation(db: Db, key: string): Promise<boolean> {
  return await transaction(db, async (tx) => changes(await tx.delete(slackInstallations).where(eq(slackInstallations.key, key)).run()) > 0);
}

/** The three as the Slack adapter takes them (its InstallationRecords), over `db`. */
export function slackInstallationRecords(db: Db) {
  return {
    find: async (key: string) => findSlackInstallation(db, key),
    save: async (row: InstallationRow) => saveSlackInstallation(db, row),
    remove: async (key: string) => removeSlackInstallation(db, key),
  };
}
