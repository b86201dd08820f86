// Typos that used to corrupt the book quietly (issue 18): a misspelt option
// became part of a name or a note, a mistyped @name became a person who then
// got real work, a settings unit was misread, one letter picked an account.
// Each is refused with what was meant, in the reader's language.
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, complaints, members, tenants, touchpoints } from '../db/schema.js';
import { importCsv } from '../src/io/cli.js';
import type { UserRef } from '../src/engine/engine.js';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';
import { kit, nudgeText } from './kit.js';

let h: Harness;
const { ok, refused, allNudges, memberId } = kit(() => h);
afterEach(() => h.close());

const accountNames = async () => (await h.db.select({ name: accounts.name }).from(accounts).all()).map((a) => a.name).sort();

describe('an option word that is none of the form’s', () => {
  it('is refused with the option meant (en)', async () => {
    h = harness();
    const out = await refused('/account add Bar Cargo teir:strategic');
    expect(out.text).toContain('I don\'t know the option "teir:". Did you mean tier:?');
    await ok('/account add Bar Cargo tier:strategic');
    expect(await accountNames()).toEqual(['Bar Cargo']);
  });

  it('is refused with the option meant, anywhere in a note, and passes in quotes', async () => {
    h = harness();
    await ok('/account add Acme');
    expect((await refused('/touch Acme call Talked about prices cadense:7d')).text).toContain('I don\'t know the option "cadense:".');
    expect((await refused('/touch Acme call Talked about prices dte:yesterday')).text).toContain('I don\'t know the option "dte:". Did you mean date:?');
    await ok('/touch Acme call "note: this" was said');
    expect((await h.db.select({ note: touchpoints.note }).from(touchpoints).get())!.note).toBe('"note: this" was said');
  });

  it('leaves times, ratios, links and a one-letter key to the text', async () => {
    h = harness();
    await ok('/account add Acme');
    const note = 'Met at 10:30, split 3:1 A:B see https://example.com/x?a=1 and http://b.cn';
    await ok(`/touch Acme call ${note}`);
    expect((await h.db.select({ note: touchpoints.note }).from(touchpoints).get())!.note).toBe(note);
  });

  it('is refused in Chinese, and every Chinese option word of the issue is read as its option', async () => {
    h = harness({ locale: 'zh-CN' });
    const out = await refused('/客户 添加 华东化工 级别:战略 营收:300万 采购量:500万');
    expect(out.text).toContain('不认识选项“采购量:”。你是不是要写 采购额:？');
    await ok('/客户 添加 华东化工 级别:战略 营收:300万 采购额:500万');
    const a = (await h.db.select().from(accounts).get())!;
    expect([a.name, a.tier, a.annualRevenue, a.categorySpend]).toEqual(['华东化工', 'strategic', 3_000_000, 5_000_000]);
    expect((await refused('/客户 添加 华南 teir:strategic')).text).toContain('不认识选项“teir:”。你是不是要写 tier:？');

    await ok('/联系人 华东化工 添加 吴刚 级别:决策层');
    await ok('/拜访 华东 拜访 对象:吴刚 日期:昨天 谈了明年的量');
    const touch = (await h.db.select().from(touchpoints).get())!;
    expect(touch.note).toBe('谈了明年的量');
    expect(touch.contactId).not.toBeNull();
    await ok('/联系人 华东化工 添加 王芳 级别:操作层');
    await ok('/异动 华东 回款延迟 三月的账还没结');
  });

  it('leaves a Chinese sentence with a full-width colon to the text, but not a Chinese option word', async () => {
    h = harness({ locale: 'zh-CN' });
    await ok('/客户 添加 华东化工');
    await ok('/拜访 华东 电话 客户说：明天到货');
    expect((await h.db.select({ note: touchpoints.note }).from(touchpoints).get())!.note).toBe('客户说：明天到货');
    // 到期 is an option word (of /promise), not /拜访's: a slip, whatever colon it is written with.
    expect((await refused('/拜访 华东 电话 到期：周五 再报价')).text).toContain('不认识选项“到期:”');
    expect((await refused('/拜访 华东 电话 日其:昨天 报价')).text).toContain('你是不是要写 日期:？');
  });
});

