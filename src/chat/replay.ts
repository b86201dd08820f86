// What every platform's signed requests share: a body read up to a size, a window around the signing
// time, and a store of signatures already seen (the replay store; Engine's
// firstRequest keeps it in the database every instance shares).
import type { IncomingMessage } from 'node:http';

/** A request signed further from now than this, either way, is refused (Slack's 5 minutes, kept for Lark too). */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

/** Records a signature until it expires; false when it was already there (the request is a replay). */
export type FirstRequest = (key: string, expiresAt: Date, now: Date) => Promise<boolean>;
/** FirstRequest, or recorded elsewhere (on the engine thread's connection) and answered later. */
export type FirstRequestAsync = (key: string, expiresAt: Date, now: Date) => boolean | Promise<boolean>;

/** A request's body, or undefined once it grows past `maxBytes` (the caller answers 413). */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
