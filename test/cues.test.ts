// Notes that speak: a touch or complaint note naming a warning sign offers a
// button that records it with /signal; nothing is recorded until it is pressed.
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts, churnSignals } from '../db/schema.js';
import { tokenize } from '../src/engine/tokenize.js';
import { harness, type Harness } from './harness.js';
import { DAY, kit, plus } from './kit.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  await ok('/account add Acme Logistics');
  await ok('/account add 华东物流');
});
afterEach(() => h.close());

const { ok } = kit(() => h, { errorTone: true });

const signals = () => h.db.select().from(churnSignals).all();
const accountId = async (name: string) => (await h.db.select().from(accounts).where(eq(accounts.name, name)).get())!.id;
/** The signal kinds the reply's buttons would record, in order. */
const suggested = (out: { reply: { buttons: { command: string }[] } }) =>
  out.reply.buttons.filter((b) => b.command.startsWith('/signal ')).map((b) => (tokenize(b.command) as { tokens: { value: string }[] }).tokens[2]!.value);

describe('a touch note that names a warning sign', () => {
  it('offers to record a new GM and a price cut, and records nothing until a button is pressed', async () => {
    const out = await ok('/touch Acme visit Their new GM wants to cut prices by 5%');
    expect(out.text).toContain('Logged a visit with Acme Logistics');
    expect(out.text).toContain('This note reads like a warning sign (decision-maker change, price pressure). Record it with one tap below; nothing is recorded until you do.');
    expect(out.reply.buttons).toEqual([
      { label: 'Record decision-maker change', command: '/signal "Acme Logistics" decision-maker-change "Their new GM wants to cut prices by 5%"' },
      { label: 'Record price pressure', command: '/signal "Acme Logistics" price-pressure "Their new GM wants to cut prices by 5%"' },
    ]);
    expect(await signals()).toHaveLength(0);

    const pressed = await ok(out.reply.buttons[0]!.command);
    expect(pressed.text).toContain('Recorded decision-maker change at Acme Logistics.');
    expect(await signals()).toHaveLength(1);
    expect((await signals())[0]).toMatchObject({
      kind: 'decision-maker-change',
      detail: 'Their new GM wants to cut prices by 5%',
      accountId: await accountId('Acme Logistics'),
      source: 'manual',
    });
  });

  it('quotes the sentence that names the sign, not the whole note', async () => {
    const out = await ok('/touch Acme call Confirmed Q1 volumes. Late payment again: invoices from October still open! Otherwise fine.');
    expect(out.reply.buttons.map((b) => b.command)).toEqual(['/signal "Acme Logistics" payment-delay "Late payment again: invoices from October still open!"']);
    await ok(out.reply.buttons[0]!.command);
    expect((await signals()).map((s) => [s.kind, s.detail])).toEqual([['payment-delay', 'Late payment again: invoices from October still open!']]);
  });

  it('a note without a warning sign gets no suggestion', async () => {
    for (const note of [
      'Confirmed Q1 volumes; they are happy with the new lane',
      '确认了一季度货量，对新线路很满意',
      'Walked the warehouse with the GM',
      '新任务：合并发货，质量下降的问题已整改',
    ]) {
      const out = await ok(`/touch Acme visit ${note}`);
      expect(out.reply.buttons).toEqual([]);
      expect(out.text).not.toContain('warning sign');
    }
    expect(await signals()).toHaveLength(0);
  });

  it('reads Chinese notes, and offers at most three signs, one per kind', async () => {
    const out = await ok('/拜访 华东 拜访 新来的总经理说竞品报价低一成，要求降价，还要再降价。回款延迟了两周');
    expect(suggested(out)).toEqual(['decision-maker-change', 'competitor', 'price-pressure']);
    expect(out.reply.buttons[1]!.command).toBe('/signal "华东物流" competitor "新来的总经理说竞品报价低一成，要求降价，还要再降价。"');
    await ok(out.reply.buttons[1]!.command);
    expect(await signals()).toHaveLength(1);
    expect((await signals())[0]).toMatchObject({ kind: 'competitor', detail: '新来的总经理说竞品报价低一成，要求降价，还要再降价。', accountId: await accountId('华东物流') });

    for (const [note, kinds] of [
      ['客户回款延迟，货量下降三成', ['payment-delay', 'volume-drop']],
      ['对方在招标，打算换供应商', ['competitor']],
      ['新任采购总监说明年要自建仓库', ['decision-maker-change', 'strategy-change']],
    ] as const) {
      // On Acme: 华东物流 has had a competitor signal recorded just now.
      expect(suggested(await ok(`/拜访 Acme 电话 ${note}`)), note).toEqual(kinds);
    }
  });

  it('speaks the rep’s language on the button', async () => {
    await ok('/steward me locale:zh-CN');
    const out = await ok('/拜访 华东 拜访 客户要求降价');
    expect(out.text).toContain('这条记录里像有流失信号（压价）');
    expect(out.reply.buttons).toEqual([{ label: '记为异动：压价', command: '/signal "华东物流" price-pressure "客户要求降价"' }]);
  });

  it('a negation just before a cue keeps it quiet', async () => {
    for (const note of [
      'No competitor in sight, and they did not ask for a price cut',
      "They haven't mentioned a tender",
      '没有降价要求，也没看到竞品',
      '客户没有要求降价',
      '货量没有下降，回款不逾期',
    ]) {
      const out = await ok(`/touch Acme visit ${note}`);
      expect(out.reply.buttons, note).toEqual([]);
    }
    // Only the negated cue is quiet.
    expect(suggested(await ok('/touch Acme visit 没有降价，但新来的采购总监在招标'))).toEqual(['decision-maker-change', 'competitor']);
    expect(suggested(await ok('/touch Acme visit No price cut this year, but a competitor quoted them'))).toEqual(['competitor']);
  });

  it('no suggestion for a kind already recorded on the account in the last 30 days', async () => {
    await ok('/signal Acme price-pressure Asked for 8% off at renewal');
    expect(suggested(await ok('/touch Acme visit Their new GM wants to cut prices by 5%'))).toEqual(['decision-maker-change']);
    // Another account's signal does not count.
    expect(suggested(await ok('/touch 华东 visit They want to cut prices by 5%'))).toEqual(['price-pressure']);
    h.now = plus(h.now, 31 * DAY);
    expect(suggested(await ok('/touch Acme visit They want to cut prices by 5%'))).toEqual(['price-pressure']);
  });

  it('the button names an account whose name holds quote marks, and a note that looks like options, exactly', async () => {
    await ok('/account add Beta');
    const name = 'Beta" severity:critical category:billing x';
    await ok(`/account add 「${name}」`);
    const out = await ok(`/touch 「${name}」 visit Competitor quote: "price:-10%" for 2027`);
    expect(suggested(out)).toEqual(['competitor']);
    await ok(out.reply.buttons[0]!.command);
    expect(await signals()).toHaveLength(1);
    expect((await signals())[0]).toMatchObject({ kind: 'competitor', detail: 'Competitor quote: "price:-10%" for 2027', accountId: await accountId(name) });
  });
});

describe('a complaint that names a warning sign', () => {
  it('keeps the complaint’s buttons and adds the suggestion', async () => {
    const out = await ok('/complaint Acme severity:high Third damaged load this month; they say a competitor quoted 10% less');
    expect(out.text).toContain('C-1 opened for Acme Logistics');
    expect(out.reply.buttons.map((b) => b.command)).toEqual([
      '/resolve C-1',
      '/complaint assign C-1 me',
      '/signal "Acme Logistics" competitor "they say a competitor quoted 10% less"',
    ]);
    expect(await signals()).toHaveLength(0);
    await ok(out.reply.buttons[2]!.command);
    expect((await signals()).map((s) => [s.kind, s.detail])).toEqual([['competitor', 'they say a competitor quoted 10% less']]);

    const plain = await ok('/complaint Acme severity:low Driver arrived two hours late');
    expect(plain.reply.buttons.map((b) => b.command)).toEqual(['/resolve C-2', '/complaint assign C-2 me']);
  });
});
