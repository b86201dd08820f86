// Slack's HTTP requests, checked before Bolt sees them. Bolt's HTTPReceiver
// (verify-request.js) refuses a timestamp more than 5 minutes old but takes one
// from the future, and takes the same signed request as often as it is sent.
// This receiver checks the timestamp in both directions, the v0 signature on
// the exact bytes, that the signature was not seen before in its window (the
// replay store every instance shares), and that the body is one Bolt can read;
// what passes goes to an HTTPReceiver built with `signatureVerification: false`
// (its public option for a receiver that checks for itself), the request's
// bytes already read.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HTTPReceiver, type App, type HTTPReceiverOptions, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { SIGNATURE_WINDOW_MS, readBody, type FirstRequestAsync } from '../replay.js';

/** Bolt's own body limit (10 MB); Slack's requests are far smaller. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export type Checked = { ok: true } | { ok: false; status: number; reason: string };

/** Slack's request checks, on the raw body and headers; `now` in ms. */
export async function checkSlackRequest(secret: string, raw: Buffer, headers: IncomingMessage['headers'], firstRequest: FirstRequestAsync, now = Date.now()): Promise<Checked> {
  const tsHeader = headers['x-slack-request-timestamp'];
  const signature = headers['x-slack-signature'];
  if (typeof tsHeader !== 'string' || typeof signature !== 'string') return { ok: false, status: 401, reason: 'missing signature headers' };
  const ts = Number(tsHeader);
  if (!/^\d+$/.test(tsHeader) || !Number.isSafeInteger(ts)) return { ok: false, status: 401, reason: 'timestamp is not a number' };
  if (Math.abs(now - ts * 1000) > SIGNATURE_WINDOW_MS) return { ok: false, status: 401, reason: 'timestamp outside the 5-minute window' };
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${tsHeader}:`).update(raw).digest('hex')}`;
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) return { ok: false, status: 401, reason: 'signature mismatch' };
  const body = readable(raw, headers['content-type']);
  if (body) return { ok: false, status: 400, reason: body };
  // Recorded only once it is known to be Slack's: a forged request cannot fill the store.
  if (!(await firstRequest(`slack:${signature}`, new Date(ts * 1000 + SIGNATURE_WINDOW_MS), new Date(now)))) return { ok: false, status: 401, reason: 'replayed request' };
  return { ok: true };
}

/** Why Bolt could not read the body (it would hang or fail on it), or undefined. */
function readable(raw: Buffer, contentType: string | undefined): string | undefined {
  const text = raw.toString('utf8');
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  try {
    if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      return payload === null || isObject(JSON.parse(payload)) ? undefined : 'payload is not a JSON object';
    }
    return isObject(JSON.parse(text)) ? undefined : 'body is not a JSON object';
  } catch {
    return 'body is not JSON';
  }
}

/** Bolt's HTTPReceiver behind Steward's request checks, on one HTTP server. */
export class CheckedReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private server: Server | undefined;
  private readonly endpoints: Set<string>;

  constructor(
    private readonly opts: Omit<HTTPReceiverOptions, 'signatureVerification' | 'endpoints'> & {
      endpoints: string[];
      signingSecret: string;
      firstRequest: FirstRequestAsync;
      log: Logger;
    },
  ) {
    const { firstRequest: _f, log: _l, ...bolt } = opts;
    this.inner = new HTTPReceiver({ ...bolt, signatureVerification: false });
    this.endpoints = new Set(opts.endpoints);
  }

  /** Bolt's OAuth installer, when the receiver was given clientId and the rest: it serves the install path and the redirect. */
  get installProvider(): HTTPReceiver['installer'] {
    return this.inner.installer;
  }

  init(app: App): void {
    this.inner.init(app);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'POST' && this.endpoints.has(path)) {
      const raw = await readBody(req, MAX_BODY_BYTES);
      if (raw === undefined) return void res.writeHead(413).end();
      const checked = await checkSlackRequest(this.opts.signingSecret, raw, req.headers, this.opts.firstRequest);
      if (!checked.ok) {
        this.opts.log.warn({ path, reason: checked.reason }, 'refused a Slack request');
        return void res.writeHead(checked.status).end();
      }
      // Bolt reads a request whose bytes were already read from `rawBody` (its BufferedIncomingMessage).
      Object.assign(req, { rawBody: raw });
    }
    this.inner.requestListener(req, res);
  }

  start(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // Bolt throws for a path it has no route for.
        if (!res.headersSent) res.writeHead(404).end();
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve(server));
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve, reject) => (server ? server.close((err) => (err ? reject(err) : resolve())) : resolve()));
  }
}
