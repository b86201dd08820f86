// Commands that arrive together on the engine thread share one transaction
// (Engine.handleAll), each in its own savepoint: a refusal or a failure undoes
// only its own writes, the rest are saved, and each outcome is its own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import type { Incoming } from '../src/engine/engine.js';
import { renderText } from '../src/engine/render-text.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = harness();
  expect((await h.run('/account add Acme tier:strategic')).ok).toBe(true);
  expect((await h.run('/account add Globex')).ok).toBe(true);
});
afterEach(() => h.close());

const as = (text: string, user = 'alice'): { incoming: Incoming; mentions: Record<string, never> } => ({
  incoming: { platform: 'shell', workspaceId: SHELL_WORKSPACE, user: shellUser(user), text },
  mentions: {},
});
const notes = () => (h.db.$client.prepare('select note from touchpoints order by id').all() as { note: string }[]).map((r) => r.note);
const audits = () => (h.db.$client.prepare("select count(*) as n from audit_log where action = 'touch.log'").get() as { n: number }).n;

describe('a group of commands in one transaction', () => {
  it('records each success, undoes only the refusal, and answers each command as it would alone', async () => {
    const outs = await h.engine.handleAll([
      as('/touch Acme visit First'),
      as('/touch Nowhere visit Refused'),
      as('/touch Globex call Third', 'bob'),
      as('/touch Acme visit on:2099-01-01 Future'),
    ]);
    expect(outs.map((o) => o.ok)).toEqual([true, false, true, false]);
    expect(renderText(outs[0]!.reply)).toMatch(/^✔ Logged a visit with Acme/);
    expect(renderText(outs[1]!.reply)).toContain('No account matches "Nowhere"');
    expect(renderText(outs[2]!.reply)).toMatch(/^✔ Logged a call with Globex/);
    expect(notes()).toEqual(['First', 'Third']);
    expect(audits()).toBe(2);
    // Bob spoke for the first time inside the group: he exists once.
    expect(h.db.$client.prepare("select count(*) as n from members where platform_user_id = 'bob'").get()).toEqual({ n: 1 });
  });

  it('a command that fails unexpectedly is undone alone, with the internal-error answer', async () => {
    // A trigger that fails one insert: the kind of fault no handler expects.
    h.db.$client.exec("create trigger boom before insert on touchpoints when new.note = 'Explode' begin select raise(abort, 'disk on fire'); end");
    const outs = await h.engine.handleAll([as('/touch Acme visit Before'), as('/touch Acme visit Explode'), as('/touch Acme visit After')]);
    expect(outs.map((o) => o.ok)).toEqual([true, false, true]);
    expect(renderText(outs[1]!.reply)).toContain('nothing was saved');
    expect(notes()).toEqual(['Before', 'After']);
  });

  it('when the group cannot have its transaction, nothing is saved and every command hears so', async () => {
    // Another connection holds the write lock: BEGIN IMMEDIATE waits busy_timeout, then gives up.
    h.db.$client.pragma('busy_timeout = 50');
    const other = new (h.db.$client.constructor as typeof import('better-sqlite3'))(h.file);
    other.exec('begin immediate');
    try {
      const outs = await h.engine.handleAll([as('/touch Acme visit One'), as('/touch Acme visit Two')]);
      expect(outs.map((o) => o.ok)).toEqual([false, false]);
      for (const o of outs) expect(renderText(o.reply)).toContain('nothing was saved');
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect(notes()).toEqual([]);
  });

  it('signed requests recorded in the group are kept when a command fails; a replay in the same group is refused', async () => {
    h.db.$client.exec("create trigger boom before insert on touchpoints when new.note = 'Explode' begin select raise(abort, 'disk on fire'); end");
    const now = new Date();
    const req = (key: string) => ({ key, expiresAt: new Date(now.getTime() + 300_000), now });
    const { outs, firsts } = await h.engine.handleGroup([as('/touch Acme visit Explode')], [req('slack:a'), req('slack:b'), req('slack:a')]);
    expect(outs.map((o) => o.ok)).toEqual([false]);
    expect(firsts).toEqual([true, true, false]);
    expect(await h.engine.firstRequest('slack:b', new Date(now.getTime() + 300_000), now)).toBe(false);
    expect(notes()).toEqual([]);
  });

  it('when the group cannot have its transaction, no signed request is recorded either', async () => {
    h.db.$client.pragma('busy_timeout = 50');
    const other = new (h.db.$client.constructor as typeof import('better-sqlite3'))(h.file);
    other.exec('begin immediate');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 300_000);
    try {
      const { outs, firsts } = await h.engine.handleGroup([as('/touch Acme visit One')], [{ key: 'slack:c', expiresAt, now }]);
      expect(outs.map((o) => o.ok)).toEqual([false]);
      expect(firsts).toBeUndefined();
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect(await h.engine.firstRequest('slack:c', expiresAt, now)).toBe(true);
  });

  it('one command alone runs as it would through handle()', async () => {
    const [alone] = await h.engine.handleAll([as('/touch Acme visit Alone')]);
    const typed = await h.engine.handle(as('/touch Acme visit Typed').incoming);
    expect(alone!.ok).toBe(true);
    expect(alone).toEqual(typed);
    expect(notes()).toEqual(['Alone', 'Typed']);
  });
});
