// The season simulator (issue 16): Steward's real sweep, digest and delivery
// over 20 Aug - 15 Dec with a fake clock, many seeded seasons, invariants from
// the domain (test/season/invariants.ts). STEWARD_SEASON_RUNS=200 runs a longer search;
// STEWARD_SEASON_REPORT=1 prints the violations of the invariants still pending a fix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from './season/invariants.js';
import { runSeason, type Violation } from './season/sim.js';

/**
 * Invariants today's code breaks, each with the defect of issue 16 whose fix
 * makes it hold. They are still checked and reported; only their failure does
 * not fail the suite. Remove an entry once its fix is merged.
 */
const PENDING_FIXES: Record<string, string> = {};

/** Seasons per run of the suite; STEWARD_SEASON_RUNS=200 searches longer. */
const RUNS = Number(process.env.STEWARD_SEASON_RUNS ?? 3);

function summary(seed: number, vs: Violation[]): string {
  return [`season seed ${seed}:`, ...vs.slice(0, 12).map((v) => `  [${v.invariant}] ${v.at} ${v.detail}`), vs.length > 12 ? `  …and ${vs.length - 12} more` : ''].join('\n');
}

describe('a season of Steward', () => {
  it('keeps every invariant the domain asks of the clock, over seeded seasons', async () => {
    // What the seasons did, so a simulator that quietly stopped exercising something cannot pass for a clock that works.
    const kinds = new Set<string>();
    const locales = new Set<string>();
    let restarts = 0;
    let lost = 0;
    let left = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const { season, violations } = await runSeason({ seed, invariants: INVARIANTS, stopOn: (name) => !(name in PENDING_FIXES) });
        for (const p of season.posts) kinds.add(p.kind);
        for (const p of season.posts) locales.add(/[\u4e00-\u9fff]/.test(p.text) ? 'zh-CN' : 'en');
        restarts += season.restarts.length;
        lost += [...season.world.accounts.values()].filter((a) => a.lostAt !== undefined).length;
        left += [...season.world.people.values()].filter((m) => m.leftAt !== undefined).length;
        const real = violations.filter((v) => !(v.invariant in PENDING_FIXES));
        // STEWARD_SEASON_REPORT=1 prints what the pending fixes are still to make hold.
        if (process.env.STEWARD_SEASON_REPORT)
          console.log(
            summary(
              seed,
              violations.filter((v) => v.invariant in PENDING_FIXES),
            ),
          );
        expect(real, summary(seed, real)).toEqual([]);
      }),
      { numRuns: RUNS, seed: 16, endOnFailure: true },
    );
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['digest', 'escalation', 'notice', 'pairing', 'promise', 'review', 'revisit']));
    expect([...locales].sort()).toEqual(['en', 'zh-CN']);
    expect(restarts).toBeGreaterThan(0);
    expect(lost).toBe(RUNS);
    expect(left).toBe(RUNS);
  }, 600_000);

  it('names an invariant for each pending fix', () => {
    expect(Object.keys(PENDING_FIXES).filter((name) => !INVARIANTS.some((i) => i.name === name))).toEqual([]);
  });
});
