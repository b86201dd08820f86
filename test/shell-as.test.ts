// The shell's own .as: with no name it says its usage, rather than passing ".as" on as an unknown command.
import { PassThrough, Readable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { runShell } from '../src/chat/shell/shell.js';
import { harness, type Harness } from './harness.js';

let h: Harness;
afterEach(() => h.close());

it('.as with no name says its usage; .as <name> still switches', async () => {
  h = harness();
  const output = new PassThrough();
  let out = '';
  output.on('data', (b: Buffer) => (out += b.toString()));
  await runShell({ engine: h.engine, user: 'alice', input: Readable.from(['.as\n', '.as   \n', '.as li\n']), output, interactive: false });
  expect(out.split('\n').filter((l) => l !== '')).toEqual([
    'Usage: .as <name>, to act as someone else (for example .as li).',
    'Usage: .as <name>, to act as someone else (for example .as li).',
    'You are now li.',
  ]);
});
