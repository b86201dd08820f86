// Wording leftovers of issue 18 part 10: a filter that matches nothing, zh usage
// lines, Chinese notes kept as typed, and the shell's prompt after a nudge.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { homeReply } from '../src/views/home.js';
import { commands } from '../handlers/index.js';
import { en } from '../prompts/en.js';
import { zhCN } from '../prompts/zh-CN.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { localizeUsage } from '../src/engine/engine.js';
import { usageLine } from '../src/engine/registry.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
let zh: Harness | undefined;
afterEach(() => {
  h?.close();
  zh?.close();
  zh = undefined;
});

describe('/account list with a filter that matches nothing', () => {
  it('says nothing matches that filter, not that the book is empty (en and zh)', async () => {
    h = harness();
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    expect((await h.run('/account list tier:key', 'admin')).text).toBe('• Accounts (0)\n  No accounts match this filter (key).');
    expect((await h.run('/account list mine', 'wang')).text).toBe('• Accounts (0)\n  No accounts match this filter (owned by wang).');
    expect((await h.run('/account list status:lost tier:key owner:@zhang', 'admin')).text).toBe('• Accounts (0)\n  No accounts match this filter (lost, key, owned by zhang).');
    expect((await h.run('/account list status:lost', 'admin')).text).toContain('No lost accounts.');
    zh = harness({ locale: 'zh-CN' });
    await zh.run('/客户 添加 华东化工 级别:战略 负责人:@zhang', 'admin');
    const out = (await zh.run('/客户 列表 级别:重点', 'admin')).text;
    expect(out).toContain('没有符合筛选条件（重点客户）的客户。');
    expect(out).not.toContain('还没有客户');
  });

  it('an empty book still says so, and a book of lost accounts only says there is no active one', async () => {
    h = harness();
    expect((await h.run('/account list', 'admin')).text).toContain('No accounts yet.');
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    await h.run('/lost Acme reason:competitor Went with the cheaper forwarder', 'admin');
    const out = (await h.run('/account list', 'admin')).text;
    expect(out).toContain('No active accounts; the lost ones are listed with /account list status:lost');
  });
});

