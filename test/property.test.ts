// Random input thrown at the tokenizer and at every command: nothing escapes, every
// answer is rendered text, no handler crashes, and a refused command writes nothing.
import fc from 'fast-check';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accounts } from '../db/schema.js';
import { normalize } from '../src/domain/text.js';
import { tokenize } from '../src/engine/tokenize.js';
import { harness, type Harness } from './harness.js';

const RUNS = 120;

/** Characters the terminal renderer must never let through (it keeps only tabs and line breaks). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** The engine's answer to an unexpected exception in a handler. */
const INTERNAL = 'Something went wrong on our side';

/** Pieces that mean something to the parser or the handlers, mixed with noise. */
const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'华东物流客户拜访昨天下周五截止对方严重度紧急决策人：，“”「」'), maxLength: 6 }) },
  {
    weight: 4,
    // biome-ignore format: the fragments are data, kept several to a line and grouped by kind.
    arbitrary: fc.constantFrom(
      '"', '“', '”', '「', "'", ':', '：', '@', '@bob', '@alice', '@', '<@U1>', '<!channel>', '<#C1|x>',
      'Acme', 'Acme Logistics', 'Beta', '"Acme Logistics"', '华东', '华东物流', 'Li', '"Li Wei"',
      'C-1', 'C-2', 'C-999999999', 'C-99999999999999', 'P-1', 'P-0', 'c1', 'R-1',
      'add', 'show', 'list', 'set', 'left', 'assign', 'kept', 'broken', 'mine', 'all', 'me', 'help',
      'visit', 'call', '拜访', 'competitor', '压价', 'critical', 'high', 'damage', 'decision-maker',
      'due:', 'due:friday', 'due:2026-02-30', 'due:下周五', 'due:+7d', 'due:yesterday', 'on:', 'on:yesterday', 'on:昨天', 'on:tomorrow', 'on:1970-01-01',
      'on:9999-12-31', 'on:"next friday 3pm"', 'to:', 'to:Li', 'to:"Li Wei"', 'with:@bob', 'with:@', 'with:bob', 'replaced-by:Zhang',
      'severity:high', 'severity:紧急', 'severity:', 'category:damage', 'level:dm', 'title:"Boss"', 'tier:key', 'tier:gold', 'owner:@bob',
      'name:Beta', 'aliases:"a,b"', 'aliases:beta', 'revenue:1.2m', 'revenue:1e309', 'spend:0', 'cadence:0', 'cadence:9999w', 'status:lost',
      'locale:zh-CN', 'locale:fr', 'timezone:Asia/Shanghai', 'timezone:Nowhere', 'function:finance', 'manager:@bob', 'manager:@alice',
      'escalation-channel:#esc', 'deadline-high:12h', 'deadline-low:9999m', 'review-start:12-31', 'working-hours:09:00-18:00', 'digest-day:mon',
      "'; DROP TABLE accounts; --", '<script>', '%', '_', '\\', '\u0000', '\u0007', '\u001b[31m', '\u202e', '\u2066', '\n', '\t', '\r\n',
      '\uD800', '\uDC00', '🚚', '👍🏽', '🇨🇳', 'é', 'e\u0301', 'ｆｕｌｌ', '\u3000', '\u00a0',
    ),
  },
);

const tail = fc.array(fragment, { maxLength: 10 }).map((parts) => parts.join(' '));
const glued = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''));
const randomText = fc.oneof(tail, glued);
const user = fc.constantFrom('alice', 'bob', 'carol', 'bob');

/**
 * Every command and subcommand (English and some Chinese names), each with a few
 * tails that succeed on the seeded book, so the property sees successes as well as
 * refusals: the input is either pure noise or a valid tail followed by noise.
 */
