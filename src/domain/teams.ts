// The organisation's teams, for the views of those who read across them (admins and
// executives): which team an account counts in, and who may read the whole organisation.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.js';
import { members } from '../../db/schema.js';
import { prepared } from '../../db/prepared.js';
import type { Member } from './types.js';

/** Admins and executives read across teams (the escalation ladder's top rung reaches them). */
export function readsOrganisation(m: Pick<Member, 'role'>): boolean {
  return m.role === 'admin' || m.role === 'exec';
}

/** Hops followed up a reporting chain; /steward team refuses loops, this guards against rows written around it. */
const MAX_HOPS = 50;

export interface OrgTeam {
  /** The team's lead; undefined for the accounts in no team (their owner reports to nobody, or nobody owns them). */
  lead: Member | undefined;
  /** The members whose accounts count in this team. */
  memberIds: Set<number>;
}

export interface Organisation {
  /** Teams by their lead's name, then the accounts in no team. */
  teams: OrgTeam[];
  /** The team an account owned by `ownerId` (null: nobody) counts in. */
  teamOf(ownerId: number | null): OrgTeam;
}

/**
 * A team is a manager's: an account counts in the team of the nearest manager at or above its owner
 * (as the ladder's rung 2 reads "their manager"); where there is no manager in the chain, in the
 * team of the one the owner reports to, or the owner's own when others report to them (an executive's
 * or an admin's own accounts). An owner who reports to nobody and leads nobody is in no team.
 * People who have left stay in their team, as in teamOf: their book is the team's until handed over.
 */
export async function organisation(tx: Tx, tenantId: number): Promise<Organisation> {
  const all = await tx.select().from(members).where(eq(members.tenantId, tenantId)).all();
  const byId = new Map(all.map((m) => [m.id, m]));
  const leads = new Set(all.map((m) => m.managerId).filter((id): id is number => id !== null));
  const leadOf = (m: Member): Member | undefined => {
    const chain = [m];
    for (let up = byId.get(m.managerId ?? -1); up && !chain.includes(up) && chain.length <= MAX_HOPS; up = byId.get(up.managerId ?? -1)) chain.push(up);
    return chain.find((x) => x.role === 'manager') ?? chain[1] ?? (leads.has(m.id) ? m : undefined);
  };
  const byLead = new Map<number, OrgTeam>();
  const none: OrgTeam = { lead: undefined, memberIds: new Set() };
  const ofMember = new Map<number, OrgTeam>();
  for (const m of all) {
    const lead = leadOf(m);
    let team = none;
    if (lead) {
      team = byLead.get(lead.id) ?? { lead, memberIds: new Set() };
      byLead.set(lead.id, team);
    }
    team.memberIds.add(m.id);
    ofMember.set(m.id, team);
  }
  const teams = [...byLead.values()].sort((a, b) => a.lead!.name.localeCompare(b.lead!.name));
  return { teams: [...teams, none], teamOf: (ownerId) => (ownerId === null ? none : (ofMember.get(ownerId) ?? none)) };
}

/**
 * The member and everyone who reports to them, directly or not. People who
 * have left stay in it, and so do those who reported to them: until their book
 * is handed over it is still the team's, and its accounts are the ones most at risk.
 */
export async function teamOf(tx: Tx, tenantId: number, lead: Member, all?: Member[]): Promise<Member[]> {
  // Without the tenant's members at hand, read only the team's: everyone below the lead, followed down the reporting lines.
  all ??= await prepared(tx, 'teams.below', (d) =>
    d
      .select()
      .from(members)
      .where(
        and(
          eq(members.tenantId, sql.placeholder('tenant')),
          // (The lead's id cast: PostgreSQL cannot type a bare parameter in a union with an id column.)
          sql`${members.id} in (with recursive below(id) as (select cast(${sql.placeholder('lead')} as bigint) union select m.id from members m join below on m.manager_id = below.id) select id from below)`,
        ),
      )
      .orderBy(asc(members.id))
      .prepare(),
  ).all({ tenant: tenantId, lead: lead.id });
  const team = [lead];
  for (let i = 0; i < team.length && team.length <= all.length; i++) {
    for (const m of all) if (m.managerId === team[i]!.id && !team.some((x) => x.id === m.id)) team.push(m);
  }
  return team;
}