describe('usage lines in Chinese', () => {
  const han = (words: readonly string[] | undefined) => (words ?? []).find((w) => /\p{Script=Han}/u.test(w));
  const forms = commands.flatMap((spec) => spec.forms.map((form) => ({ spec, form, line: usageLine(spec, form) })));

  it('every zh usage line of every command shows no English option or flag word that has a Chinese alias', () => {
    const leaks: string[] = [];
    for (const { form, line } of forms) {
      const zh = localizeUsage(zhCN, line, form);
      for (const o of form.options ?? []) {
        if (!han(o.aliases)) continue;
        if (new RegExp(`(^|[\\s\\[(|])${o.name}:`).test(zh)) leaks.push(`${zh}: ${o.name}:`);
        // The word shown is one the binder takes for that option.
        if (line.includes(`${o.name}:`) && !zh.includes(`${han(o.aliases)}:`)) leaks.push(`${zh}: no ${han(o.aliases)}:`);
      }
      for (const f of form.flags ?? []) if (han(f.aliases) && zh.includes(`[${f.name}]`)) leaks.push(`${zh}: [${f.name}]`);
      // A flag or an enum argument's value among alternatives (`[mine|all]`, `@someone|me`, `[quarter|year]`) shows its Chinese word too.
      const bare = (word: string) => new RegExp(`(^|[\\s\\[(|])${word}(?=[\\]|)\\s]|$)`).test(zh);
      for (const f of form.flags ?? []) if (han(f.aliases) && bare(f.name)) leaks.push(`${zh}: ${f.name}`);
      for (const arg of form.args ?? []) {
        const aliases = Object.entries(arg.valueAliases ?? {});
        for (const v of arg.values ?? []) if (aliases.some(([k, to]) => to === v && /\p{Script=Han}/u.test(k)) && bare(v)) leaks.push(`${zh}: ${v}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('every zh usage line names the person to mention in Chinese (@同事, @高管 …), never @colleague or @executive', () => {
    const leaks = forms.map(({ form, line }) => localizeUsage(zhCN, line, form)).filter((zh) => /@[a-z]/.test(zh));
    expect(leaks).toEqual([]);
    const touch = forms.find(({ line }) => line.startsWith('/touch <account> <kind>'))!;
    expect(localizeUsage(zhCN, touch.line, touch.form)).toContain('[同行:@同事]');
    expect(localizeUsage(en, touch.line, touch.form)).toContain('[with:@colleague]');
  });

  it("every zh usage line shows the Chinese words of an argument's values and of a flag offered as a choice", () => {
    const zh = (start: string) => {
      const f = forms.find(({ line }) => line.startsWith(start))!;
      return localizeUsage(zhCN, f.line, f.form);
    };
    expect(zh('/review <account> [prepared|held]')).toBe('/review <客户> [已准备|已召开] [备注]');
    expect(zh('/churn')).toBe('/churn [季度|年]');
    expect(zh('/steward run')).toContain('巡检|周报');
    expect(zh('/complaint assign')).toBe('/complaint assign C-<n> @某人|我');
  });

  it('an English reader reads the option words as they are', () => {
    for (const { form, line } of forms) expect(localizeUsage(en, line, form)).toBe(localizeUsage(en, line));
  });

  it('help and a refusal show the Chinese words: 级别: 职位: 层级: 截止:', async () => {
    h = harness({ locale: 'zh-CN' });
    const help = (await h.run('/助手 帮助 联系人', 'admin')).text;
    expect(help).toContain('[职位:..] [层级:高层|决策人|经理|操作]');
    expect(help).not.toMatch(/\b(title|level):/);
    expect((await h.run('/助手 帮助 客户', 'admin')).text).toContain('/account list [我的] [级别:..] [负责人:@某人] [状态:活跃|流失]');
    const refused = (await h.run('/承诺 改期 P-1', 'admin')).text;
    expect(refused).toContain('/promise move P-<n> 截止:<日期> <原因>');
  });
});

describe('a Chinese note is stored as typed', () => {
  const note = () => h.db.$client.prepare('select note from touchpoints order by id desc limit 1').get() as { note: string };

  it('no space is inserted after a closing “…” or 「…」', async () => {
    h = harness({ locale: 'zh-CN' });
    await h.run('/客户 添加 华东 级别:战略 负责人:@zhang', 'admin');
    for (const typed of ['“价格”太高，客户说要再谈。', '客户说“价格”太高。', '「紧急」货损，“三托”压坏！', '"cold chain"没问题', '他说：“好的”。然后“再见”']) {
      expect((await h.run(`/拜访 华东 拜访 ${typed}`, 'zhang')).ok, typed).toBe(true);
      expect(note().note).toBe(typed);
    }
  });

  it('property: a note of random CJK, ASCII, quotes and punctuation is stored exactly as typed', async () => {
    h = harness();
    await h.run('/account add Acme tier:strategic owner:@zhang', 'admin');
    const plain = fc.constantFrom(...'客户价格太高华东物流货损ab xyZ19，。！？、；（）—…'.split(''), '  ', '\n');
    const quotedPiece = fc
      .tuple(fc.constantFrom(['“', '”'], ['「', '」'], ['『', '』'], ['"', '"'], ['‘', '’']), fc.array(plain, { minLength: 1, maxLength: 4 }))
      .map(([[o, c], inner]) => `${o}${inner.join('').trim() || '价'}${c}`);
    const typedNote = fc
      .tuple(fc.constantFrom('客', '华', '价'), fc.array(fc.oneof(plain, quotedPiece), { maxLength: 12 }))
      .map(([first, rest]) => `${first}${rest.join('')}`.trim());
    await fc.assert(
      fc.asyncProperty(typedNote, async (typed) => {
        const out = await h.run(`/touch Acme visit ${typed}`, 'zhang');
        expect(out.ok, `${typed}\n${out.text}`).toBe(true);
        expect(note().note).toBe(typed);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the App Home digest button', () => {
  const homeOf = async (hh: Harness, user: string) =>
    (await hh.engine.view({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user) }, (ctx) => homeReply(ctx))).buttons?.find((b) => b.command === '/digest')
      ?.label;

  it("is labelled for what /digest opens: the organisation's digest for an admin or an executive, one's own otherwise (en and zh)", async () => {
    h = harness();
    await h.run('/steward role @boss exec', 'alice');
    await h.run('/steward team @zhang manager:@li', 'alice');
    expect(await homeOf(h, 'alice')).toBe('Organisation digest');
    expect(await homeOf(h, 'boss')).toBe('Organisation digest');
    expect(await homeOf(h, 'zhang')).toBe('My digest');
    expect(await homeOf(h, 'li')).toBe('My digest');
    zh = harness({ locale: 'zh-CN' });
    await zh.run('/助手 角色 @boss 高管', 'alice');
    expect(await homeOf(zh, 'alice')).toBe('全公司周报');
    expect(await homeOf(zh, 'boss')).toBe('全公司周报');
    expect(await homeOf(zh, 'zhang')).toBe('我的周报');
  });
});
