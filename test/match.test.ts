// Finding the account a person meant, through the real engine and a real SQLite
// file, and matchIn on in-memory lists.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { looksMistyped, matchIn } from '../src/domain/match.js';
import { harness, type Harness } from './harness.js';

/** The account names the touchpoints were logged against, oldest first. */
function touchedAccounts(h: Harness): string[] {
  return (h.db.$client.prepare('select a.name from touchpoints t join accounts a on a.id = t.account_id order by t.id').all() as { name: string }[]).map((r) => r.name);
}

describe('account matching through /touch', () => {
  let h: Harness;
  beforeEach(async () => {
    h = harness();
    for (const cmd of [
      '/account add Acme Logistics tier:strategic',
      '/account add Acme Foods',
      '/account add 华东汽配',
      '/account add Globex aliases:GLX,艾克美',
      '/account add Initech',
    ]) {
      const out = await h.run(cmd);
      expect(out.ok, `${cmd}: ${out.text}`).toBe(true);
    }
  });
  afterEach(() => h.close());

  /** Runs a /touch that must succeed and returns the account it was logged against. */
  async function touched(cmd: string): Promise<string> {
    const before = touchedAccounts(h).length;
    const out = await h.run(cmd);
    expect(out.ok, `${cmd}: ${out.text}`).toBe(true);
    const after = touchedAccounts(h);
    expect(after).toHaveLength(before + 1);
    return after.at(-1)!;
  }

  it('finds an account by its exact name', async () => {
    expect(await touched('/touch Initech call Confirmed volumes')).toBe('Initech');
    expect((await h.run('/touch Initech call again')).text).toContain('Logged a call with Initech');
  });

  it('matches names case-insensitively', async () => {
    expect(await touched('/touch INITECH call x')).toBe('Initech');
    expect(await touched('/touch initech call x')).toBe('Initech');
  });

  it('finds an account by a unique prefix', async () => {
    expect(await touched('/touch Glob call x')).toBe('Globex');
    expect(await touched('/touch init call x')).toBe('Initech');
  });

  it('finds an account by a unique substring', async () => {
    expect(await touched('/touch logist call x')).toBe('Acme Logistics');
    expect(await touched('/touch Foods call x')).toBe('Acme Foods');
  });

  it('finds Chinese names by prefix and by substring', async () => {
    const out = await h.run('/拜访 华东 拜访 参观了新仓库');
    expect(out.ok, out.text).toBe(true);
    expect(out.text).toContain('华东汽配');
    expect(touchedAccounts(h)).toEqual(['华东汽配']);
    expect(await touched('/touch 汽配 call x')).toBe('华东汽配');
  });

  it('finds an account by an exact alias, ASCII or Chinese, and by part of an alias', async () => {
    expect(await touched('/touch GLX call x')).toBe('Globex');
    expect(await touched('/touch glx call x')).toBe('Globex');
    expect(await touched('/touch 艾克美 call x')).toBe('Globex');
    expect(await touched('/touch 克美 call x')).toBe('Globex');
  });

  it('an exact alias wins over a name it is only a prefix of', async () => {
    expect((await h.run('/account set Initech aliases:Acme')).ok).toBe(true);
    // "Acme" is a prefix of two names but exactly an alias of Initech.
    expect(await touched('/touch acme call x')).toBe('Initech');
  });

  it('reads an unquoted multi-word name before the kind', async () => {
    const out = await h.run('/touch Acme Logistics visit Walked the new warehouse');
    expect(out.ok, out.text).toBe(true);
    expect(out.text).toContain('Logged a visit with Acme Logistics');
    const row = h.db.$client.prepare('select note, kind from touchpoints').get() as { note: string; kind: string };
    expect(row).toEqual({ note: 'Walked the new warehouse', kind: 'visit' });
    expect(await touched('/touch acme   foods call x')).toBe('Acme Foods');
    expect(await touched('/steward touch "Acme Foods" call x')).toBe('Acme Foods');
  });

  it('takes the longest reading that is a name or an alias, and a name before an alias of the same words', async () => {
    expect((await h.run('/account add Acme')).ok).toBe(true);
    expect(await touched('/touch acme logistics visit x')).toBe('Acme Logistics');
    expect(await touched('/touch acme visit logistics x')).toBe('Acme');
    // A longer reading by alias beats a shorter one by name.
    expect((await h.run('/account set Initech aliases:"Acme Logistics East"')).ok).toBe(true);
    expect(await touched('/touch Acme Logistics East call x')).toBe('Initech');
    // The same words as a name and as another account's alias (the commands refuse that; an import could leave it): the name.
    const c = h.db.$client;
    const initech = c.prepare("select id, tenant_id from accounts where name = 'Initech'").get() as { id: number; tenant_id: number };
    c.prepare("insert into account_aliases (tenant_id, account_id, key) values (?, ?, 'acme foods')").run(initech.tenant_id, initech.id);
    expect(await touched('/touch acme foods call x')).toBe('Acme Foods');
  });

  it('lists the candidates for an ambiguous prefix and writes nothing', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch Acme visit Walked the warehouse');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('"Acme" matches more than one account.');
    expect(out.text).toContain('Acme Logistics');
    expect(out.text).toContain('Acme Foods');
    expect(out.text).not.toContain('Globex');
    expect(h.snapshot()).toBe(before);
  });

  it('an unquoted multi-word typo still names both candidates when its first word is ambiguous', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch Acme Logistcs visit x');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('Acme Logistics');
    expect(h.snapshot()).toBe(before);
  });

  it('suggests the closest names for an unknown name and writes nothing', async () => {
    const before = h.snapshot();
    const out = await h.run('/touch "Acme Logistcs" visit Walked the warehouse');
    expect(out.ok).toBe(false);
    // Closest first.
    expect(out.text).toContain('No account matches "Acme Logistcs". Did you mean Acme Logistics');
    expect(h.snapshot()).toBe(before);

    const typo = await h.run('/touch Initeck call x');
    expect(typo.text).toContain('No account matches "Initeck". Did you mean Initech?');
  });

  it('offers no suggestion when nothing is close', async () => {
    const out = await h.run('/touch Zzyzx call x');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('No account matches "Zzyzx".');
    expect(out.text).not.toContain('Did you mean');
  });

  it('normalises full-width letters typed for an ASCII name (NFKC)', async () => {
    expect(await touched('/touch Ｉｎｉｔｅｃｈ call x')).toBe('Initech');
    expect(await touched('/touch Ａｃｍｅ Ｆｏｏｄｓ call x')).toBe('Acme Foods');
  });

  it('normalises a full-width account name so ASCII typing finds it', async () => {
    expect((await h.run('/account add Ｗａｙｎｅ Ｅｎｔｅｒｐｒｉｓｅｓ')).ok).toBe(true);
    expect(await touched('/touch wayne enterprises call x')).toBe('Ｗａｙｎｅ Ｅｎｔｅｒｐｒｉｓｅｓ');
    expect(await touched('/touch wayne call x')).toBe('Ｗａｙｎｅ Ｅｎｔｅｒｐｒｉｓｅｓ');
  });

  it('refuses a second account whose name is already used, in any case or width', async () => {
    const before = h.snapshot();
    const out = await h.run('/account add ＩＮＩＴＥＣＨ');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('is already used by the account Initech');
    expect(h.snapshot()).toBe(before);
  });

  // BUG (match.ts accountByExactName / matchAccount): aliases are stored as typed and
  // compared with SQLite lower(), which folds ASCII only and does no NFKC. An alias with a
  // non-ASCII capital or full-width letters cannot be found, not even by typing it exactly.
  it('finds aliases with non-ASCII capitals or full-width letters', async () => {
    expect((await h.run('/account set Initech aliases:ÖBB,ＩＮＴ')).ok).toBe(true);
    expect(await touched('/touch ÖBB call x')).toBe('Initech');
    expect(await touched('/touch öbb call x')).toBe('Initech');
    expect(await touched('/touch int call x')).toBe('Initech');
  });
});

