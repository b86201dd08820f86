// A rich book built with the real commands over ten months (test/book-io.test.ts moves it between
// databases; test/pg-steward.test.ts builds it on SQLite and on PostgreSQL), and every view a reader has of it.
import type { Harness } from './harness.js';
import { cst, kit } from './kit.js';

export const ACCOUNTS = ['Acme', 'Beta Trading', '华东化工', 'Gamma', 'Delta', 'Omega', '北方物流'];
export const PEOPLE = ['alice', 'chen', 'li', '刘洋', 'zhang', 'wang', '张伟', '王芳', 'sun'];
export const MANAGERS = ['li', '刘洋'];
export const NOW = cst('2026-11-23T10:00');
/** When richBook's first command runs. */
export const RICH_START = cst('2026-02-02T10:00');

/**
 * alice (admin, the first to speak); chen (exec) above li and 刘洋 (managers); li's team zhang and wang,
 * 刘洋's team 张伟 and 王芳 (who reads in Chinese, in Shanghai); sun a rep on no team. Ten months of work:
 * contacts (one left and replaced), touches with colleagues, complaints open, passed on, escalated and
 * resolved, promises kept, broken and open, signals, a pairing, the review season, a snooze, a handover,
 * a lost account and a won-back one.
 */
export async function richBook(h: Harness): Promise<void> {
  const { ok, sweep } = kit(() => h);
  const at = async (local: string, ...commands: [string, string][]) => {
    h.now = cst(local);
    for (const [text, user] of commands) await ok(text, user);
  };
  h.now = RICH_START;
  await ok('/steward whoami', 'alice');
  await ok('/steward role @chen exec');
  await ok('/steward role @li manager');
  await ok('/steward role @刘洋 manager');
  await ok('/steward team @li manager:@chen');
  await ok('/steward team @刘洋 manager:@chen');
  await ok('/steward team @zhang manager:@li');
  await ok('/steward team @wang manager:@li');
  await ok('/steward team @张伟 manager:@刘洋');
  await ok('/steward team @王芳 manager:@刘洋');
  await ok('/steward me locale:zh-CN timezone:Asia/Shanghai', '王芳');
  await ok('/steward me function:technical', 'wang');
  await ok('/account add Acme tier:strategic owner:@zhang revenue:2m spend:5m region:East aliases:ACME,阿克米');
  await ok('/account add "Beta Trading" tier:key owner:@wang revenue:900k spend:1.2m');
  await ok('/account add 华东化工 tier:strategic owner:@张伟 revenue:300万 spend:500万 industry:化工');
  await ok('/account add Gamma tier:standard owner:@zhang revenue:400k');
  await ok('/account add Delta tier:key owner:@wang revenue:700k cadence:21d');
  await ok('/account add Omega tier:strategic owner:@sun');
  await ok('/account add 北方物流 tier:key owner:@王芳');
  await ok('/contact Acme add "Wu Gang" title:COO level:decision-maker');
  await ok('/contact Acme add "Lily Xu" level:operator function:logistics');
  await ok('/contact 华东化工 add 吴刚 title:采购总监 level:decision-maker');
  await ok('/contact 华东化工 add 李娜 level:manager');
  await ok('/contact "Beta Trading" add "Tom Reed" level:executive');
  await ok('/pair Acme @chen every:60d');
  await ok('/touch Acme visit to:"Wu Gang" with:@wang Plant tour, they want cold chain', 'zhang');
  await ok('/touch 华东化工 visit to:吴刚 拜访采购部', '张伟');
  await ok('/touch 北方物流 call 电话确认发货量', '王芳');

  await at('2026-03-10T10:00', ['/touch Acme meeting to:"Lily Xu" Weekly ops', 'zhang'], ['/touch Omega visit Intro', 'sun']);
  await at('2026-04-15T10:00', ['/touch "Beta Trading" visit to:"Tom Reed" =SUM(A1) rates review', 'wang'], ['/touch Delta call -10% asked', 'wang']);
  await at('2026-05-20T10:00', ['/lost Gamma reason:competitor competitor:"SF Express" Six months of unanswered damage claims', 'zhang']);
  await at('2026-06-03T10:00', ['/lost Delta reason:price-market Their budget halved', 'wang']);
  await at('2026-07-01T10:00', ['/lost won-back Delta', 'wang'], ['/touch Delta visit Back on board', 'wang']);
  await at('2026-08-05T10:00', ['/contact 华东化工 left 吴刚 replaced-by:周强', '张伟'], ['/touch 华东化工 meeting to:周强 with:@chen 新采购总监见面', '张伟']);
  await at('2026-08-20T10:00', ['/promise Acme due:2026-09-01 Send the cold-chain quote', 'zhang'], ['/promise 华东化工 due:2026-09-10 提供新报价', '张伟']);
  await at('2026-09-01T10:00', ['/promise kept P-1 Sent', 'zhang']);
  await sweep(h.now); // the review season starts: an R-<n> for each strategic and key account
  // The review of Acme prepared: the items only a person can vouch for ticked by two people, the rest on the record's word.
  await at('2026-09-10T10:00', ['/review Acme tick risks', 'zhang']);
  await at('2026-09-11T16:00', ['/review Acme tick competitors', 'li']);
  await at('2026-09-12T10:00', ['/promise broken P-2 报价延误', '张伟'], ['/review Acme prepared Deck ready', 'zhang']);
  await at('2026-10-01T10:00', ['/handover @wang @zhang Delta', 'li'], ['/review "Beta Trading" held', 'wang']);
  await at(
    '2026-10-20T10:00',
    ['/complaint Acme severity:high category:damage 3 pallets crushed', 'zhang'],
    ['/complaint 华东化工 severity:critical category:quality 批次质量问题', '张伟'],
    ['/complaint "Beta Trading" severity:low category:billing Invoice typo', 'wang'],
    ['/signal Acme competitor A rival offered 8% less', 'zhang'],
    ['/signal 华东化工 volume-drop 订单下降30%', '张伟'],
  );
  // C-1's life: notes, passed to wang and back, resolved, reopened.
  await at('2026-10-20T15:00', ['/complaint note C-1 Called the warehouse, photos on the way', 'zhang']);
  await at('2026-10-21T10:00', ['/complaint assign C-1 @wang', 'li'], ['/resolve C-3 Credit note issued', 'wang']);
  await at('2026-10-21T14:00', ['/complaint note C-1 Carrier admits the damage', 'wang'], ['/complaint note C-2 质检报告已提交', '刘洋']);
  await sweep(cst('2026-10-22T10:00'));
  await at('2026-10-23T10:00', ['/complaint assign C-1 @zhang', 'li']);
  await sweep(cst('2026-10-24T10:00'));
  await at('2026-10-26T10:00', ['/resolve C-1 Pallets replaced, carrier pays', 'zhang']);
  await at('2026-11-02T10:00', ['/promise Acme due:2026-12-01 Quarterly review deck', 'zhang'], ['/promise "Beta Trading" due:2026-11-10 Revised rates', 'wang']);
  await at('2026-11-03T10:00', ['/complaint reopen C-1 Two more pallets crushed', 'alice']);
  // P-4 moved twice, then kept.
  await at('2026-11-08T10:00', ['/promise move P-4 due:2026-11-17 Their CFO is away', 'wang']);
  await at('2026-11-16T10:00', ['/promise move P-4 due:2026-11-19 They want the fuel surcharge in', 'li']);
  await at('2026-11-18T10:00', ['/snooze Omega 1w Customer on holiday', 'sun']);
  await at('2026-11-19T10:00', ['/promise kept P-4 Sent the revised rates', 'wang']);
  await sweep(cst('2026-11-20T10:00'));
  h.now = NOW;
}

