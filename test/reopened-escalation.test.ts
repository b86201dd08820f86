// The escalation of a reopened complaint says that it was reopened and how long
// ago, not its age since the first opening (weeks earlier), in both languages.
import { asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { nudges } from '../db/schema.js';
import type { Locale } from '../db/schema.js';
import { harness, type Harness } from './harness.js';
import { cst, kit, nudgeText } from './kit.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, sweep } = kit(() => h);
const escalations = async () => (await h.db.select().from(nudges).where(eq(nudges.kind, 'escalation')).orderBy(asc(nudges.id)).all()).map(nudgeText);

/** C-1 opened on 5 January, resolved on 9 January, reopened on 2 February; then rungs 1-3 and a weekly one. */
async function reopened(locale: Locale) {
  h = harness({ now: cst('2026-01-05T10:00'), locale });
  await ok('/steward role @boss exec');
  await ok('/steward team @zhang manager:@li');
  await ok('/steward team @li manager:@boss');
  await ok('/account add Acme tier:strategic owner:@zhang');
  await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
  h.now = cst('2026-01-09T10:00');
  await ok('/resolve C-1 Claim paid', 'zhang');
  h.now = cst('2026-02-02T10:00');
  await ok('/complaint reopen C-1 Same damage again', 'li');
  for (const day of ['03', '04', '05', '06', '13']) await sweep(cst(`2026-02-${day}T10:00`));
  return escalations();
}

describe('escalations of a reopened complaint', () => {
  it('say it was reopened and count from the reopening (en)', async () => {
    const [r1, r2, r3, ...weekly] = await reopened('en');
    expect(r1).toContain('reopened');
    expect(r2).toContain('C-1 is still unresolved 2 days after it was reopened');
    expect(r3).toContain('C-1 is still unresolved 3 days after it was reopened and two escalations');
    expect(weekly.at(-1)).toContain('days after it was reopened');
    for (const text of [r2, r3, ...weekly]) expect(text).not.toMatch(/2[89] days|3\d days/);
    expect(r2).toMatch(/Since reopened\s+2 days/);
  });

  it('say it was reopened and count from the reopening (zh-CN)', async () => {
    const [r1, r2, r3] = await reopened('zh-CN');
    expect(r1).toContain('重新打开');
    expect(r2).toContain('投诉C-1重新打开后已过去2天，仍未解决');
    expect(r3).toContain('投诉C-1重新打开后已过去3天，两次升级后仍未解决');
    expect(r2).toMatch(/重新打开至今\s+2天/);
  });

  it('a complaint never reopened still counts from its opening', async () => {
    h = harness({ now: cst('2026-01-05T10:00') });
    await ok('/steward team @zhang manager:@li');
    await ok('/account add Acme tier:strategic owner:@zhang');
    await ok('/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang');
    for (const day of ['06', '07']) await sweep(cst(`2026-01-${day}T10:00`));
    const [r1, r2] = await escalations();
    expect(r1).not.toContain('reopened');
    expect(r2).toContain('C-1 is still unresolved after 2 days');
    expect(r2).toMatch(/Open for\s+2 days/);
  });
});
