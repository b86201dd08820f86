// A Reply as Slack shows it, and the answer to a slash command (in its ack, or
// at its response_url). Shared by the Bolt app, SlackPort and the engine thread
// (which renders slash commands' answers off the loop that acks them), so all
// three send the same payload. Nothing here imports Bolt or touches the database.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { Locale } from '../../../db/schema.js';
import { catalog } from '../../../prompts/index.js';
import type { Outcome } from '../../engine/engine.js';
import type { Reply } from '../../engine/reply.js';
import { renderBlocks, type RenderedBlocks, type RenderOptions } from './blocks.js';

/**
 * Block Kit for `reply`, with the "…and N more" of cut content (and the names
 * of sections left out) in the reply's own language (`fallback` when it does not say); what had to be cut to fit
 * Slack's limits is logged at warn level.
 */
export function renderFor(reply: Reply, logger: Pick<Logger, 'warn'> | undefined, fallback: Locale = 'en', opts: Omit<RenderOptions, 'andMore'> = {}): RenderedBlocks {
  const { andMore, notShown } = catalog(reply.locale ?? fallback).common;
  const out = renderBlocks(reply, { ...opts, andMore, notShown });
  if (out.warnings.length) logger?.warn({ warnings: out.warnings }, 'Slack reply cut to fit Block Kit limits');
  return out;
}

export interface CommandPayload {
  blocks: RenderedBlocks['blocks'];
  text: string;
  response_type: 'in_channel' | 'ephemeral';
}

/** A slash command's answer for an outcome: the body of its ack, or what its response_url receives. */
export function commandPayload(out: Outcome, logger: Pick<Logger, 'warn'> | undefined): CommandPayload {
  const { blocks, text } = renderFor(out.reply, logger, out.locale);
  return { blocks, text, response_type: out.reply.visibility === 'public' ? 'in_channel' : 'ephemeral' };
}

/** As Bolt's respond() reports a response_url that did not take the answer. */
export class RespondError extends Error {
  override name = 'RespondError';
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** Connections kept open to Slack's response_url host, and the most requests in flight there; more wait their turn. */
const MAX_SOCKETS = 16;
/** As the Web API client's timeout. */
const TIMEOUT_MS = 10_000;

/**
 * POSTs answers to response_urls over a bounded pool of keep-alive
 * connections: one TLS handshake per connection instead of one per answer, and
 * a burst of commands cannot open an unbounded number of sockets.
 */
export class ResponseUrlClient {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS });

  post(url: string, body: unknown): Promise<void> {
    const target = parseUrl(url);
    const secure = target.protocol === 'https:';
    const data = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        {
          ...target,
          method: 'POST',
          agent: secure ? this.https : this.http,
          headers: { 'content-type': 'application/json', 'content-length': data.length },
          timeout: TIMEOUT_MS,
        },
        (res: IncomingMessage) => {
          // Read to the end, so the connection goes back to the pool.
          res.resume();
          res.once('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new RespondError(`Failed to respond to the response_url: ${status} ${res.statusMessage ?? ''}`.trim(), status));
          });
          res.once('error', reject);
        },
      );
      req.once('timeout', () => req.destroy(new RespondError(`Failed to respond to the response_url: no answer in ${TIMEOUT_MS} ms`)));
      req.once('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/**
 * `https://host[:port]/path?query` in printable ASCII, the shape of every
 * response_url, read without a URL object (Node would turn one back into these
 * options); anything else goes through URL, which also percent-encodes.
 */
const SIMPLE_URL = /^(https?:)\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[!"$-~]*)?$/;

function parseUrl(url: string): { protocol: string; hostname: string; port?: number; path: string } {
  const m = SIMPLE_URL.exec(url);
  if (m) return { protocol: m[1]!, hostname: m[2]!, ...(m[3] ? { port: Number(m[3]) } : {}), path: m[4] ?? '/' };
  const u = new URL(url);
  return { protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), ...(u.port ? { port: Number(u.port) } : {}), path: `${u.pathname}${u.search}` };
}

// ---------------------------------------------------------------------------
// The engine thread's finisher for Slack slash commands (see src/engine/thread.ts).

/** A slash command's answer, rendered on the engine thread; the listener acks with it (or POSTs it to the response_url). */
export function finish(out: Outcome, logger: Logger): CommandPayload {
  return commandPayload(out, logger);
}
