// Coverage across a team, as /risk and the digest show it: the accounts known by one thread.
import { singleThreaded, type ThreadRow } from '../domain/coverage.js';
import type { View } from '../domain/view.js';
import { list, type Section } from '../engine/reply.js';

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
