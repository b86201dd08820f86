// A handler may return a promise (issue #19's step 1): the engine awaits it
// inside the command's transaction. Commands on one connection then take turns
// (none runs while another waits on an await), a refusal after an await undoes
// only its own command (alone, or in a group's savepoint), an event's dedupe key
// stays seen, and a trial writes nothing. Real handlers beside one test command.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../handlers/index.js';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { Engine, type Incoming } from '../src/engine/engine.js';
import { UserError } from '../src/engine/errors.js';
import { reply } from '../src/engine/reply.js';
import type { CommandSpec } from '../src/engine/spec.js';
import { harness, type Harness } from './harness.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Events of the test command, in the order they happened. */
const events: string[] = [];

/** `/slow <text>`: writes an audit row, waits for other work to have its chance, writes another; `fail` in the text refuses after both. */
const slow: CommandSpec = {
  name: 'slow',
  summary: 'touch',
  examples: { en: [], 'zh-CN': [] },
  forms: [
    {
      usage: '<text>',
      text: { name: 'text', required: true },
      run: async (ctx, input) => {
        events.push(`start ${input.text}`);
        await ctx.audit('slow.before', input.text, null);
        await turn();
        await new Promise((resolve) => setTimeout(resolve, 2));
        await ctx.audit('slow.after', input.text, null);
        events.push(`end ${input.text}`);
        if (input.text.includes('fail')) throw UserError.refusal('refused after the await');
        return reply('success', `done ${input.text}`);
      },
    },
  ],
};

let h: Harness;
let engine: Engine;
beforeEach(async () => {
  events.length = 0;
  h = harness();
  engine = new Engine({ db: h.db, commands: [...commands, slow], defaults: { locale: 'en', timezone: 'Asia/Shanghai' }, clock: () => h.now });
  expect((await h.run('/account add Acme')).ok).toBe(true);
});
afterEach(() => h.close());

const as = (text: string, more: Partial<Incoming> = {}): Incoming => ({ platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text, ...more });
const rows = () =>
  (h.db.$client.prepare("select action, entity from audit_log where action like 'slow.%' order by id").all() as { action: string; entity: string }[]).map(
    (r) => `${r.action} ${r.entity}`,
  );
const notes = () => (h.db.$client.prepare('select note from touchpoints order by id').all() as { note: string }[]).map((r) => r.note);

describe('a handler that returns a promise', () => {
  it('is awaited in its transaction; commands arriving meanwhile wait their turn; a refusal after the await undoes only its own', async () => {
    const outs = await Promise.all([
      engine.handle(as('/slow one')),
      engine.handle(as('/slow fail two')),
      engine.handle(as('/touch Acme visit Between')),
      engine.handle(as('/slow three')),
    ]);
    expect(outs.map((o) => o.ok)).toEqual([true, false, true, true]);
    expect(outs[1]!.reply.title).toContain('refused after the await');
    expect(events).toEqual(['start one', 'end one', 'start fail two', 'end fail two', 'start three', 'end three']);
    expect(rows()).toEqual(['slow.before one', 'slow.after one', 'slow.before three', 'slow.after three']);
    expect(notes()).toEqual(['Between']);
    expect(h.db.$client.inTransaction).toBe(false);
  });

  it('in a group: each command in its savepoint, in turn; the refused one undone alone, the signed requests recorded first', async () => {
    const now = new Date();
    const { outs, firsts } = await engine.handleGroup(
      [as('/slow a'), as('/slow fail b'), as('/touch Acme visit Grouped'), as('/slow c')].map((incoming) => ({ incoming, mentions: {} })),
      [{ key: 'slack:x', expiresAt: new Date(now.getTime() + 60_000), now }],
    );
    expect(outs.map((o) => o.ok)).toEqual([true, false, true, true]);
    expect(firsts).toEqual([true]);
    expect(events).toEqual(['start a', 'end a', 'start fail b', 'end fail b', 'start c', 'end c']);
    expect(rows()).toEqual(['slow.before a', 'slow.after a', 'slow.before c', 'slow.after c']);
    expect(notes()).toEqual(['Grouped']);
    expect(await engine.firstRequest('slack:x', new Date(now.getTime() + 60_000), now)).toBe(false);
  });

  it("an event's dedupe key is seen with the command, and stays seen when the command is refused after its await", async () => {
    expect((await engine.handle(as('/slow fail d', { dedupeKey: 'ev-1' }))).ok).toBe(false);
    expect(await engine.handle(as('/slow fail d', { dedupeKey: 'ev-1' }))).toMatchObject({ duplicate: true });
    expect((await engine.handle(as('/slow e', { dedupeKey: 'ev-2' }))).ok).toBe(true);
    expect(await engine.handle(as('/slow e', { dedupeKey: 'ev-2' }))).toMatchObject({ duplicate: true });
    expect(rows()).toEqual(['slow.before e', 'slow.after e']);
  });

  it('a trial runs it to its answer and writes nothing', async () => {
    const out = await engine.trial(as('/slow tried'));
    expect(out.ok).toBe(true);
    expect(events).toEqual(['start tried', 'end tried']);
    expect(rows()).toEqual([]);
  });
});
