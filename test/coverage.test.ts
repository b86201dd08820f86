import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './harness.js';

describe('/coverage', () => {
  let h: Harness;
  beforeEach(async () => {
    h = harness();
    await h.run('/steward role @chen exec', 'admin');
    await h.run('/account add Acme Logistics tier:strategic owner:@zhang', 'admin');
    await h.run('/contact Acme add "Li Wei" level:decision-maker', 'zhang');
    await h.run('/contact Acme add "Zhou Lan" level:executive', 'zhang');
    await h.run('/contact Acme add "Sun Hao" level:operator', 'zhang');
  });
  afterEach(() => h.close());

  it('shows every cell of our side against their levels, with the last touch and the gaps', async () => {
    await h.run('/touch Acme visit to:"Li Wei" on:2026-11-02 Quarterly review', 'zhang');
    await h.run('/touch Acme meeting to:"Zhou Lan" with:@zhang on:2026-10-20 Executive dinner', 'chen');
    await h.run('/touch Acme call on:2026-11-10 No contact named', 'zhang');
    const out = await h.run('/coverage Acme', 'zhang');
    expect(out.ok).toBe(true);
    expect(out.text.split('\n')).toEqual([
      '• Coverage at Acme Logistics: 3 of 20 pairings of levels touched',
      '  • executive: executive Tue 20 Oct 2026 · decision-maker — gap · manager — gap · operator — gap',
      '  • sales: executive Tue 20 Oct 2026 · decision-maker Mon 2 Nov 2026 · manager — gap · operator — gap',
      '  • operations: executive — gap · decision-maker — gap · manager — gap · operator — gap',
      '  • finance: executive — gap · decision-maker — gap · manager — gap · operator — gap',
      '  • technical: executive — gap · decision-maker — gap · manager — gap · operator — gap',
      'Nobody of ours has touched their manager or operator level yet: an account known by one thread is at risk.',
      '[Log touchpoint: /touch "Acme Logistics"]',
    ]);
  });

  it('an untouched account is all gaps, as a warning, and writes nothing', async () => {
    const before = h.snapshot();
    const out = await h.run('/对接 Acme', 'zhang');
    expect(out.reply.tone).toBe('warning');
    expect(out.text).toContain('0 of 20');
    expect(h.snapshot()).toBe(before);
  });

  it('a contact who has left is no longer coverage', async () => {
    await h.run('/touch Acme visit to:"Zhou Lan" on:2026-11-02 Executive dinner', 'zhang');
    expect((await h.run('/coverage Acme')).text).toContain('sales: executive Mon 2 Nov 2026');
    await h.run('/contact Acme left "Zhou Lan"', 'zhang');
    expect((await h.run('/coverage Acme')).text).toContain('sales: executive — gap');
  });

  it('the latest touch wins in a cell, whoever logged it', async () => {
    await h.run('/touch Acme visit to:"Sun Hao" on:2026-10-01 Warehouse walk', 'zhang');
    await h.run('/touch Acme visit to:"Sun Hao" on:2026-11-15 Second walk', 'wang');
    expect((await h.run('/coverage Acme')).text).toContain('sales: executive — gap · decision-maker — gap · manager — gap · operator Sun 15 Nov 2026');
  });
});
