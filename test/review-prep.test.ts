// Supplier-review preparation (issue #18): the checklist ticked item by item, the facts of the
// year for the owner, and "prepared" refused while the record contradicts an item it claims.
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, reviewItems, tenants } from '../db/schema.js';
import type { Reply } from '../src/engine/reply.js';
import { harness, type Harness } from './harness.js';
import { cst, kit } from './kit.js';

let h: Harness;
afterEach(() => h?.close());
const { ok, refused, accountId, memberId, sweep, pinCreatedAt, allNudges } = kit(() => h, { errorTone: true });

const item = async (account: string) =>
  (await h.db
    .select()
    .from(reviewItems)
    .where(eq(reviewItems.accountId, await accountId(account)))
    .get())!;

/** Acme (strategic, zhang's) in the review season, with its R-1 made by the sweep. */
async function inSeason(before: () => Promise<unknown> = async () => {}) {
  h = harness({ now: cst('2026-08-20T10:00') });
  await ok('/steward team @zhang manager:@li');
  await ok('/account add Acme tier:strategic owner:@zhang');
  await pinCreatedAt(accounts, h.now);
  await ok('/contact Acme add "Li Wei" level:decision-maker');
  await before();
  h.now = cst('2026-09-02T10:00');
  await sweep(h.now);
}

describe('/review <account> tick|untick', () => {
  it('ticks one item at a time, by number or key, and keeps who and when', async () => {
    await inSeason();
    const out = await ok('/review Acme tick risks', 'zhang');
    expect(out.text.split('\n')[0]).toBe('✔ R-1: ticked 4. The risks their top decision-maker worries about, and how we reduce them');
    expect((await item('Acme')).checklist).toEqual([
      { key: 'complaints', done: false },
      { key: 'promises', done: false },
      { key: 'wallet', done: false },
      { key: 'risks', done: true, tickedBy: await memberId('zhang'), tickedAt: h.now.getTime() },
      { key: 'competitors', done: false },
    ]);
    await ok('/review Acme tick 5', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['risks', 'competitors']);
    expect((await item('Acme')).status).toBe('open');
    await ok('/review Acme untick competitors', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['risks']);
    // Ticking a ticked item says by whom, and changes nothing.
    expect((await ok('/review Acme tick 4', 'zhang')).text).toBe('• Item 4 is already ticked by zhang, Wed 2 Sept 2026.');
  });

  it('the show lists each item with its state, who ticked it and when, and the facts of the year', async () => {
    await inSeason(() => ok('/promise Acme due:2026-08-28 Send the cold-chain quote', 'zhang'));
    await ok('/account set Acme revenue:1.2m spend:4m');
    await ok('/touch Acme visit to:"Li Wei" on:2026-08-30 Quarterly visit', 'zhang');
    await ok('/signal Acme competitor Courted by FastFreight', 'zhang');
    await ok('/complaint Acme severity:critical category:damage 3 pallets crushed', 'zhang');
    await ok('/complaint Acme severity:low Invoice typo', 'zhang');
    await ok('/resolve C-2 Reissued the invoice', 'zhang');
    await ok('/review Acme tick risks', 'zhang');
    const out = await ok('/review Acme', 'li');
    expect(out.text.split('\n')).toEqual([
      '! Supplier review R-1 · Acme · before Sat 31 Oct 2026',
      'Not prepared yet.',
      'Prepare:',
      '  • ☐ 1. Every complaint of the year resolved, with the fix explained [complaints] — not true yet: C-1 (critical) is still open',
      '  • ☐ 2. Every promise kept, or renegotiated openly [promises] — not true yet: P-1 (due Fri 28 Aug 2026) is past due and still open',
      "  • ☐ 3. Our wallet share, and the customer's unmet or growing needs [wallet] — true on the record",
      '  • ☑ 4. The risks their top decision-maker worries about, and how we reduce them [risks] — ticked by zhang, Wed 2 Sept 2026',
      '  • ☐ 5. Our value against competitors, with numbers [competitors]',
      'For the review, 2026:',
      '  • Wallet share: 30% (1.2M of their 4M a year)',
      '  • Complaints this year: 2 opened, 1 resolved; 1 still open, the oldest C-1 for 1 minute; critical and open: C-1',
      '  • Promises this year: 0 kept, 0 broken, 1 open (past due: P-1)',
      '  • Coverage gaps: nobody of ours in executive, operations, finance, technical has a thread to them',
      '  • Warning signs (120 days): competitor activity (Wed 2 Sept 2026)',
      '  • Last visit, meeting or review: Sun 30 Aug 2026; every 14 days, next by Sun 13 Sept 2026',
      '[Prepared: /review "Acme" prepared]  [Review held: /review "Acme" held]',
    ]);
  });
});

