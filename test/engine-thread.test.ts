// The engine on its worker thread (EngineThread), with a finisher module as an
// adapter names one: a command is saved once and answered; a finisher that
// fails still reports how the command went, so the rep hears whether it was
// saved; a thread that has stopped runs nothing.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellUser, SHELL_WORKSPACE } from '../src/chat/shell/shell.js';
import { AnswerFailed, EngineThread, EngineThreadGone, type Committed } from '../src/engine/thread.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
let thread: EngineThread<{ text: string }>;
const logs: string[] = [];

beforeAll(async () => {
  h = harness();
  expect((await h.run('/account add Acme tier:strategic')).ok).toBe(true);
  expect((await h.run('/account add "Unshowable Ltd"')).ok).toBe(true);
  thread = await EngineThread.start({
    db: h.file,
    defaults: { locale: 'en', timezone: 'Asia/Shanghai' },
    finisher: new URL('./fixtures/picky-finisher.ts', import.meta.url),
    entry: new URL('../src/engine-thread.ts', import.meta.url),
    logger: pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) }),
  });
});
afterAll(async () => {
  await thread?.close();
  h?.close();
});

const job = (text: string) => ({ incoming: { platform: 'shell' as const, workspaceId: SHELL_WORKSPACE, user: shellUser('alice'), text }, mentions: {} });
const notes = (note: string) => (h.db.$client.prepare('select count(*) as n from touchpoints where note = ?').get(note) as { n: number }).n;

describe('EngineThread', () => {
  it('runs a command once, reports it committed, and resolves with the finisher answer', async () => {
    const seen: Committed[] = [];
    const done = await thread.run(job('/touch Acme visit On the thread'), (c) => seen.push(c));
    expect(done).toMatchObject({ ok: true, locale: 'en', deliver: false });
    expect(done.answer.text).toMatch(/^✔ Logged a visit with Acme/);
    expect(seen).toEqual([{ ok: true, locale: 'en', deliver: false, command: 'touch', result: 'ok' }]);
    expect(notes('On the thread')).toBe(1);
  });

  it('commands sent together are each answered as their own', async () => {
    const texts = ['/touch Acme call One', '/touch Nowhere call Two', '/touch Acme call Three'];
    const done = await Promise.all(texts.map((t) => thread.run(job(t))));
    expect(done.map((d) => d.ok)).toEqual([true, false, true]);
    expect(done[1]!.answer.text).toContain('No account matches "Nowhere"');
    expect([notes('One'), notes('Two'), notes('Three')]).toEqual([1, 0, 1]);
  });

  it('a command that cannot be sent to the thread is refused alone; those sent with it still run', async () => {
    const unsendable = { ...job('/touch Acme call Unsendable'), mentions: { '@x': { platformUserId: 'U1', name: 'x', toJSON: () => 'x' } as never } };
    const [one, bad, two] = await Promise.allSettled([thread.run(job('/touch Acme call Beside 1')), thread.run(unsendable), thread.run(job('/touch Acme call Beside 2'))]);
    expect(one).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    expect(two).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { name: 'DataCloneError' } });
    expect([notes('Beside 1'), notes('Unsendable'), notes('Beside 2')]).toEqual([1, 0, 1]);
  });

  it('a finisher that fails on a saved command: rejected as AnswerFailed, saved, reported committed, and not run again', async () => {
    const seen: Committed[] = [];
    const err = await thread.run(job('/touch Unshowable Ltd visit Saved anyway'), (c) => seen.push(c)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnswerFailed);
    expect(err).toMatchObject({ saved: true, message: 'RangeError: cannot show this reply' });
    expect((err as Error).stack).toContain('picky-finisher');
    expect(seen).toEqual([{ ok: true, locale: 'en', deliver: false, command: 'touch', result: 'ok' }]);
    expect(notes('Saved anyway')).toBe(1);
  });

  it('a finisher that fails on a refused command: AnswerFailed, not saved', async () => {
    const err = await thread.run(job('/touch Unshowablex visit Nothing')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AnswerFailed', saved: false });
    expect(notes('Nothing')).toBe(0);
  });

  it('once closed, it runs nothing and says so', async () => {
    await thread.close();
    expect(thread.alive).toBe(false);
    await expect(thread.run(job('/touch Acme visit Too late'))).rejects.toBeInstanceOf(EngineThreadGone);
    expect(notes('Too late')).toBe(0);
  });
});