const COMMANDS: [prefix: string, valid: string[]][] = [
  ['/account add', ['Zeta', 'Zeta tier:key', '"New Co" owner:@bob revenue:1m spend:3m']],
  ['/account show', ['Beta', '"Acme Logistics"', '华东']],
  ['/account list', ['', 'mine', 'tier:key', 'owner:@bob']],
  ['/account set', ['Beta tier:strategic', 'Beta aliases:BT', '华东 owner:@bob']],
  ['/account', ['Beta', '华东']],
  ['/客户 添加', ['新客户', '新客户 级别:战略']],
  ['/contact', ['Beta', 'Beta add Zhang', 'Beta left "Li Na"']],
  ['/contact Beta add', ['Zhang', 'Zhang level:executive title:CEO']],
  ['/contact Beta left', ['"Li Na"', '"Li Wei" replaced-by:Zhang']],
  ['/contact add', ['Beta Zhang']],
  ['/contact list', ['Beta']],
  ['/联系人 华东 离职', ['李伟']],
  ['/touch', ['Beta visit hi', 'Beta call to:"Li Wei" on:yesterday hi']],
  ['/touch Beta', ['visit hi', 'meeting with:@carol hi']],
  ['/touch Beta visit', ['hi', 'on:昨天 hi']],
  ['/拜访', ['Beta 拜访 hi']],
  ['/complaint', ['Beta broken', 'Beta severity:low hi', 'list', 'show C-1', 'assign C-1 @carol']],
  ['/complaint Beta', ['broken', 'severity:critical category:damage crushed']],
  ['/complaint list', ['', 'mine', 'all', 'Beta']],
  ['/complaint assign', ['C-1 @carol', 'C-1 me']],
  ['/complaint show', ['C-1', 'C-2']],
  ['/complaint note', ['C-1 called them', 'C-2 已致电']],
  ['/complaint reopen', ['C-1', 'C-2 again']],
  ['/投诉 备注', ['C-1 已致电客户']],
  ['/投诉', ['Beta 货损']],
  ['/resolve', ['C-1 done', 'C-2 done']],
  ['/resolve C-1', ['done']],
  ['/解决', ['C-1 已理赔']],
  ['/promise', ['Beta due:friday x', 'kept P-1', 'list']],
  ['/promise Beta', ['due:friday x', 'due:+7d owner:@bob x']],
  ['/promise kept', ['P-1']],
  ['/promise broken', ['P-1']],
  ['/promise list', ['', 'mine', 'all']],
  ['/承诺', ['Beta 截止:下周五 发送报价']],
  ['/signal', ['Beta competitor seen', 'list']],
  ['/signal Beta', ['competitor seen', '压价 降价']],
  ['/signal list', ['', 'Beta']],
  ['/异动', ['Beta 压价 降价']],
  ['/steward', ['', 'help', 'whoami', 'team']],
  ['/steward help', ['', 'touch']],
  ['/steward whoami', ['']],
  ['/steward me', ['', 'locale:en', 'function:finance']],
  ['/steward role', ['@bob manager', '@carol rep']],
  ['/steward team', ['', '@dave manager:@carol']],
  ['/steward settings', ['', 'deadline-high:12h', 'escalation-channel:#esc']],
  ['/steward touch', ['Beta call hi']],
  ['/助手', ['帮助']],
  ['/steward run', ['sweep', 'digest', 'sweep at:"2026-11-30 09:00"']],
  ['/digest', ['', '@bob']],
  ['/pair', ['Beta @bob', 'list', 'Beta @bob confirm']],
  ['/unpair', ['Beta', 'Beta @bob']],
  ['/review', ['Beta', 'Beta prepared ready', 'list']],
  ['/snooze', ['Beta 3d', 'Beta not-needed paused']],
  ['/coverage', ['Beta', '华东']],
  ['/risk', ['', 'mine']],
  ['/lost', ['Beta reason:competitor lesson', 'won-back Beta']],
  ['/churn', ['', 'quarter', 'year']],
  ['/handover', ['@bob @carol', '@bob @carol Beta']],
  ['/leave', ['@carol']],
  ['/checklist', ['', 'Beta', 'mine', 'done T-1', 'done T-1 met them']],
  ['', ['/touch Beta call hi', '/steward help']],
];

function inputFor(valid: string[]) {
  const shaped = fc
    .tuple(fc.constantFrom(...valid), fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 2, arbitrary: tail }))
    .map(([v, extra]) => `${v} ${extra}`.trim());
  return fc.oneof({ weight: 2, arbitrary: tail }, { weight: 1, arbitrary: glued }, { weight: 3, arbitrary: shaped });
}

let h: Harness;