describe('settings spans and ladders', () => {
  const deadlines = async () => ((await h.db.select().from(tenants).get())!.settings as { complaintDeadlineHours?: Record<string, number> }).complaintDeadlineHours;

  it('refuses m, which is a month to some and minutes to others, and reads min, h, d, w', async () => {
    h = harness();
    const out = await refused('/steward settings deadline-critical:1m');
    expect(out.text).toContain('"1m" doesn\'t work for deadline-critical: — expected a span such as 30min, 4h, 2d or 1w');
    expect((await refused('/steward settings cadence-standard:3m')).text).toContain('"3m" doesn\'t work for cadence-standard:');
    await ok('/steward settings deadline-critical:30min deadline-high:4h deadline-medium:2d deadline-low:1w');
    expect(await deadlines()).toEqual({ critical: 0.5, high: 4, medium: 48, low: 168 });
    expect((await ok('/steward settings')).text).toContain('critical 30min');
  });

  it('refuses an inverted ladder, and takes one that moves both in order', async () => {
    h = harness();
    const out = await refused('/steward settings deadline-critical:48h');
    expect(out.text).toContain('A critical complaint would get longer (48h) than a high one (24h).');
    expect((await refused('/steward settings cadence-strategic:60d')).text).toContain('A strategic account would be revisited less often (every 60d) than a key one (every 30d).');
    await ok('/steward settings deadline-critical:48h deadline-high:48h deadline-medium:72h');
    expect(await deadlines()).toEqual({ critical: 48, high: 48, medium: 72 });
  });

  it('says so in Chinese, and reads Chinese units and setting names', async () => {
    h = harness({ locale: 'zh-CN' });
    expect((await refused('/助手 设置 紧急时限:1m')).text).toContain('紧急时限: 不能填“1m”，应填时长，例如 30分钟');
    const out = await refused('/助手 设置 高时限:4天');
    expect(out.text).toContain('这样“高”级投诉的处理时限（96h）会比“中”级投诉（72h）还长。');
    await ok('/助手 设置 紧急时限:30分钟 高时限:8小时');
    expect(await deadlines()).toEqual({ critical: 0.5, high: 8 });
  });
});

describe('a part of an account name', () => {
  it('of one letter (one Chinese character) asks instead of picking; three letters (two characters) pick', async () => {
    h = harness();
    await ok('/account add Acme Logistics tier:strategic');
    await ok('/account add 华东化工');
    const out = await refused('/touch A call Quick check');
    expect(out.text).toContain('"A" is too little of a name to pick an account by. Did you mean this one?');
    expect(out.text).toContain('Acme Logistics');
    await refused('/touch Ac call Quick check');
    await ok('/touch Acm call Quick check');
    await refused('/touch 华 call 电话');
    await ok('/touch 华东 call 电话');
    expect(await h.db.select().from(touchpoints).all()).toHaveLength(2);
  });

  it('of another team’s account asks; the full name, or one of the team’s own, picks', async () => {
    h = harness();
    await ok('/steward team @li manager:@wang');
    await ok('/steward team @zhao manager:@wang');
    await ok('/steward team @chen manager:@sun');
    await ok('/account add Acme Logistics tier:strategic owner:@chen');
    await ok('/account add Beta Cargo owner:@zhao');
    const out = await refused('/touch Acme call Quick check', 'li');
    expect(out.text).toContain('"Acme" matches Acme Logistics, which chen\'s team looks after, not yours. If you mean it, type its full name.');
    await ok('/touch Acme Logistics call Quick check', 'li');
    await ok('/touch Beta call Quick check', 'li');
    await ok('/touch Acme call Quick check', 'sun');
    await ok('/touch Acme call Quick check', 'alice');
  });

  it('says so in Chinese', async () => {
    h = harness({ locale: 'zh-CN' });
    await ok('/客户 添加 华东化工');
    expect((await refused('/拜访 华 电话 聊了聊')).text).toContain('“华”太短，不能据此确定客户。');
    await ok('/助手 团队 @李娜 经理:@王磊');
    await ok('/助手 团队 @张敏 经理:@孙伟');
    await ok('/客户 添加 华南物流 负责人:@张敏');
    expect((await refused('/拜访 华南 电话 聊了聊', '李娜')).text).toContain('“华南”对应的是华南物流，由张敏的团队负责，不是你的团队。');
  });
});

