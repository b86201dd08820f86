// Which Slack requests belong to Steward's installation, and to which tenant.
// A workspace install is one tenant keyed by its team id (T…), as before
// Enterprise Grid existed. An org-wide install on Grid (auth.test answers
// `is_enterprise_install: true` and the organisation's `enterprise_id`) reaches
// every workspace of the organisation with one token: it is one tenant keyed by
// the enterprise id (E…), and a request from any workspace of that organisation
// is installed. A workspace install inside a Grid organisation is still only
// that workspace.

/** The installation Steward's bot token belongs to, as auth.test reports it. */
export interface Installation {
  teamId?: string;
  enterpriseId?: string;
  /** Installed on a whole Enterprise Grid organisation. */
  orgWide: boolean;
}

export function installationOf(auth: { team_id?: string | null; enterprise_id?: string | null; is_enterprise_install?: boolean }): Installation {
  return { teamId: auth.team_id || undefined, enterpriseId: auth.enterprise_id || undefined, orgWide: auth.is_enterprise_install === true };
}

/** Where a request came from: the workspace it was sent in and, on Grid, that workspace's organisation. */
export interface Origin {
  teamId?: string;
  enterpriseId?: string;
}

/**
 * The tenant key (`workspaceId`) of a request from `from`, or undefined when
 * Steward is not installed there. Before auth.test has answered (`install`
 * unknown), a request's own workspace is taken at its word, as it always was.
 */
export function tenantOf(install: Installation | undefined, from: Origin): string | undefined {
  if (install?.orgWide) {
    return install.enterpriseId !== undefined && from.enterpriseId === install.enterpriseId ? install.enterpriseId : undefined;
  }
  if (!from.teamId) return undefined;
  return !install?.teamId || from.teamId === install.teamId ? from.teamId : undefined;
}
