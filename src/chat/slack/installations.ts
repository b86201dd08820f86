// A distributed Slack app's installations (OAuth), kept in Steward's database
// by whoever hands the adapter its InstallationRecords (src/domain/installations.ts
// through src/main.ts): Bolt's InstallationStore on top of them. Each
// installation is a tenant: a workspace install is keyed by its team id (T…),
// an org-wide install on Enterprise Grid by its enterprise id (E…), as
// src/chat/slack/workspace.ts keys a single-token install.
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';

export interface InstallationRow {
  key: string;
  teamId?: string;
  enterpriseId?: string;
  orgWide: boolean;
  installation: Record<string, unknown>;
}

/** Where installations are kept (the database, shared by every instance). */
export interface InstallationRecords {
  find(key: string): Promise<InstallationRow | undefined>;
  save(row: InstallationRow): Promise<void>;
  /** Whether there was one. */
  remove(key: string): Promise<boolean>;
}

/** The tenant key of an installation or of a request (an org-wide install's organisation, or the workspace). */
export function installationKey(q: { isEnterpriseInstall?: boolean; enterpriseId?: string; teamId?: string }): string | undefined {
  return q.isEnterpriseInstall ? q.enterpriseId : q.teamId;
}

export class NotInstalled extends Error {
  override name = 'NotInstalled';
}

export function installationStore(records: InstallationRecords): InstallationStore {
  return {
    async storeInstallation(i) {
      const orgWide = i.isEnterpriseInstall === true;
      const enterpriseId = i.enterprise?.id;
      const teamId = i.team?.id;
      const key = installationKey({ isEnterpriseInstall: orgWide, enterpriseId, teamId });
      if (!key) throw new Error('an installation with neither a workspace nor an organisation');
      await records.save({ key, teamId, enterpriseId, orgWide, installation: i as unknown as Record<string, unknown> });
    },
    async fetchInstallation(q: InstallationQuery<boolean>) {
      const key = installationKey(q);
      const row = key === undefined ? undefined : await records.find(key);
      // Bolt's authorize turns this into an AuthorizationError: the request is acked and goes no further.
      if (!row) throw new NotInstalled(`Steward is not installed in ${key ?? 'an unnamed workspace'}`);
      return row.installation as unknown as Installation;
    },
    async deleteInstallation(q: InstallationQuery<boolean>) {
      const key = installationKey(q);
      if (key !== undefined) await records.remove(key);
    },
  };
}
