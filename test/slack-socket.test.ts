// Socket Mode, end to end on this machine: the real Bolt app from createSlackApp
// with SLACK_APP_TOKEN set, against a local HTTP server playing the Slack Web API
// (apps.connections.open, auth.test, users.info, chat.postMessage, and a
// response_url sink) and a local WebSocket server speaking Slack's envelope
// protocol: hello, envelopes (slash_commands, events_api, interactive), acks
// `{"envelope_id", "payload"}` and the close handshake.
//
// @slack/socket-mode 3 connects with undici's WebSocket client, not the `ws`
// package, so `ws` is not installed; the server side below is a minimal RFC 6455
// endpoint on node:http's 'upgrade' (text frames, ping/pong, close), enough for
// what Slack's servers do on a Socket Mode connection.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../db/index.js';
import { commands } from '../handlers/index.js';
import { createSlackApp, type SlackApp } from '../src/chat/slack/app.js';
import { loadConfig } from '../src/config.js';
import { Engine } from '../src/engine/engine.js';
import { freePort } from './kit.js';

const TEAM = 'T0STEWARD';
const BOT_USER = 'U0BOT';
const REP = 'U0LIWEI';
/** A user whose users.info answer takes a while, as it does when Slack is slow. */
const SLOW_REP = 'U0SLOWRP';
const SLOW_MS = 400;
const CHANNEL = 'C0ACCOUNTS';
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// ---------------------------------------------------------------- WebSocket server

interface Frame {
  opcode: number;
  payload: Buffer;
}

/** One server-side WebSocket connection: unmasked frames out, masked frames in. */
class WsPeer {
  readonly messages: unknown[] = [];
  /** Close frames received from the client: their status codes. */
  readonly closeCodes: number[] = [];
  pings = 0;
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiters: { test: (m: unknown) => boolean; resolve: (m: unknown) => void }[] = [];
  private closeSent = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (let f = this.readFrame(); f; f = this.readFrame()) this.onFrame(f);
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  sendJson(value: unknown): void {
    this.write(0x1, Buffer.from(JSON.stringify(value)));
  }

  /** The next message from the client that passes `test` (already received, or still to come). */
  next(test: (m: unknown) => boolean): Promise<unknown> {
    const seen = this.messages.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  private write(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126) {
      head[0] = 0x80 | opcode;
      if (len < 65_536) {
        head[1] = 126;
        head.writeUInt16BE(len, 2);
      } else {
        head[1] = 127;
        head.writeBigUInt64BE(BigInt(len), 2);
      }
    }
    this.socket.write(Buffer.concat([head, payload]));
  }

  private readFrame(): Frame | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let len = b[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      len = Number(b.readBigUInt64BE(2));
      at = 10;
    }
    const maskAt = at;
    if (masked) at += 4;
    if (b.length < at + len) return undefined;
    const payload = Buffer.from(b.subarray(at, at + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= b[maskAt + (i % 4)]!;
    this.buffer = b.subarray(at + len);
    return { opcode, payload };
  }

  private onFrame({ opcode, payload }: Frame): void {
    if (opcode === 0x1) {
      const message: unknown = JSON.parse(payload.toString('utf8'));
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => (w.test(message) ? (w.resolve(message), false) : true));
    } else if (opcode === 0x9) {
      // The client pings every few seconds and drops a connection that never answers.
      this.pings++;
      this.write(0xa, payload);
    } else if (opcode === 0x8) {
      this.closeCodes.push(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
      // Complete the close handshake, as Slack does, then close the TCP connection.
      if (!this.closeSent) {
        this.closeSent = true;
        this.write(0x8, payload.subarray(0, 2));
      }
      this.socket.end();
    }
  }
}

// ---------------------------------------------------------------- fake Slack

interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** The Authorization header: which token the call was made with. */
  auth: string | undefined;
}

