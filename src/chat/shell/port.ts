import type { Writable } from 'node:stream';
import { catalog } from '../../../prompts/index.js';
import { renderText } from '../../engine/render-text.js';
import type { Reply } from '../../engine/reply.js';
import type { ChatPort, Destination, PostedRef } from '../port.js';

/** In the shell, what Steward posts elsewhere is printed, marked with where it would go. */
export class ShellPort implements ChatPort {
  readonly platform = 'shell' as const;
  private seq = 0;
  /** A stream, or the shell's console, which keeps the prompt whole when a message arrives while someone types. */
  constructor(private readonly out: Pick<Writable, 'write'> | { write(s: string): void }) {}

  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    const where = 'channel' in to ? `#${to.channel}` : `@${to.dm.name}`;
    const ts = String(++this.seq);
    this.out.write(`→ ${where}${thread ? ` (thread ${thread.ts})` : ''}\n${this.render(reply)}\n`);
    return { channel: 'channel' in to ? to.channel : `@${to.dm.platformUserId}`, ts: thread ? thread.ts : ts };
  }

  async update(ref: PostedRef, reply: Reply): Promise<void> {
    this.out.write(`→ (updated ${ref.channel} ${ref.ts})\n${this.render(reply)}\n`);
  }

  private render(reply: Reply): string {
    return renderText(reply, catalog(reply.locale ?? 'en').common.andMore).replace(/^/gm, '  ');
  }
}