describe('/review <account> prepared', () => {
  it('is refused while a critical complaint is open, naming it; accepted once it is resolved', async () => {
    await inSeason();
    await ok('/account set Acme revenue:1.2m spend:4m');
    await ok('/complaint Acme severity:critical category:damage 3 pallets crushed', 'zhang');
    await ok('/review Acme tick risks', 'zhang');
    await ok('/review Acme tick competitors', 'zhang');
    const no = await refused('/review Acme prepared Deck ready', 'zhang');
    expect(no.text).toBe(["✘ R-1 for Acme can't be marked prepared yet:", '  • 1 [complaints]: C-1 (critical) is still open'].join('\n'));
    // The item it would claim cannot be ticked by hand either.
    expect((await refused('/review Acme tick complaints', 'zhang')).text).toBe(
      "✘ Item 1 (Every complaint of the year resolved, with the fix explained) can't be ticked: C-1 (critical) is still open.",
    );
    expect(await item('Acme')).toMatchObject({ status: 'open', preparedAt: null });

    await ok('/resolve C-1 Replaced the pallets, new packing spec agreed', 'zhang');
    const yes = await ok('/review Acme prepared Deck ready', 'zhang');
    expect(yes.text.split('\n')[0]).toBe('✔ R-1 for Acme marked prepared.');
    // What it ticked on the record's word is said, not done silently.
    expect(yes.text).toContain('Checked against the record and ticked: 1 complaints, 2 promises, 3 wallet.');
    expect(await item('Acme')).toMatchObject({ status: 'prepared', preparedAt: h.now, note: 'Deck ready' });
    const zhang = await memberId('zhang');
    expect((await item('Acme')).checklist.every((c) => c.done && c.tickedBy === zhang)).toBe(true);
  });

  it('asks for the items only the owner can vouch for, and for the wallet share, before anything is marked', async () => {
    await inSeason();
    const no = await refused('/review Acme prepared', 'zhang');
    expect(no.text).toBe(
      [
        "✘ R-1 for Acme can't be marked prepared yet:",
        '  • 3 [wallet]: our wallet share is unknown: set it with /account set "Acme" revenue:<ours> spend:<their category spend>',
        '  • Still to tick yourself once done: 4 risks, 5 competitors — /review "Acme" tick <item>',
      ].join('\n'),
    );
  });

  it('the Prepared button of the card the sweep sends goes through the same refusal', async () => {
    await inSeason();
    await ok('/complaint Acme severity:critical Truck never came', 'zhang');
    const card = (await allNudges('review'))[0]!.payload as Reply;
    expect(card.sections.flatMap((x) => (x.type === 'list' ? x.items : []))).toContain('☐ 4. The risks their top decision-maker worries about, and how we reduce them [risks]');
    const button = card.buttons.find((b) => b.command.endsWith(' prepared'))!;
    expect((await refused(button.command, 'zhang')).text).toContain('1 [complaints]: C-1 (critical) is still open');
  });

  it('a promise past due and still open keeps "every promise kept" unticked until it is kept', async () => {
    await inSeason(() => ok('/promise Acme due:2026-08-28 Send the cold-chain quote', 'zhang'));
    expect((await refused('/review Acme tick promises', 'zhang')).text).toBe(
      "✘ Item 2 (Every promise kept, or renegotiated openly) can't be ticked: P-1 (due Fri 28 Aug 2026) is past due and still open.",
    );
    await ok('/promise kept P-1 Sent on the 3rd', 'zhang');
    await ok('/review Acme tick 2', 'zhang');
    const show = await ok('/review Acme', 'zhang');
    expect(show.text).toContain('Promises this year: 1 kept, 0 broken, 0 open');
  });

  it('unticking an item of a prepared review takes back "prepared"', async () => {
    await inSeason();
    await ok('/account set Acme revenue:1.2m spend:4m');
    await ok('/review Acme tick risks', 'zhang');
    await ok('/review Acme tick competitors', 'zhang');
    await ok('/review Acme prepared', 'zhang');
    const out = await ok('/review Acme untick risks', 'zhang');
    expect(out.text.split('\n').slice(0, 2)).toEqual([
      '✔ R-1: unticked 4. The risks their top decision-maker worries about, and how we reduce them',
      'R-1 is no longer marked prepared: an item it claimed is unticked.',
    ]);
    expect(await item('Acme')).toMatchObject({ status: 'open', preparedAt: null });
  });

  it('held records the meeting and ticks nothing', async () => {
    await inSeason();
    await ok('/review Acme held Met their COO', 'zhang');
    expect((await item('Acme')).status).toBe('held');
    expect((await item('Acme')).checklist.some((c) => c.done)).toBe(false);
    expect((await refused('/review Acme tick risks', 'zhang')).text).toBe('✘ R-1 is already held.');
  });
});