/** Everything a reader sees: each account, /risk as each person, /churn, /coverage, each digest, and the lists. */
export async function views(x: Harness): Promise<string[]> {
  const out: string[] = [];
  const see = async (text: string, user = 'alice') => {
    const r = await x.run(text, user);
    out.push(`${user}> ${text}\n${r.text}`);
  };
  for (const a of ACCOUNTS) {
    await see(`/account show "${a}"`);
    await see(`/coverage "${a}"`);
    await see(`/contact list "${a}"`);
  }
  for (const p of PEOPLE) {
    await see('/risk', p);
    await see('/digest', p);
    await see('/checklist', p);
  }
  for (const m of MANAGERS) await see('/digest', m);
  for (const m of MANAGERS) await see('/churn', m);
  await see('/risk all');
  await see('/risk all', 'chen');
  await see('/churn');
  await see('/churn quarter');
  await see('/churn year');
  await see('/account list');
  await see('/account list status:lost');
  await see('/complaint list all');
  await see('/complaint list all status:resolved');
  await see('/promise list all');
  await see('/signal list');
  await see('/pair list');
  await see('/review list');
  await see('/lost list');
  await see('/steward team');
  for (const c of ['C-1', 'C-2', 'C-3']) await see(`/complaint show ${c}`);
  for (const p of ['P-1', 'P-2', 'P-3', 'P-4']) await see(`/promise show ${p}`);
  for (const a of ACCOUNTS) await see(`/review "${a}"`);
  // In Chinese, in Shanghai: a complaint's life and a promise's moves as 王芳 reads them.
  await see('/complaint show C-1', '王芳');
  await see('/promise show P-4', '王芳');
  await see('/review 华东化工', '王芳');
  return out;
}
