// Coverage across a team (立体式对接): the accounts known by one thread, as the health score's
// single-thread rule finds them (health.ts, written once there), listed for /risk and the digest.
import type { Tier } from '../../db/schema.js';
import { list, type Section } from '../engine/reply.js';
import type { Health } from './health.js';
import type { View } from './view.js';

export interface ThreadRow {
  name: string;
  tier: Tier;
  owner: string | null;
  health: Health;
}

/** The rows the single-thread rule flags, as the score reads them now. */
export function singleThreaded<T extends ThreadRow>(rows: T[]): T[] {
  return rows.filter((r) => r.health.reasons.some((x) => x.key === 'single-threaded'));
}

/** "Single-threaded (n)" with a line per account (up to `limit`, the rest counted); nothing when there is none. */
export function singleThreadedSection(v: View, rows: ThreadRow[], limit: number): Section[] {
  const flagged = singleThreaded(rows).sort((a, b) => a.name.localeCompare(b.name));
  if (!flagged.length) return [];
  const shown = flagged.slice(0, limit).map((r) => {
    const e = r.health.reasons.find((x) => x.key === 'single-threaded')!.evidence;
    return v.t.org.singleLine(r.name, v.t.enums.tier[r.tier], r.owner ?? v.t.common.nobody, Number(e.ours), Number(e.theirs));
  });
  return [list(shown, { heading: v.t.org.singleHeading(flagged.length), more: flagged.length - shown.length })];
}
