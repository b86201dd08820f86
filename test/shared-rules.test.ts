// One rule, one sentence: the same bad input typed in chat and read from a CSV
// file is refused by the same domain rule, in the same words (the CSV report
// adds the line and the column), in the workspace's language.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Locale } from '../db/schema.js';
import { catalog } from '../prompts/index.js';
import { importCsv, type ImportKind } from '../src/io/cli.js';
import { harness, type Harness } from './harness.js';

interface Case {
  rule: string;
  /** Chat commands that set the book up, run by alice (the admin). */
  setup: string[];
  chat: string;
  kind: ImportKind;
  csv: string;
  column: string;
  /** The sentence in English, from the catalog, as a reader would see it. */
  en: (t: ReturnType<typeof catalog>) => string;
}

const LONG = 'N'.repeat(201);

const CASES: Case[] = [
  {
    rule: 'an account name longer than a name may be',
    setup: [],
    chat: `/account add ${LONG}`,
    kind: 'accounts',
    csv: `name\n${LONG}\n`,
    column: 'name',
    en: (t) => t.errors.tooLong(201, 200),
  },
  {
    rule: 'a contact name longer than a name may be',
    setup: ['/account add Acme tier:key'],
    chat: `/contact Acme add ${LONG}`,
    kind: 'contacts',
    csv: `account,name\nAcme,${LONG}\n`,
    column: 'name',
    en: (t) => t.errors.tooLong(201, 200),
  },
  {
    rule: 'a name already used by another account (as its alias)',
    setup: ['/account add Acme tier:key aliases:AcmeCo'],
    chat: '/account add AcmeCo',
    kind: 'accounts',
    csv: 'name\nAcmeCo\n',
    column: 'name',
    en: (t) => t.account.nameTaken('AcmeCo', 'Acme'),
  },
  {
    rule: 'an alias that is another account’s name',
    setup: ['/account add Acme tier:key'],
    chat: '/account add Zeta aliases:Acme',
    kind: 'accounts',
    csv: 'name,aliases\nZeta,Acme\n',
    column: 'aliases',
    en: (t) => t.account.nameTaken('Acme', 'Acme'),
  },
  {
    rule: 'an owner who has left',
    setup: ['/account add Acme tier:key owner:@bob', '/leave @bob'],
    chat: '/account add Zeta owner:@bob',
    kind: 'accounts',
    csv: 'name,owner\nZeta,bob\n',
    column: 'owner',
    en: (t) => t.complaint.inactiveMember('bob'),
  },
  {
    rule: 'revenue over the category spend',
    setup: [],
    chat: '/account add Zeta revenue:500k spend:100k',
    kind: 'accounts',
    csv: 'name,revenue,spend\nZeta,500k,100k\n',
    column: 'revenue',
    en: (t) => t.account.revenueOverSpend('500K', '100K'),
  },
  {
    rule: 'revenue over the spend stored',
    setup: ['/account add Acme tier:key spend:100k'],
    chat: '/account set Acme revenue:500k',
    kind: 'accounts',
    csv: 'name,revenue\nAcme,500k\n',
    column: 'revenue',
    en: (t) => t.account.revenueOverSpend('500K', '100K'),
  },
  {
    rule: 'a touchpoint dated in the future',
    setup: ['/account add Acme tier:key'],
    chat: '/touch Acme visit on:2026-11-24 planned',
    kind: 'touchpoints',
    csv: 'account,member,kind,date,note\nAcme,alice,visit,2026-11-24,planned\n',
    column: 'date',
    en: (t) => t.touch.future('Tue 24 Nov 2026'),
  },
  {
    rule: 'a touchpoint dated more than five years back',
    setup: ['/account add Acme tier:key'],
    chat: '/touch Acme visit on:2021-11-01 long ago',
    kind: 'touchpoints',
    csv: 'account,member,kind,date,note\nAcme,alice,visit,2021-11-01,long ago\n',
    column: 'date',
    en: (t) => t.touch.tooOld('Mon 1 Nov 2021'),
  },
];

describe.each(['en', 'zh-CN'] as Locale[])('chat and CSV refuse alike (%s workspace)', (locale) => {
  let h: Harness;
  beforeEach(() => {
    h = harness({ locale });
  });
  afterEach(() => h.close());

  it.each(CASES)('$rule', async (c) => {
    // Someone has spoken: the workspace and its admin exist (a refused command writes nothing, not even them).
    for (const command of ['/account list', ...c.setup]) expect((await h.run(command)).reply.tone, command).not.toBe('error');
    const before = h.snapshot();
    const chat = await h.run(c.chat);
    expect(chat.reply.tone).toBe('error');
    expect(h.snapshot()).toBe(before);

    const csv = await importCsv(h.db, c.kind, c.csv, { actor: 'alice', now: h.now });
    expect(csv.errors).toHaveLength(1);
    const { line, message } = csv.errors[0]!;
    expect(line).toBe(2);
    expect(message.startsWith(`${c.column}: `), message).toBe(true);
    const sentence = message.slice(c.column.length + 2);
    // Chat's reply leads with the very sentence the file's report gives.
    expect(chat.reply.title).toBe(sentence);
    if (locale === 'en') expect(sentence).toBe(c.en(catalog('en')));
    expect(h.snapshot()).toBe(before);
  });
});
