// The shell adapter: the same commands a rep types in Slack or Lark, typed in a
// terminal (with history) or piped in by a script. Replies go to stdout; what
// Steward would post elsewhere (a channel, someone's DM) is printed with an arrow.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Role } from '../../../db/schema.js';
import { catalog } from '../../../prompts/index.js';
import { normalize } from '../../domain/text.js';
import type { Engine, Outcome, UserRef } from '../../engine/engine.js';
import { renderText } from '../../engine/render-text.js';

export const SHELL_WORKSPACE = 'local';
const HISTORY_SIZE = 500;

export interface ShellOptions {
  engine: Engine;
  user: string;
  role?: Role;
  input: Readable;
  output: Writable;
  /** Interactive: a prompt and line history. Piped: replies only, exit at end of input. */
  interactive: boolean;
  historyFile?: string;
  /** Runs after each command: delivers or queues what it asked Steward to tell others. */
  afterCommand?: () => Promise<void>;
  /** Where messages that arrive on their own are printed (the ShellPort's output), so they do not break the prompt. */
  console?: ShellConsole;
}

/**
 * The terminal, shared by the shell and what arrives on its own (a nudge the clock
 * delivers, an escalation): a message printed while someone is typing at the prompt
 * goes above it, and the prompt is drawn again with what they had typed so far.
 */
export class ShellConsole {
  private rl: Interface | undefined;
  private atPrompt = false;
  constructor(readonly output: Writable) {}

  /** The shell's readline, and whether it is waiting at its prompt (only when it draws one). */
  attach(rl: Interface | undefined): void {
    this.rl = rl;
    this.atPrompt = false;
  }
  prompting(at: boolean): void {
    this.atPrompt = at && this.rl !== undefined;
  }

  write(s: string): void {
    if (!this.atPrompt || !this.rl) {
      this.output.write(s);
      return;
    }
    // Over the prompt line, then the prompt again with the half-typed line (rl.line) and its cursor.
    clearLine(this.output, 0);
    cursorTo(this.output, 0);
    this.output.write(s.endsWith('\n') ? s : `${s}\n`);
    this.rl.prompt(true);
  }
}

/** `@li` in the shell is the shell user named li; they are created on first mention. */
export function shellUser(name: string): UserRef {
  const clean = name.replace(/^@/, '').trim();
  return { platformUserId: normalize(clean), name: clean };
}

export function renderOutcome(outcome: Outcome): string {
  return renderText(outcome.reply, catalog(outcome.locale).common.andMore);
}

/** What people type to leave a terminal program; none of them is a Steward command. */
const EXIT = new Set(['.exit', '.quit', 'exit', 'quit', '退出']);

export async function runShell(opts: ShellOptions): Promise<void> {
  let user = shellUser(opts.user);
  const history = opts.historyFile && existsSync(opts.historyFile) ? readFileSync(opts.historyFile, 'utf8').split('\n').filter(Boolean).reverse() : [];
  const rl = createInterface({
    input: opts.input,
    output: opts.interactive ? opts.output : undefined,
    terminal: opts.interactive,
    history,
    historySize: HISTORY_SIZE,
    prompt: `${user.name}> `,
  });
  // A reader that goes away (`npm start < script | head`) ends the session quietly; every command has committed.
  let closed = false;
  opts.output.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    rl.close();
  });
  const write = (s: string) => {
    if (!closed) opts.output.write(s.endsWith('\n') ? s : `${s}\n`);
  };
  opts.console?.attach(opts.interactive ? rl : undefined);
  const prompt = () => {
    rl.prompt();
    opts.console?.prompting(true);
  };
  if (opts.interactive) {
    write(`Steward shell: you are ${user.name}. Type /steward help, or .as <name> to act as someone else, .exit to leave.`);
    prompt();
  }
  // Lines are handled strictly in order, even when a script pipes them faster than commands finish.
  for await (const raw of rl) {
    opts.console?.prompting(false);
    if (closed) break;
    const line = raw.trim();
    if (EXIT.has(line.toLowerCase())) break;
    if (line === '.as' || (line.startsWith('.as ') && shellUser(line.slice(4)).name === '')) {
      write('Usage: .as <name>, to act as someone else (for example .as li).');
    } else if (line.startsWith('.as ')) {
      user = shellUser(line.slice(4));
      rl.setPrompt(`${user.name}> `);
      write(`You are now ${user.name}.`);
    } else if (line !== '' && !line.startsWith('#')) {
      const outcome = await opts.engine.handle(
        {
          platform: 'shell',
          workspaceId: SHELL_WORKSPACE,
          user,
          text: line,
          assumeRole: normalize(user.name) === normalize(opts.user) ? opts.role : undefined,
        },
        async (mention) => shellUser(mention),
      );
      write(renderOutcome(outcome));
      await opts.afterCommand?.();
      write('');
    }
    if (opts.interactive) prompt();
  }
  opts.console?.attach(undefined);
  rl.close();
  if (opts.historyFile && opts.interactive) {
    const lines = (rl as unknown as { history: string[] }).history.slice(0, HISTORY_SIZE).reverse();
    writeFileSync(opts.historyFile, `${lines.join('\n')}\n`);
  }
}
