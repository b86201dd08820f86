// The command registry: names are unique at startup, help lists everything,
// /steward <name> is the same as /<name>, unknown commands get a suggestion.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../handlers/index.js';
import { Registry } from '../src/engine/registry.js';
import { reply } from '../src/engine/reply.js';
import type { CommandSpec, FormSpec } from '../src/engine/spec.js';
import { harness, type Harness } from './harness.js';

const run: FormSpec['run'] = () => reply('info', 'ok');

function spec(name: string, aliases: string[] = [], forms: FormSpec[] = [{ usage: '', run }]): CommandSpec {
  return { name, aliases, summary: 'touch', forms, examples: { en: [], 'zh-CN': [] } };
}

describe('Registry construction', () => {
  it('accepts distinct commands and finds them by name or alias, with or without the slash', () => {
    const a = spec('alpha', ['a1', '阿尔法']);
    const b = spec('beta');
    const r = new Registry([a, b]);
    expect(r.get('alpha')).toBe(a);
    expect(r.get('/A1')).toBe(a);
    expect(r.get('阿尔法')).toBe(a);
    expect(r.get('/beta')).toBe(b);
    expect(r.get('gamma')).toBeUndefined();
    expect(r.names().sort()).toEqual(['a1', 'alpha', 'beta', '阿尔法'].sort());
  });

  it('refuses two commands with the same name, naming both', () => {
    expect(() => new Registry([spec('touch'), spec('touch')])).toThrow(/"touch".*\/touch.*\/touch/);
  });

  it("refuses an alias that is another command's name, naming both commands", () => {
    expect(() => new Registry([spec('touch'), spec('visit', ['touch'])])).toThrow(/\/touch and \/visit/);
  });

  it('refuses two commands sharing an alias, whatever the case or width', () => {
    expect(() => new Registry([spec('touch', ['log']), spec('journal', ['LOG'])])).toThrow(/"LOG".*\/touch and \/journal/);
    expect(() => new Registry([spec('touch', ['log']), spec('journal', ['ｌｏｇ'])])).toThrow(/\/touch and \/journal/);
  });

  it('refuses a subcommand declared twice in one command, as name or alias', () => {
    const twice = spec(
      'thing',
      [],
      [
        { sub: 'add', usage: '', run },
        { sub: 'new', subAliases: ['add'], usage: '', run },
      ],
    );
    expect(() => new Registry([twice])).toThrow(/\/thing declares the subcommand "add" twice/);
    const sameName = spec(
      'thing',
      [],
      [
        { sub: 'list', usage: '', run },
        { sub: 'List', usage: '', run },
      ],
    );
    expect(() => new Registry([sameName])).toThrow(/\/thing declares the subcommand "List" twice/);
  });

  it('allows two commands to use the same subcommand word', () => {
    const a = spec('alpha', [], [{ sub: 'add', usage: '', run }]);
    const b = spec('beta', [], [{ sub: 'add', usage: '', run }]);
    expect(() => new Registry([a, b])).not.toThrow();
  });

  it('constructs from the real commands, and every name and alias resolves to its command', () => {
    const r = new Registry(commands);
    for (const c of commands) for (const n of [c.name, ...(c.aliases ?? [])]) expect(r.get(`/${n}`)?.name, n).toBe(c.name);
    expect(r.names().length).toBe(commands.reduce((n, c) => n + 1 + (c.aliases?.length ?? 0), 0));
  });
});

describe('help and dispatch through the engine', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  it('/steward help lists every command', async () => {
    const out = await h.run('/steward help');
    expect(out.ok).toBe(true);
    expect(commands.length).toBeGreaterThan(5);
    for (const c of commands) expect(out.text).toMatch(new RegExp(`/${c.name} — `));
    expect(out.text).toContain('/touch — Log a visit');
    expect(out.text).toContain('/拜访');
  });

  it('/steward alone and /steward ? show the same help', async () => {
    const help = (await h.run('/steward help')).text;
    expect((await h.run('/steward')).text).toBe(help);
    expect((await h.run('/steward ?')).text).toBe(help);
  });

  it('/steward help touch shows the usage and the examples', async () => {
    const out = await h.run('/steward help touch');
    expect(out.ok).toBe(true);
    expect(out.text).toContain('/touch — Log a visit');
    expect(out.text).toContain('Usage:');
    expect(out.text).toContain('/touch <account> <kind> [to:<contact>] [with:@colleague] [on:<date>] <note>');
    expect(out.text).toContain('Examples');
    expect(out.text).toContain('/touch Acme visit to:"Li Wei" on:yesterday');
    expect(out.text).toContain('/touchpoint /log /拜访 /触点');
  });

  it('/steward help finds a command by its Chinese alias', async () => {
    const out = await h.run('/steward help 拜访');
    expect(out.ok).toBe(true);
    expect(out.text).toContain('/touch <account> <kind>');
  });

  it('/steward touch ... does exactly what /touch ... does', async () => {
    await h.run('/account add Acme Logistics');
    const direct = await h.run('/touch Acme visit Walked the warehouse');
    const via = await h.run('/steward touch Acme visit Walked the warehouse');
    expect(direct.ok).toBe(true);
    expect(via.text).toBe(direct.text);
    const rows = h.db.$client.prepare('select kind, note, account_id from touchpoints order by id').all();
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual(rows[0]);
  });

  it('/steward touch with a mistake gives the same usage error as /touch', async () => {
    const direct = await h.run('/touch');
    const via = await h.run('/steward touch');
    expect(direct.ok).toBe(false);
    expect(via.text).toBe(direct.text);
    expect(via.text).toContain('/touch <account> <kind>');
  });

  it('an unknown command suggests the closest one and writes nothing', async () => {
    await h.run('/steward whoami');
    const before = h.snapshot();
    const out = await h.run('/tuoch Acme visit x');
    expect(out.ok).toBe(false);
    expect(out.text).toContain('I don\'t know the command "tuoch". Did you mean /touch?');
    expect(h.snapshot()).toBe(before);
    const via = await h.run('/steward tuoch');
    expect(via.text).toContain('Did you mean /touch?');
    const help = await h.run('/steward help tuoch');
    expect(help.ok).toBe(false);
    expect(help.text).toContain('Did you mean /touch?');
  });

  it('an unknown command with nothing close points to /steward help', async () => {
    const out = await h.run('/xyzzyplugh');
    expect(out.ok).toBe(false);
    expect(out.text).not.toContain('Did you mean');
    expect(out.text).toContain('/steward help');
  });
});
