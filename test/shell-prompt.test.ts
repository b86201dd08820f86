// Shell mode on a terminal: a message that arrives on its own (a nudge the clock
// delivers) while someone is typing goes above the prompt, and the prompt comes back
// with what they had typed, which still runs when they press Enter.
import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { ShellPort } from '../src/chat/shell/port.js';
import { runShell, ShellConsole } from '../src/chat/shell/shell.js';
import { reply } from '../src/engine/reply.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
afterEach(() => h.close());

/** A terminal: a keyboard and a screen that say they are a TTY. */
function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 40 });
  let screen = '';
  output.on('data', (b: Buffer) => (screen += b.toString()));
  return { input, output, screen: () => screen };
}

/** Waits (turn by turn of the event loop, no clock) until the screen shows `what`. */
async function until(screen: () => string, what: (s: string) => boolean) {
  for (let i = 0; i < 10_000 && !what(screen()); i++) await new Promise((r) => setImmediate(r));
  expect(what(screen()), screen()).toBe(true);
}

const plain = (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

it('a nudge printed while someone types at the prompt redraws the prompt and the half-typed line', async () => {
  h = harness();
  await h.run('/account add Acme tier:strategic owner:@alice');
  const { input, output, screen } = terminal();
  const console_ = new ShellConsole(output);
  const port = new ShellPort(console_);
  const done = runShell({ engine: h.engine, user: 'alice', input, output, interactive: true, console: console_ });
  await until(screen, (s) => s.includes('alice> '));
  input.write('/account li');
  await until(screen, (s) => s.endsWith('/account li'));
  const before = screen().length;
  await port.post({ dm: { platformUserId: 'alice', name: 'alice' } }, reply('warning', 'Due tomorrow: P-1 for Acme'));
  const after = plain(screen().slice(before));
  // The message on a line of its own, then the prompt with what was typed.
  expect(after).toContain('→ @alice\n  ! Due tomorrow: P-1 for Acme\n');
  expect(after.endsWith('alice> /account li')).toBe(true);
  // What was typed is still the line: finishing it runs /account list.
  input.write('st\r');
  await until(screen, (s) => s.includes('Accounts (1)'));
  input.write('.exit\r');
  await done;
});

it('piped (not a terminal), a message is printed as it is, with no prompt', async () => {
  h = harness();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (b: Buffer) => (screen += b.toString()));
  const console_ = new ShellConsole(output);
  const input = new PassThrough();
  const done = runShell({ engine: h.engine, user: 'alice', input, output, interactive: false, console: console_ });
  await new ShellPort(console_).post({ dm: { platformUserId: 'alice', name: 'alice' } }, reply('warning', 'Due tomorrow: P-1 for Acme'));
  input.end();
  await done;
  expect(screen).toBe('→ @alice\n  ! Due tomorrow: P-1 for Acme\n');
});