describe('unquoted multi-word typo with one similar account', () => {
  // BUG (bind.ts bindAccount): "Acme" alone is a unique prefix, so "Logistcs" is read as the
  // touch kind and the user is told '"Logistcs" isn't a kind' instead of being offered the name.
  it('/touch Acme Logistcs visit ... suggests Acme Logistics', async () => {
    const h = harness();
    try {
      await h.run('/account add Acme Logistics');
      const before = h.snapshot();
      const out = await h.run('/touch Acme Logistcs visit Walked the warehouse');
      expect(h.snapshot()).toBe(before);
      expect(out.text).toContain('Did you mean Acme Logistics');
    } finally {
      h.close();
    }
  });
});

describe('matchIn', () => {
  type Person = { name: string; aliases?: string[] };
  const people: Person[] = [{ name: 'Li Wei', aliases: ['小李'] }, { name: 'Li Na' }, { name: 'Wang Lei', aliases: ['王磊'] }, { name: 'Zhang Min' }];
  const names = (p: Person) => [p.name, ...(p.aliases ?? [])];

  it('finds an exact name, case-insensitively', () => {
    expect(matchIn(people, 'li wei', names)).toEqual({ kind: 'found', item: people[0] });
    expect(matchIn(people, 'ZHANG MIN', names)).toEqual({ kind: 'found', item: people[3] });
  });

  it('prefers an exact match over a prefix of another name', () => {
    const items = [{ name: 'Li' }, { name: 'Li Wei' }];
    expect(matchIn(items, 'li', (p) => [p.name])).toEqual({ kind: 'found', item: items[0] });
  });

  it('finds a unique prefix, then a unique substring', () => {
    expect(matchIn(people, 'wang', names)).toEqual({ kind: 'found', item: people[2] });
    expect(matchIn(people, 'min', names)).toEqual({ kind: 'found', item: people[3] });
  });

  it('finds by alias, Chinese included', () => {
    expect(matchIn(people, '王磊', names)).toEqual({ kind: 'found', item: people[2] });
    expect(matchIn(people, '小李', names)).toEqual({ kind: 'found', item: people[0] });
  });

  it('returns every candidate for an ambiguous prefix', () => {
    const m = matchIn(people, 'li', names);
    expect(m.kind).toBe('ambiguous');
    if (m.kind === 'ambiguous') expect(m.candidates.map((p) => p.name).sort()).toEqual(['Li Na', 'Li Wei']);
  });

  it('normalises full-width letters and extra spaces', () => {
    expect(matchIn(people, 'Ｌｉ  Ｎａ', names)).toEqual({ kind: 'found', item: people[1] });
  });

  it('suggests the closest names, closest first, for an unknown one', () => {
    const lie = matchIn(people, 'Wang Lie', names);
    expect(lie.kind).toBe('none');
    if (lie.kind === 'none') {
      expect(lie.suggestions[0]).toBe('Wang Lei');
      expect(lie.suggestions).not.toContain('Li Na');
    }
    const m = matchIn([{ name: 'touch' }, { name: 'complaint' }, { name: 'account' }], 'tuoch', (c) => [c.name]);
    expect(m).toEqual({ kind: 'none', suggestions: ['touch'] });
  });

  it('offers nothing for an empty or far-off query', () => {
    expect(matchIn(people, '', names)).toEqual({ kind: 'none', suggestions: [] });
    expect(matchIn(people, '   ', names)).toEqual({ kind: 'none', suggestions: [] });
    expect(matchIn(people, 'Qqqqqqqq', names)).toEqual({ kind: 'none', suggestions: [] });
  });

  it('does not repeat a suggestion that matches two names of one item', () => {
    const items = [{ name: 'Acme', aliases: ['Acme'] }];
    const m = matchIn(items, 'acne', (i) => [i.name, ...i.aliases]);
    expect(m).toEqual({ kind: 'none', suggestions: ['Acme'] });
  });
});

describe('looksMistyped (a shell @name or CSV name that is someone else’s, mistyped)', () => {
  it('takes neighbouring letters swapped, or a letter missing or extra in a name of four or more', () => {
    for (const [typed, name] of [
      ['zhnag', 'zhang'],
      ['wnag', 'wang'],
      ['zhan', 'zhang'],
      ['zhanng', 'zhang'],
      ['Zhnag', 'zhang'],
    ] as const)
      expect(looksMistyped(typed, name), typed).toBe(true);
  });
  it('leaves other names alone: another letter, a number, a short name, the name itself', () => {
    for (const [typed, name] of [
      ['rep1b', 'rep1a'],
      ['mgr2', 'mgr1'],
      ['chen2', 'chen'],
      ['Rep 10', 'Rep 1'],
      ['rep21', 'rep12'],
      ['lu', 'li'],
      ['li', 'lia'],
      ['zhang', 'zhang'],
      ['zhao', 'zhang'],
    ] as const)
      expect(looksMistyped(typed, name), typed).toBe(false);
  });
});