describe('a mistyped @name', () => {
  const people = async () => (await h.db.select({ name: members.name }).from(members).all()).map((m) => m.name).sort();

  it('in the shell is refused with the person meant, where a new name still adds someone', async () => {
    h = harness();
    await ok('/steward team @zhang manager:@wang');
    await ok('/account add Acme Logistics owner:@zhang');
    await ok('/complaint Acme Logistics severity:high Pallets crushed');
    const before = await people();
    const out = await refused('/complaint assign C-1 @zhnag');
    expect(out.text).toContain('Nobody here is called @zhnag. Did you mean @zhang?');
    expect((await refused('/handover @zhang @wnag Acme Logistics')).text).toContain('Did you mean @wang?');
    expect((await refused('/touch Acme Logistics call with:@zhanng Call')).text).toContain('Did you mean @zhang?');
    expect(await people()).toEqual(before);
    // Another letter is another person (rep1a, rep1b): the shell's first mention still adds them.
    expect((await refused('/complaint assign C-1 @zhan')).text).toContain('Did you mean @zhang?');
    await ok('/complaint assign C-1 @zhao');
    await ok('/steward team @rep1a manager:@wang');
    await ok('/steward team @rep1b manager:@wang');
    expect(await people()).toEqual([...before, 'zhao', 'rep1a', 'rep1b'].sort());
    expect((await h.db.select().from(complaints).get())!.ownerId).toBe((await h.db.select().from(members).all()).find((m) => m.name === 'zhao')!.id);
  });

  it('followed by punctuation (@zhang。) is that person; two names run together (@zhao，@li) are refused, and nobody is created', async () => {
    h = harness();
    await ok('/steward team @zhang manager:@wang');
    await ok('/steward team @zhao manager:@wang');
    await ok('/account add Acme Logistics owner:@zhang');
    await ok('/complaint Acme Logistics severity:high Pallets crushed');
    const before = await people();
    await ok('/complaint assign C-1 @zhao。');
    expect((await h.db.select().from(complaints).get())!.ownerId).toBe(await memberId('zhao'));
    await ok('/touch Acme Logistics visit with:@wang, Walked the warehouse', 'zhang');
    expect((await refused('/touch Acme Logistics visit with:@zhao，@wang Walked the warehouse', 'zhang')).text).toContain(
      '"@zhao，@wang" isn\'t a person I can find. Mention them as @name.',
    );
    expect((await refused('/touch Acme Logistics visit with:@zhao,@wang Walked the warehouse', 'zhang')).text).toContain('"@zhao,@wang" isn\'t a person I can find.');
    expect(await people()).toEqual(before);
  });

  it('in chat: a picked user is a member, a typed @word is one only by a member’s name (en, zh-CN)', async () => {
    h = harness();
    const WS = { platform: 'slack' as const, workspaceId: 'T1' };
    const users: Record<string, UserRef> = {
      '<@U1>': { platformUserId: 'U1', name: 'alice' },
      '<@U2>': { platformUserId: 'U2', name: 'zhang' },
      '<@U3>': { platformUserId: 'U3', name: 'wang' },
    };
    const say = (text: string, locale?: 'zh-CN') => h.engine.handle({ ...WS, user: { ...users['<@U1>']!, locale }, text }, async (raw) => users[raw]);
    await say('/steward whoami');
    expect((await say('/account add Acme Logistics owner:<@U2>')).ok).toBe(true);
    expect((await say('/complaint Acme Logistics Pallets crushed')).ok).toBe(true);
    const before = h.snapshot();
    const out = await say('/complaint assign C-1 @zhnag');
    expect(out.ok).toBe(false);
    expect(renderText(out.reply)).toContain('Nobody here is called @zhnag. Did you mean @zhang? Pick people from the list that opens as you type @.');
    expect(renderText((await say('/complaint assign C-1 @zhnag', 'zh-CN')).reply)).toContain('这里没有叫 @zhnag 的人。你是不是要找 @zhang？');
    expect(h.snapshot()).toBe(before);
    expect((await say('/complaint assign C-1 @zhang')).ok).toBe(true);
    expect((await say('/complaint assign C-1 <@U3>')).ok).toBe(true);
    expect((await h.db.select().from(members).all()).map((m) => m.name).sort()).toEqual(['alice', 'wang', 'zhang']);
  });

  it('in a CSV file is a bad row', async () => {
    h = harness();
    await ok('/steward team @zhang manager:@wang');
    const r = await importCsv(h.db, 'accounts', 'name,owner\nAcme,zhnag\nBeta,zhang\nGamma,zhou\n');
    expect(r.errors).toEqual([{ line: 2, message: 'owner: nobody named "zhnag" (did you mean "zhang"?); correct the name, or add the person first' }]);
    expect(await accountNames()).toEqual(['Beta', 'Gamma']);
  });
});