async function seeded(): Promise<Harness> {
  const h = harness();
  for (const cmd of [
    '/account add Acme Logistics tier:strategic revenue:1.2m spend:4m',
    '/account add Acme Freight',
    '/account add Beta owner:@bob',
    '/account add 华东物流 tier:key',
    '/contact Beta add "Li Wei" level:decision-maker',
    '/contact Beta add "Li Na" level:manager',
    '/contact 华东 add 李伟 level:executive',
    '/complaint Beta severity:high Pallets crushed',
    '/complaint 华东 货损',
    '/promise Beta due:friday Send the quote',
    '/signal Beta competitor Seen SF',
    '/steward team @bob manager:@carol',
  ]) {
    const out = await h.run(cmd);
    if (!out.ok) throw new Error(`seed failed: ${cmd}\n${out.text}`);
  }
  return h;
}

// A fresh seeded book for every command, so each property starts from the same state.
beforeEach(async () => {
  h = await seeded();
});
afterEach(() => h.close());

describe('tokenizer', () => {
  it('never throws, and every token is the exact slice of the input it came from, in order', () => {
    fc.assert(
      fc.property(randomText, (s) => {
        const r = tokenize(s);
        if (!r.ok) {
          expect(r.error).toBe('unclosed-quote');
          return;
        }
        let last = 0;
        for (const tok of r.tokens) {
          expect(tok.start).toBeGreaterThanOrEqual(last);
          expect(tok.end).toBeGreaterThan(tok.start);
          expect(s.slice(tok.start, tok.end)).toBe(tok.raw);
          last = tok.end;
        }
        // Nothing but white space is dropped between tokens.
        const gaps = r.tokens.reduce((rest, tok) => rest.replace(tok.raw, ''), s);
        expect(gaps.trim()).toBe('');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('name keys', () => {
  it('normalize gives what NFKC, lower case and single spaces give, ASCII or not', () => {
    const full = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(fc.oneof(ascii, randomText, fc.string({ unit: 'grapheme' })), (s) => {
        expect(normalize(s)).toBe(full(s));
      }),
      { numRuns: 2000 },
    );
    expect(normalize('  ＡＣＭＥ\u3000Foods ')).toBe('acme foods');
  });
});

describe.each(COMMANDS)('random input after "%s"', (prefix, valid) => {
  it('resolves to rendered text; no handler crashes; a refused command writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(inputFor(valid), user, async (rest, who) => {
        const text = `${prefix} ${rest}`;
        const before = h.snapshot();
        const out = await h.run(text, who);
        expect(typeof out.text).toBe('string');
        expect(out.text.length).toBeGreaterThan(0);
        expect(out.text).not.toMatch(CONTROL);
        expect(['success', 'info', 'warning', 'error']).toContain(out.reply.tone);
        expect(out.ok).toBe(out.reply.tone !== 'error');
        expect(out.text, text).not.toContain(INTERNAL);
        for (const n of out.notices) expect(n.reply.sections.length + (n.reply.title ? 1 : 0)).toBeGreaterThan(0);
        if (!out.ok) {
          expect(out.text.startsWith('✘ ')).toBe(true);
          expect(h.snapshot(), text).toBe(before);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('account names round-trip', () => {
  // Names without quote marks, as a user could type them inside quotes.
  const nameChar = fc.oneof(
    fc.constantFrom(...'abcXYZ019 -_.&()/#%华东物流（）·é🚚'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => !/["“”「」『』‘’«»\u0000-\u001f\u007f-\u009f]/u.test(c)),
  );
  const name = fc
    .array(nameChar, { minLength: 1, maxLength: 24 })
    .map((cs) => cs.join('').replace(/\s+/gu, ' ').trim())
    .filter((n) => n.length > 0);

  it('an account added under a quoted name is shown again by that quoted name', async () => {
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        const before = h.snapshot();
        const added = await h.run(`/account add "${n}"`);
        if (!added.ok) {
          // Only a clash with an existing name may refuse it, and then nothing changed.
          expect(added.text, n).toContain('is already used by the account');
          expect(h.snapshot()).toBe(before);
          return;
        }
        // The engine reads input in Unicode NFC, so a compatibility ideograph is kept in its canonical form.
        const stored = n.normalize('NFC');
        const row = await h.db.select().from(accounts).where(eq(accounts.name, stored)).get();
        expect(row?.name, n).toBe(stored);
        const shown = await h.run(`/account show "${n}"`);
        expect(shown.ok, `${n}\n${shown.text}`).toBe(true);
        expect(shown.text.split('\n')[0]).toContain(stored.replace(/[\u202a-\u202e\u2066-\u2069]/g, ''));
      }),
      { numRuns: 150 },
    );
  });
});
