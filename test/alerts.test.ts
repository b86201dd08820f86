import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';

/** Who was alerted, with the first line they would read. */
function alerted(out: Awaited<ReturnType<Harness['run']>>): Record<string, string> {
  return Object.fromEntries(out.notices.flatMap((n) => ('member' in n.to ? [[n.to.member.name, renderText(n.reply).split('\n')[0]!]] : [])));
}

describe('alerts that cannot wait', () => {
  let h: Harness;
  beforeEach(async () => {
    h = harness();
    await h.run('/steward role @chen exec', 'admin');
    await h.run('/account add Acme Logistics tier:strategic owner:@zhang', 'admin');
    await h.run('/account add Beta Freight tier:key owner:@zhang', 'admin');
    await h.run('/pair Acme @chen', 'admin');
    await h.run('/contact Acme add "Li Wei" level:decision-maker', 'zhang');
    await h.run('/contact Acme add "Sun Hao" level:operator', 'zhang');
  });
  afterEach(() => h.close());

  it('a critical complaint alerts the owner and the paired executive at once', async () => {
    const out = await h.run('/complaint Acme severity:critical Reefer failed, cargo lost', 'wang');
    expect(alerted(out)).toEqual({ zhang: '✘ Critical complaint C-1 at Acme Logistics', chen: '✘ Critical complaint C-1 at Acme Logistics' });
    const rows = h.db.$client.prepare("select recipient_id, not_before, status from nudges where kind = 'notice'").all() as { not_before: number; status: string }[];
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.not_before === h.now.getTime() && r.status === 'pending')).toBe(true);
  });

  it('the actor is not alerted about what they just did', async () => {
    const out = await h.run('/complaint Acme severity:critical Reefer failed', 'zhang');
    expect(Object.keys(alerted(out))).toEqual(['chen']);
  });

  it('a second complaint on a strategic account within 30 days alerts; the first does not', async () => {
    expect(alerted(await h.run('/complaint Acme severity:medium Late pickup', 'wang'))).toEqual({});
    h.now = new Date(h.now.getTime() + 20 * 86_400_000);
    expect(alerted(await h.run('/complaint Acme severity:low Invoice typo', 'wang'))).toEqual({
      zhang: '✘ Acme Logistics (strategic) has had 2 complaints in 30 days',
      chen: '✘ Acme Logistics (strategic) has had 2 complaints in 30 days',
    });
  });

  it('a second complaint after 30 days, or on a key account, does not alert', async () => {
    await h.run('/complaint Acme Late pickup', 'wang');
    h.now = new Date(h.now.getTime() + 31 * 86_400_000);
    expect(alerted(await h.run('/complaint Acme Invoice typo', 'wang'))).toEqual({});
    await h.run('/complaint Beta Late pickup', 'wang');
    expect(alerted(await h.run('/complaint Beta Late again', 'wang'))).toEqual({});
  });

  it('a decision-maker leaving alerts the owner and the executive; an operator leaving does not', async () => {
    expect(alerted(await h.run('/contact Acme left "Sun Hao"', 'wang'))).toEqual({});
    expect(alerted(await h.run('/contact Acme left "Li Wei" replaced-by:"Zhang Min"', 'wang'))).toEqual({
      zhang: '! Decision-maker change at Acme Logistics',
      chen: '! Decision-maker change at Acme Logistics',
    });
  });

  it('a decision-maker-change signal alerts, in each recipient’s language', async () => {
    await h.run('/steward me locale:zh-CN', 'chen');
    const out = await h.run('/signal Acme decision-maker-change New COO from their parent company', 'wang');
    expect(alerted(out)).toEqual({ zhang: '! Decision-maker change at Acme Logistics', chen: '! Acme Logistics的决策人发生变动' });
  });

  it('a refused command alerts nobody', async () => {
    const before = h.snapshot();
    const out = await h.run('/complaint Acme severity:critical', 'wang');
    expect(out.ok).toBe(false);
    expect(out.notices).toEqual([]);
    expect(h.snapshot()).toBe(before);
  });
});