describe('less attention for an account, set by a rep', () => {
  const toldWang = async () => {
    const wang = await memberId('wang');
    return (await allNudges('notice')).filter((n) => n.recipientId === wang).map(nudgeText);
  };

  it('is told to the owner’s manager at once: a lower tier, a longer cadence, an ended pairing, a snooze beyond a week', async () => {
    h = harness();
    await ok('/steward team @li manager:@wang');
    await ok('/steward role @boss exec');
    await ok('/account add Acme Logistics tier:strategic owner:@li');
    await ok('/pair Acme Logistics @boss', 'li');
    await ok('/account set Acme Logistics tier:key', 'wang');
    await ok('/snooze Acme Logistics 5d', 'li');
    await ok('/account set Acme Logistics region:East', 'li');
    expect(await toldWang()).toEqual([]);

    await ok('/account set Acme Logistics tier:standard cadence:365d', 'li');
    await ok('/unpair Acme Logistics', 'li');
    await ok('/snooze Acme Logistics 30d Customer on holiday', 'li');
    const told = await toldWang();
    expect(told).toHaveLength(3);
    expect(told[0]).toContain('li lowered the attention Acme Logistics gets');
    expect(told[0]).toContain('tier: key → standard');
    expect(told[0]).toContain('revisit every 30 days → every 365 days');
    expect(told[1]).toContain('ended the leadership pairing with boss');
    expect(told[2]).toContain('revisit nudges snoozed for 30 days');
    expect(told[2]).toContain('Their note: Customer on holiday');
  });

  it('is told in the manager’s language', async () => {
    h = harness();
    await ok('/steward team @li manager:@wang');
    await ok('/steward me locale:zh-CN', 'wang');
    await ok('/account add Acme Logistics tier:strategic owner:@li');
    await ok('/account set Acme Logistics tier:key', 'li');
    expect((await toldWang())[0]).toContain('li降低了对Acme Logistics的关注');
  });
});

describe('writing on another team’s account', () => {
  it('is refused to a rep of another team: the decision-maker left, a promise; its own team, managers and executives may', async () => {
    h = harness();
    await ok('/steward team @li manager:@wang');
    await ok('/steward team @chen manager:@sun');
    await ok('/steward role @boss exec');
    await ok('/account add Acme Logistics tier:strategic owner:@chen');
    await ok('/contact Acme Logistics add "Wu Gang" level:decision-maker');
    const out = await refused('/contact Acme Logistics left "Wu Gang"', 'li');
    expect(out.text).toContain(
      "chen's team looks after this account, not yours: only that team, the managers above it, its paired executives or an admin can change who we know at Acme Logistics.",
    );
    await refused('/contact Acme Logistics add "Zhou Li"', 'li');
    await refused('/promise Acme Logistics due:friday Send the quote', 'li');
    await ok('/promise Acme Logistics due:friday Send the quote', 'chen');
    await ok('/promise Acme Logistics due:friday Send samples', 'sun');
    await ok('/promise Acme Logistics due:friday Call back', 'boss');
    await ok('/contact Acme Logistics left "Wu Gang"', 'sun');
  });

  it('says so in Chinese', async () => {
    h = harness({ locale: 'zh-CN' });
    await ok('/助手 团队 @李娜 经理:@王磊');
    await ok('/助手 团队 @张敏 经理:@孙伟');
    await ok('/客户 添加 华南物流 负责人:@张敏');
    expect((await refused('/承诺 华南物流 截止:下周五 发报价', '李娜')).text).toContain(
      '这个客户由张敏的团队负责，不是你的团队：只有该团队、其上级经理、结对高管或管理员可以记录对华南物流的承诺。',
    );
  });
});
