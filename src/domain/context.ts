import type { Tx } from '../../db/index.js';
import type { View } from './view.js';
import type { Member, Tenant } from './types.js';

/**
 * What a domain service needs of the one acting: the command's transaction, the
 * workspace, who acts and when, and whose eyes the words are for. The engine's
 * command context is one; the CSV tool and the scheduler build their own.
 */
export interface DomainCtx extends View {
  db: Tx;
  tenant: Tenant;
  actor: Member;
  /** Writes the audit row of a change: who did what to which entity. */
  audit(action: string, entity: string, entityId: number | null, detail?: Record<string, unknown>): Promise<void>;
  /**
   * Set by a service that committed only the first part of its work and left the rest, recorded, to
   * finish in batches after the commit (a large handover: see finishHandovers). Whoever runs the
   * service then finishes it; what is left over from a crash is finished at start.
   */
  unfinished?: boolean;
}