describe('in Chinese', () => {
  it("ticks by the Chinese key, and refuses prepared in the reader's words", async () => {
    await inSeason();
    await h.db.update(tenants).set({ locale: 'zh-CN' }).run();
    await ok('/复盘 Acme 勾选 风险', 'zhang');
    await ok('/复盘 Acme 勾选 竞争对手', 'zhang');
    await ok('/投诉 Acme 严重度:紧急 三托货物压坏', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['risks', 'competitors']);
    const no = await refused('/复盘 Acme 已准备', 'zhang');
    expect(no.text).toBe(
      [
        '✘ Acme的复盘R-1还不能标记为已准备：',
        '  • 1【投诉】：C-1（紧急）仍未解决',
        '  • 3【份额】：钱包份额未知：用 /客户 修改 "Acme" 营收:<我方营收> 品类支出:<客户品类总支出> 补上',
      ].join('\n'),
    );
    const show = await ok('/复盘 Acme', 'zhang');
    expect(show.text).toContain('☑ 4. 客户高层担心的风险，以及我们如何降低这些风险【风险】——zhang于');
    expect(show.text).toContain('今年投诉：新增1起，已解决0起；仍有1起未解决');
    expect(show.text).toContain('未解决的紧急投诉：C-1');
    await ok('/复盘 Acme 取消勾选 4', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['competitors']);
  });
});

describe('in the digest', () => {
  it('a review with an item ticked is being prepared, not "not started", in both languages', async () => {
    await inSeason();
    const line = async (who: string) => (await ok('/digest', who)).text.split('\n').find((l) => l.startsWith('Supplier reviews') || l.startsWith('供应商复盘'));
    expect(await line('zhang')).toBe('Supplier reviews: 0 held, 0 prepared, 1 not started, of 1; deadline Sat 31 Oct 2026.');
    await ok('/review Acme tick risks', 'zhang');
    expect(await line('zhang')).toBe('Supplier reviews: 0 held, 0 prepared, 1 being prepared, 0 not started, of 1; deadline Sat 31 Oct 2026.');
    await ok('/steward me locale:zh-CN', 'li');
    expect(await line('li')).toBe('供应商复盘：共1个，已召开0，已准备0，准备中1，未开始0；截止2026年10月31日 周六。');
  });
});

describe('an item key in the other language', () => {
  it('a Chinese key ticks in an English workspace, an English key in a Chinese one', async () => {
    await inSeason();
    await ok('/review Acme tick 风险', 'zhang');
    await ok('/复盘 Acme 勾选 competitors', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['risks', 'competitors']);
    await ok('/review Acme untick 竞争', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['risks']);
  });
});

describe('bad input', () => {
  it('an unknown item is refused with the item meant and the list', async () => {
    await inSeason();
    const out = await refused('/review Acme tick complants', 'zhang');
    expect(out.text.split('\n')[0]).toBe(
      '✘ "complants" isn\'t an item of the checklist. Did you mean complaints? Items: 1 complaints, 2 promises, 3 wallet, 4 risks, 5 competitors.',
    );
    expect(out.text).toContain('/review tick <account> <item (1-5 or its key)> [note]');
    expect((await refused('/review Acme tick c', 'zhang')).text.split('\n')[0]).toBe(
      '✘ "c" isn\'t an item of the checklist. Did you mean complaints or competitors? Items: 1 complaints, 2 promises, 3 wallet, 4 risks, 5 competitors.',
    );
    expect((await refused('/复盘 Acme 勾选 投拆', 'zhang')).text.split('\n')[0]).toContain('Did you mean complaints?');
    expect((await refused('/review Acme tick 9', 'zhang')).text.split('\n')[0]).toBe(
      '✘ "9" isn\'t an item of the checklist. Items: 1 complaints, 2 promises, 3 wallet, 4 risks, 5 competitors.',
    );
    expect((await refused('/review Acme tick', 'zhang')).text.split('\n')[0]).toBe('✘ Missing item (1-5 or its key).');
  });

  it('words after the account that are no status are refused, not dropped in silence (a mistyped tick or untick)', async () => {
    await inSeason();
    await ok('/review Acme tick risks', 'zhang');
    const typo = await refused('/review Acme tikc competitors', 'zhang');
    expect(typo.text.split('\n')[0]).toBe('✘ I didn\'t expect "tikc competitors" here.');
    expect(typo.text).toContain('More: /steward help review');
    const zh = await refused('/复盘 Acme 勾 风险', 'zhang');
    expect(zh.text.split('\n')[0]).toBe('✘ I didn\'t expect "勾 风险" here.');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['risks']);
  });

  it('`取消` alone unticks, as `取消勾选` does (exploratory report: it was refused)', async () => {
    await inSeason();
    await ok('/review Acme tick risks', 'zhang');
    await ok('/review Acme tick competitors', 'zhang');
    await ok('/复盘 Acme 取消 风险', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual(['competitors']);
    await ok('/复盘 取消 Acme 5', 'zhang');
    expect((await item('Acme')).checklist.filter((c) => c.done).map((c) => c.key)).toEqual([]);
  });

  it("an unknown account, an account with no review, someone else's review", async () => {
    await inSeason();
    expect((await refused('/review Acmee tick risks', 'zhang')).text.split('\n')[0]).toContain('Acmee');
    await ok('/account add Gamma tier:standard owner:@zhang');
    expect((await refused('/review Gamma tick risks', 'zhang')).text.split('\n')[0]).toBe(
      '✘ Gamma has no supplier review for 2026 (the season starts Tue 1 Sept 2026; strategic and key accounts get one).',
    );
    expect((await refused('/review Acme tick risks', 'wang')).text).toBe('✘ Only its owner zhang, their manager li or an admin can update R-1.');
  });
});