interface FakeSlack {
  server: Server;
  url: string;
  calls: ApiCall[];
  /** JSON bodies POSTed to response URLs, by path. */
  responses: { path: string; body: Record<string, unknown> }[];
  peers: WsPeer[];
  /** Resolves with the next WebSocket connection. */
  nextPeer(): Promise<WsPeer>;
  /** Resolves once `n` bodies have reached response URLs. */
  responded(n: number): Promise<void>;
  /** Resolves once `method` has been called `n` times. */
  called(method: string, n?: number): Promise<ApiCall>;
  /** How many of the next apps.connections.open calls answer HTTP 500, as Slack does when it has a bad moment. */
  failOpen: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Web API arguments arrive form-encoded (values that are objects as JSON strings) or as JSON. */
function parseArgs(req: IncomingMessage, raw: string): Record<string, unknown> {
  if ((req.headers['content-type'] ?? '').includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    try {
      out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}

async function startFakeSlack(): Promise<FakeSlack> {
  const calls: ApiCall[] = [];
  const responses: FakeSlack['responses'] = [];
  const peers: WsPeer[] = [];
  let peerWaiters: ((p: WsPeer) => void)[] = [];
  let changed: (() => void)[] = [];
  const notify = () => {
    const fns = changed;
    changed = [];
    for (const f of fns) f();
  };
  const until = <T>(get: () => T | undefined): Promise<T> =>
    new Promise((resolve) => {
      const check = () => {
        const v = get();
        if (v !== undefined) resolve(v);
        else changed.push(check);
      };
      check();
    });

  let base = '';
  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    switch (method) {
      case 'apps.connections.open':
        return { ok: true, url: `${base.replace(/^http/, 'ws')}/link/?ticket=t-1&app_id=A0STEWARD` };
      case 'auth.test':
        return {
          ok: true,
          url: 'https://steward-test.slack.com/',
          team: 'Steward Test',
          user: 'steward',
          team_id: TEAM,
          user_id: BOT_USER,
          bot_id: 'B0STEWARD',
          is_enterprise_install: false,
        };
      case 'users.info': {
        const id = String(args.user);
        return {
          ok: true,
          user: { id, team_id: TEAM, name: 'liwei', real_name: 'Li Wei', tz: 'Asia/Shanghai', locale: 'en-US', profile: { display_name: 'Li Wei', real_name: 'Li Wei' } },
        };
      }
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: '1764000000.000200', message: { type: 'message', text: args.text, user: BOT_USER, ts: '1764000000.000200' } };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: '1764000000.000300' };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'POST' && path.startsWith('/api/')) {
        const method = path.slice('/api/'.length);
        const args = parseArgs(req, raw);
        calls.push({ method, args, auth: req.headers.authorization });
        if (method === 'users.info' && args.user === SLOW_REP) await new Promise((r) => setTimeout(r, SLOW_MS));
        if (method === 'apps.connections.open' && fake.failOpen > 0) {
          fake.failOpen--;
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(method, args)));
      } else if (req.method === 'POST' && path.startsWith('/respond/')) {
        responses.push({ path, body: JSON.parse(raw) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      } else {
        res.writeHead(404).end();
      }
      notify();
    })();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
    const peer = new WsPeer(socket);
    peers.push(peer);
    const waiting = peerWaiters;
    peerWaiters = [];
    for (const w of waiting) w(peer);
    // What Slack sends first on every Socket Mode connection; the client resolves start() on it.
    peer.sendJson({
      type: 'hello',
      num_connections: 1,
      debug_info: { host: 'applink-test', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: 'A0STEWARD' },
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeSlack = {
    server,
    url: base,
    calls,
    responses,
    peers,
    nextPeer: () => new Promise((resolve) => peerWaiters.push(resolve)),
    responded: (n) => until(() => (responses.length >= n ? true : undefined)).then(() => undefined),
    called: (method, n = 1) => until(() => calls.filter((c) => c.method === method)[n - 1]),
    failOpen: 0,
    async close() {
      for (const p of peers) p.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

const isAck = (id: string) => (m: unknown) => typeof m === 'object' && m !== null && (m as { envelope_id?: unknown }).envelope_id === id;

/** An events_api envelope carrying `@Steward <text>` in the accounts channel, as Slack sends it. */
function mention(envelopeId: string, eventId: string, ts: string, text: string) {
  return {
    envelope_id: envelopeId,
    type: 'events_api',
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
    payload: {
      token: 'legacy-verification-token',
      team_id: TEAM,
      api_app_id: 'A0STEWARD',
      event: { type: 'app_mention', user: REP, text: `<@${BOT_USER}> ${text}`, ts, channel: CHANNEL, event_ts: ts },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Number(ts)),
      authorizations: [{ enterprise_id: null, team_id: TEAM, user_id: BOT_USER, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: '4-eyJldCI6ImFwcF9tZW50aW9uIn0',
    },
  };
}

// ---------------------------------------------------------------- the test

interface Booted {
  fake: FakeSlack;
  db: Db;
  dir: string;
  slack: SlackApp;
  peer: WsPeer;
  healthPort: number;
  stopped: boolean;
  touchpoints(): { kind: string; note: string; platform: string; account: string; rep: string }[];
  close(): Promise<void>;
}

/** Fake Slack, a SQLite file with one account, and Steward connected over Socket Mode. */
/** `ackBudgetMs`: how long a slash command's ack waits for its answer (the app's default unless given). */
async function boot(ackBudgetMs?: number): Promise<Booted> {
  const fake = await startFakeSlack();
  const dir = mkdtempSync(join(tmpdir(), 'steward-socket-'));
  const db = openDb(join(dir, 'steward.db'));
  const healthPort = await freePort();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_APP_TOKEN: 'xapp-1-A0STEWARD-test',
    SLACK_API_URL: `${fake.url}/api/`,
    PORT: String(healthPort),
    LOG_LEVEL: 'silent',
  });
  expect(config.mode).toBe('slack');
  const engine = new Engine({ db, commands, defaults: { locale: 'en', timezone: 'Asia/Shanghai' } });
  // The book the rep works on, in the tenant of the workspace the app is installed in.
  const seeded = await engine.handle({ platform: 'slack', workspaceId: TEAM, user: { platformUserId: REP, name: 'Li Wei' }, text: '/account add "Acme Logistics" tier:key' });
  expect(seeded.ok).toBe(true);
  const slack = createSlackApp({ config, engine, logger: pino({ level: 'silent' }), afterCommand: async () => undefined, ackBudgetMs });
  const connected = fake.nextPeer();
  await slack.start();
  const peer = await connected;
  const b: Booted = {
    fake,
    db,
    dir,
    slack,
    peer,
    healthPort,
    stopped: false,
    touchpoints: () =>
      db.$client
        .prepare(
          'select t.kind, t.note, t.source_platform as platform, a.name as account, m.platform_user_id as rep from touchpoints t join accounts a on a.id = t.account_id join members m on m.id = t.member_id order by t.id',
        )
        .all() as ReturnType<Booted['touchpoints']>,
    async close() {
      if (!b.stopped) await slack.stop().catch(() => undefined);
      await fake.close();
      closeDb(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return b;
}

/** A slash command envelope as Slack sends it over the socket. */
function slashEnvelope(envelopeId: string, user: string, command: string, text: string, responseUrl: string) {
  return {
    envelope_id: envelopeId,
    type: 'slash_commands',
    accepts_response_payload: true,
    payload: {
      token: 'legacy-verification-token',
      team_id: TEAM,
      team_domain: 'steward-test',
      channel_id: CHANNEL,
      channel_name: 'accounts',
      user_id: user,
      user_name: 'liwei',
      command,
      text,
      api_app_id: 'A0STEWARD',
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: '13345224609.738474920.8088930838d88f008e0',
    },
  };
}

describe('Slack over Socket Mode', () => {
  let b: Booted;
  let fake: FakeSlack;
  let slack: SlackApp;
  let peer: WsPeer;
  let healthPort: number;
  const touchpoints = () => b.touchpoints();

  beforeAll(async () => {
    b = await boot();
    ({ fake, slack, peer, healthPort } = b);
  });

  afterAll(async () => {
    await b?.close();
  });

  it('opens the connection with the app-level token through SLACK_API_URL and says who it is', async () => {
    const open = fake.calls.filter((c) => c.method === 'apps.connections.open');
    expect(open.map((c) => c.auth)).toEqual(['Bearer xapp-1-A0STEWARD-test']);
    expect(fake.calls.find((c) => c.method === 'auth.test')?.auth).toBe('Bearer xoxb-test-token');
    expect(fake.peers).toHaveLength(1);
    // The health check runs beside the socket on PORT.
    const health = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
  });

  it('acks a slash_commands envelope with its answer as the payload and records the touchpoint', async () => {
    const before = touchpoints().length;
    peer.sendJson(slashEnvelope('e1-slash', REP, '/touch', 'Acme visit Walked the new warehouse; they want cold-chain quotes', `${fake.url}/respond/slash-1`));
    // The ack: the envelope id and the answer as its payload (the envelope accepts a response payload).
    const ack = (await peer.next(isAck('e1-slash'))) as { envelope_id: string; payload: { response_type: string; text: string; blocks: unknown[] } };
    expect(ack.envelope_id).toBe('e1-slash');
    expect(ack.payload.response_type).toBe('ephemeral');
    expect(ack.payload.text).toContain('Logged a visit with Acme Logistics');
    expect(JSON.stringify(ack.payload.blocks)).toContain('Logged a visit with Acme Logistics');
    expect(fake.responses.filter((r) => r.path === '/respond/slash-1')).toHaveLength(0);

    const rows = touchpoints();
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)).toEqual({ kind: 'visit', note: 'Walked the new warehouse; they want cold-chain quotes', platform: 'slack', account: 'Acme Logistics', rep: REP });
    // Who the rep is came from users.info.
    expect(fake.calls.some((c) => c.method === 'users.info' && c.args.user === REP)).toBe(true);
  });

  it('acks an events_api app_mention, answers the asker alone in its thread (chat.postEphemeral), and runs a redelivery once', async () => {
    const before = touchpoints().length;
    const ts = '1764000123.000100';
    peer.sendJson(mention('e2-event', 'Ev0MENTION1', ts, 'touch Acme call Phoned the COO about December volumes'));
    expect(await peer.next(isAck('e2-event'))).toEqual({ envelope_id: 'e2-event', payload: {} });

    const post = await fake.called('chat.postEphemeral');
    expect(post.args.channel).toBe(CHANNEL);
    expect(post.args.user).toBe(REP);
    expect(post.args.thread_ts).toBe(ts);
    expect(String(post.args.text)).toContain('Logged a call with Acme Logistics');
    expect(touchpoints()).toHaveLength(before + 1);
    expect(touchpoints().at(-1)).toMatchObject({ kind: 'call', note: 'Phoned the COO about December volumes', account: 'Acme Logistics' });

    // Slack redelivers an event it thinks was lost: same event_id, retry_attempt 1. Acked, not run again.
    peer.sendJson({ ...mention('e2-retry', 'Ev0MENTION1', ts, 'touch Acme call Phoned the COO about December volumes'), retry_attempt: 1, retry_reason: 'timeout' });
    expect(await peer.next(isAck('e2-retry'))).toEqual({ envelope_id: 'e2-retry', payload: {} });
    // A later, different mention is answered; by then the retry would have been too.
    const later = '1764000150.000100';
    peer.sendJson(mention('e2-later', 'Ev0MENTION2', later, 'account Acme'));
    expect(await peer.next(isAck('e2-later'))).toEqual({ envelope_id: 'e2-later', payload: {} });
    const second = await fake.called('chat.postEphemeral', 2);
    expect(second.args.thread_ts).toBe(later);
    expect(touchpoints()).toHaveLength(before + 1);
    expect(fake.calls.filter((c) => c.method === 'chat.postEphemeral' && c.args.thread_ts === ts)).toHaveLength(1);
  });

  it('acks an interactive block_actions envelope and runs the button as its command', async () => {
    const seen = fake.responses.length;
    peer.sendJson({
      envelope_id: 'e3-action',
      type: 'interactive',
      accepts_response_payload: false,
      payload: {
        type: 'block_actions',
        user: { id: REP, username: 'liwei', name: 'liwei', team_id: TEAM },
        api_app_id: 'A0STEWARD',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: '1764000200.000300', channel_id: CHANNEL, is_ephemeral: true },
        trigger_id: '13345224609.738474920.8088930838d88f008e1',
        team: { id: TEAM, domain: 'steward-test' },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: CHANNEL, name: 'accounts' },
        state: { values: {} },
        response_url: `${fake.url}/respond/action-1`,
        actions: [
          {
            type: 'button',
            action_id: 'steward:cmd:0',
            block_id: 'b0',
            text: { type: 'plain_text', text: 'Show account', emoji: true },
            value: '/account show "Acme Logistics"',
            action_ts: '1764000201.000400',
          },
        ],
      },
    });
    expect(await peer.next(isAck('e3-action'))).toEqual({ envelope_id: 'e3-action', payload: {} });

    await fake.responded(seen + 1);
    const reply = fake.responses.find((r) => r.path === '/respond/action-1')!;
    expect(reply.body.response_type).toBe('ephemeral');
    expect(reply.body.replace_original).toBe(false);
    // The account card, with both touchpoints logged above.
    const text = String(reply.body.text);
    expect(text).toContain('Acme Logistics');
    expect(text).toMatch(/visit/i);
  });

  it('stop() closes the socket with a normal closure', async () => {
    expect(peer.closed).toBe(false);
    await slack.stop();
    b.stopped = true;
    await new Promise<void>((resolve) => (peer.closed ? resolve() : peer.socket.once('close', () => resolve())));
    expect(peer.closeCodes).toEqual([1000]);
    expect(peer.closed).toBe(true);
    // No reconnection after a deliberate stop.
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls.filter((c) => c.method === 'apps.connections.open')).toHaveLength(1);
    expect(fake.peers).toHaveLength(1);
  });
});

describe('Socket Mode shutdown', () => {
  let b: Booted;

  beforeAll(async () => {
    // An ack budget well under the slow rep's users.info delay: the command is acked empty and answered later.
    b = await boot(50);
  });

  afterAll(async () => {
    // Let the command finish before the database goes away.
    await b?.fake.responded(1);
    await b?.close();
  });

  // BUG: src/chat/slack/app.ts stop() only awaits app.stop(), which closes the socket (and, over HTTP, the
  // server) but does not wait for listeners still running after their ack. Input: a /touch acked just before
  // SIGTERM whose users.info lookup is still under way. Actual: stop() resolves with the touchpoint not yet
  // written; src/main.ts then closes the database and the rep gets "Something went wrong on our side and
  // nothing was saved" on response_url (reproduced over HTTP too). Expected (issue 3, Transport: "finish
  // in-flight work, close cleanly"): stop() resolves after in-flight listeners are done. Fix: count listener
  // runs in createSlackApp (a Set of promises wrapped around each app.command/action/view/event body, or a
  // global Bolt middleware that awaits next()), and in stop() await app.stop() then Promise.allSettled(inFlight).
  it('stop() resolves only after a command acked before it has finished', async () => {
    const before = b.touchpoints().length;
    b.peer.sendJson(slashEnvelope('e9-slow', SLOW_REP, '/touch', 'Acme visit Signed the renewal at their office', `${b.fake.url}/respond/slow-1`));
    expect(await b.peer.next(isAck('e9-slow'))).toEqual({ envelope_id: 'e9-slow', payload: {} });
    await b.slack.stop();
    b.stopped = true;
    expect(b.touchpoints()).toHaveLength(before + 1);
    expect(b.fake.responses.map((r) => r.path)).toContain('/respond/slow-1');
  });
});

describe('Socket Mode when Slack has a bad moment', () => {
  it('a refresh whose first apps.connections.open answers 500 is retried: the app reconnects, answers, and leaves nothing unhandled', async () => {
    const b = await boot();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      b.fake.failOpen = 1;
      const reconnected = b.fake.nextPeer();
      b.peer.sendJson({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'applink-test' } });
      const peer = await reconnected;
      expect(b.fake.calls.filter((c) => c.method === 'apps.connections.open')).toHaveLength(3);
      peer.sendJson(slashEnvelope('e10-after', REP, '/touch', 'Acme call After the refresh', `${b.fake.url}/respond/after-1`));
      expect(((await peer.next(isAck('e10-after'))) as { payload: { text: string } }).payload.text).toContain('Logged a call');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await b.close();
    }
  });

  it('stop() while a command is still being run, before its ack: the ack still carries the answer, and the touchpoint is recorded', async () => {
    const b = await boot();
    try {
      const before = b.touchpoints().length;
      b.peer.sendJson(slashEnvelope('e11-late', SLOW_REP, '/touch', 'Acme visit Stopped mid-command', `${b.fake.url}/respond/late-1`));
      await b.fake.called('users.info');
      await b.slack.stop();
      b.stopped = true;
      const ack = (await b.peer.next(isAck('e11-late'))) as { payload: { text: string } };
      expect(ack.payload.text).toContain('Logged a visit');
      expect(b.touchpoints()).toHaveLength(before + 1);
    } finally {
      await b.close();
    }
  });
});
