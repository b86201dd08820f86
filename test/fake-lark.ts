// A local stand-in for Lark's (Feishu's) servers, so the adapter built on the
// real `@larksuiteoapi/node-sdk` can be tested without reaching Lark:
//
// - `FakeLark` plays the Open API (tenant token, bot info, send / reply /
//   patch a message, read a user) in Lark's shapes and error codes, recording
//   every call, and can be told to fail an API (HTTP 429 with Lark's
//   `x-ogw-ratelimit-*` headers, or any `{code, msg}`).
// - It also plays the long connection the SDK's `WSClient` opens:
//   `POST /callback/ws/endpoint`, then a WebSocket of protobuf `pbbp2.Frame`s
//   (ping/pong control frames, event data frames, possibly in fragments, and the
//   client's response frames). The frame schema is declared here with
//   protobufjs's reflection API rather than borrowed from the SDK, so a test
//   passing proves the two sides agree on the wire format.
// - A store app's tokens (LARK_APP_TYPE=isv): `app_ticket/resend` answers, then
//   pushes a new app_ticket event (schema 1.0, signed and encrypted) to
//   `ticketsTo`; `app_access_token` takes only a ticket it pushed, and
//   `tenant_access_token` issues each tenant_key a token of its own. Every API
//   call records the tenant whose token authorised it (`LarkCall.tenant`).
// - Builders for the events Lark delivers (schema 2.0 envelopes), and the
//   HTTP-delivery helpers: AES-256-CBC `encrypt` and `X-Lark-Signature`, exactly
//   as Lark's servers encrypt and sign callbacks, with `postToApp`.
//
// How the SDK (v1.74) surfaces what this server answers, found by reading
// lib/index.js and checked in test/lark-wire.test.ts:
// - Every API call goes through axios with its default validateStatus, so only
//   a 2xx answer resolves. Lark answers business errors on im/contact APIs with
//   HTTP 400 (its docs list "400 | 230001 | ..."), so those calls REJECT with an
//   AxiosError: `err.response.status`, `err.response.headers` (lower-cased,
//   e.g. `err.response.headers['x-ogw-ratelimit-reset']`) and `err.response.data`
//   (`{code, msg, error: {log_id}}`). An HTTP 200 with a non-zero `code`
//   RESOLVES, and the caller must check `code`. The SDK never retries, not even
//   on 429, and logs every failed call through its logger at error level.
// - The tenant token is cached in a module-global cache keyed by app id, for
//   `expire` seconds less 3 minutes, across Client instances. So a second
//   FakeLark in the same process sees no token call unless the Client is given
//   its own `cache`; that is why the token this fake issues is derived from the
//   app's credentials (the same in every instance, as Lark returns the same token
//   while it is valid) and any token issued by any FakeLark is accepted.
//   `disableTokenCache: true` does not mean "fetch every time": it sends no
//   Authorization header at all.
// - WSClient calls the endpoint before every connection attempt, treats a
//   non-zero `code` as fatal (onError, no retry) except 1000040343, and treats a
//   thrown request (non-2xx, refused) as retryable. It parses device_id and
//   service_id with `qs.parse(URL)` over the whole URL, so the first query
//   parameter is lost: hence the leading `fpid=` in the URL handed out here, as
//   Lark's own URLs have. It pings as soon as the socket opens, and answers an
//   event only once all its fragments arrived.
// - `loggerLevel: LoggerLevel.fatal` is 0, which the SDK's `loggerLevel || info`
//   turns into info: pass a `logger` to silence it.
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import protobuf from 'protobufjs';
import { WebSocketServer, type WebSocket } from 'ws';

// ---------------------------------------------------------------------------
// Identities.

/** The app id must match /^cli_[0-9a-fA-F]{16}$/ or WSClient.start() quietly refuses to connect. */
export const FAKE_APP = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'lark-secret' };
export const FAKE_TENANT = 'tk_acme';
export const FAKE_BOT = { openId: 'ou_bot', name: 'Steward' };

/** The three ids Lark gives a user, derived from the open_id so events and the contact API agree. */
export function userIds(openId: string): { open_id: string; union_id: string; user_id: string } {
  const rest = openId.replace(/^ou_/, '');
  // A bot has no user_id in a tenant's directory.
  return { open_id: openId, union_id: `on_${rest}`, user_id: openId === FAKE_BOT.openId ? '' : rest };
}

/** The single chat between the bot and a user: sending to an open_id lands here, and p2p events come from here. */
export const p2pChatId = (userId: string) => `oc_p2p_${userId}`;

// ---------------------------------------------------------------------------
// Types.

export type LarkApi = 'create' | 'reply' | 'patch' | 'user' | 'bot' | 'token' | 'endpoint' | 'ephemeral' | 'chat' | 'ticket';
export type ReceiveIdType = 'open_id' | 'chat_id' | 'user_id' | 'union_id' | 'email';

export interface LarkCall {
  method: string;
  /** The path without the query, e.g. `/open-apis/im/v1/messages`. */
  path: string;
  query: Record<string, string>;
  /** The JSON body as sent (or `{_raw}` when it was not JSON). */
  body: any;
  headers: IncomingHttpHeaders;
  /** Which API the path is, when it is one the fake knows. */
  api?: LarkApi;
  status?: number;
  answer?: any;
  /** The tenant whose tenant_access_token authorised the call (a self-built app's token: FAKE_TENANT's). */
  tenant?: string;
}

export interface FakeLarkUser {
  open_id: string;
  name: string;
  en_name?: string;
  time_zone?: string;
  status?: { is_resigned?: boolean; is_frozen?: boolean };
}

/** A 429 from Lark's gateway, or any `{code, msg}` (HTTP 400 unless given; 200 for 'endpoint', as that gateway answers). */
export type LarkFailure = { status: 429; reset: number } | { status?: number; code: number; msg: string };

/** A message the bot sent, as the fake holds it. */
export interface FakeMessage {
  message_id: string;
  chat_id: string;
  /** How it was addressed, for `create`; a reply has neither (it goes where its parent is). */
  receive_id?: string;
  receive_id_type?: ReceiveIdType;
  msg_type: string;
  /** `content` parsed from the JSON string the bot sent. */
  content: Record<string, any>;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  uuid?: string;
  create_time: string;
  /** Parsed contents of later PATCHes, oldest first. */
  updates: Record<string, any>[];
  /** A card sent with the ephemeral API: in the group, shown only to this open_id. */
  ephemeral_to?: string;
}

export interface LarkHeader {
  key: string;
  value: string;
}

/** `pbbp2.Frame`, with the uint64s as numbers. */
export interface LarkFrame {
  SeqID: number;
  LogID: number;
  service: number;
  /** 0 control (ping/pong), 1 data (events and their responses). */
  method: number;
  headers: LarkHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export interface FrameRecord {
  dir: 'in' | 'out';
  frame: LarkFrame;
}

/** What Lark's long-connection gateway tells the client (seconds), both from the endpoint and in every pong. */
export interface ClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

// ---------------------------------------------------------------------------
// The wire format of the long connection, declared independently of the SDK.
// proto2 `required` matters: the SDK's decoder throws on a frame missing
// SeqID/LogID/service/method, and so does this one.

const pbbp2 = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { rule: 'required', type: 'string', id: 1 },
            value: { rule: 'required', type: 'string', id: 2 },
          },
        },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
}).lookupType('pbbp2.Frame');

export function encodeFrame(frame: LarkFrame): Uint8Array {
  return pbbp2.encode(pbbp2.fromObject(frame)).finish();
}

export function decodeFrame(bytes: Uint8Array): LarkFrame {
  // longs: Number, because whether protobufjs hands out Long objects depends on
  // load order (the SDK switches Long support off globally when it loads).
  return pbbp2.toObject(pbbp2.decode(bytes), { longs: Number, arrays: true }) as LarkFrame;
}

const header = (frame: LarkFrame, key: string) => frame.headers.find((h) => h.key === key)?.value;

// ---------------------------------------------------------------------------
// The gateway's WebSocket server, from `ws` (the same library the SDK's client uses).
type WsSocket = WebSocket;
type WsServer = WebSocketServer;
const WS_OPEN = 1;

// ---------------------------------------------------------------------------
// Lark's answers. HTTP statuses and codes are from Lark's API docs (each API's
// "Error code" table) unless noted.

// A class, so an answer can be told from a refusal with instanceof.
class Refusal {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly msg: string,
    readonly extra: Json = {},
  ) {}
}

const refuse = (status: number, code: number, msg: string, extra?: Record<string, unknown>) => new Refusal(status, code, msg, extra);
const ERR = {
  missingToken: () => refuse(400, 99991661, 'Missing access token for authorization. Please make a request with token attached.'),
  invalidToken: () => refuse(400, 99991663, 'Invalid access token for authorization. Please make a request with token attached.'),
  // The gateway's schema check, e.g. a missing receive_id_type.
  validation: (field: string, description: string) => refuse(400, 99992402, 'field validation failed', { error: { field_violations: [{ field, description }] } }),
  // The ext= texts are those of Lark's "How to resolve error 230001" page.
  invalidParam: (ext: string) => refuse(400, 230001, `Your request contains an invalid request parameter, ext=${ext}.`),
  tooLong: () => refuse(400, 230025, 'The length of the message content reaches its limit.'),
  cardInvalid: (ext: string) => refuse(400, 230099, `Failed to create card content, ext=${ext}`),
  noAvailability: () => refuse(400, 230013, 'Bot has NO availability to this user.'),
  noUserAuthority: () => refuse(400, 41050, 'no user authority error'),
  // Token endpoint: 10014 for a wrong secret (most commonly reported), 10003 for a bad app id.
  appSecretInvalid: () => refuse(400, 10014, 'app secret invalid'),
  appIdInvalid: () => refuse(400, 10003, 'invalid param'),
  // A store app's token calls: a ticket Lark never pushed (or an app token it never issued).
  appTicketInvalid: () => refuse(400, 10012, 'app ticket invalid'),
  appTokenInvalid: () => refuse(400, 10013, 'app access token invalid'),
};

const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user', 'system']);
const RECEIVE_ID_TYPES = new Set<string>(['open_id', 'chat_id', 'user_id', 'union_id', 'email']);
/**
 * What Lark would refuse in a card's chart components (card JSON 2.0 `tag: chart`): a `chart_spec`
 * that is no VChart spec (a `type`, and `data` as an array of `{ values: [...] }` or one such object),
 * or a bar or line chart without its `xField` and `yField`, or a field its values lack.
 */
export function chartProblem(card: Record<string, any>): string | undefined {
  const walk = (els: unknown): string | undefined => {
    if (!Array.isArray(els)) return undefined;
    for (const e of els as Record<string, any>[]) {
      if (e?.tag === 'chart') {
        const spec = e.chart_spec;
        if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string') return 'chart_spec needs a type';
        const data = Array.isArray(spec.data) ? spec.data : [spec.data];
        if (!data.every((d: any) => d && Array.isArray(d.values))) return 'chart_spec.data needs values';
        if (['bar', 'line', 'area'].includes(spec.type)) {
          const fields: string[] = [spec.xField, spec.yField, spec.seriesField].flat().filter((f: unknown): f is string => typeof f === 'string');
          if (spec.xField === undefined || spec.yField === undefined) return 'chart_spec needs xField and yField';
          for (const d of data) for (const v of d.values) for (const f of fields) if (!(f in v)) return `chart value without field ${f}`;
        }
      }
      const inner = walk(e?.elements) ?? (Array.isArray(e?.columns) ? walk(e.columns.flatMap((c: any) => c?.elements ?? [])) : undefined);
      if (inner) return inner;
    }
    return undefined;
  };
  return walk(card.body?.elements ?? card.elements);
}

// Request-body limits from the send-message docs: 150 KB for text, 30 KB for cards and rich text.
const bodyLimit = (msgType: string) => (msgType === 'text' ? 150 * 1024 : 30 * 1024);

// The token Lark returns for an app: stable while valid, so the same in every
// FakeLark (see the note at the top about the SDK's global token cache).
const tokenFor = (prefix: 't' | 'a', app: typeof FAKE_APP) => `${prefix}-${createHash('sha1').update(`${prefix}:${app.appId}:${app.appSecret}`).digest('hex')}`;
const issuedTokens = new Set<string>();
/** A store app's tenant tokens: token -> the tenant_key it was issued for. */
const tokenTenants = new Map<string, string>();
const logId = () => `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(9).toString('hex').toUpperCase()}`;

// Messages users sent, registered by the event builders so that a reply to one
// lands in the right chat and thread. Module-wide: Lark is one service.
const userMessages = new Map<string, { chat_id: string; root_id?: string; thread_id?: string }>();

// ---------------------------------------------------------------------------

type Json = Record<string, any>;

interface Conn {
  ws: WsSocket;
  serviceId: number;
  /** Set once the client has pinged, which it does from its 'open' handler: its frame handlers are attached by then. */
  ready: boolean;
}

interface Pending {
  conn: Conn;
  resolve: (v: { code: number; data?: unknown }) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class FakeLark {
  readonly calls: LarkCall[] = [];
  readonly users = new Map<string, FakeLarkUser>();
  /** Messages the bot sent, by message_id. */
  readonly messages = new Map<string, FakeMessage>();
  /** Every long-connection frame, both ways, decoded. */
  readonly frames: FrameRecord[] = [];
  /** Frames from the client that did not decode as pbbp2.Frame: should stay empty. */
  readonly protocolErrors: string[] = [];
  /** Sent with the endpoint answer and every pong. A 1 s reconnect interval so a dropped connection comes back quickly. */
  clientConfig: ClientConfig = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 };
  readonly app: typeof FAKE_APP;

  private server: Server | undefined;
  private wss: WsServer | undefined;
  private port = 0;
  private nextId = 0;
  private nextSeq = 0;
  private nextDevice = 0;
  private readonly failures = new Map<LarkApi, LarkFailure[]>();
  private readonly holds = new Map<LarkApi, { gate: Promise<void>; waiting: number }>();
  private readonly uuids = new Map<string, string>();
  private readonly tickets = new Set<string>();
  private readonly conns = new Set<Conn>();
  private current: Conn | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<() => void>();
  /** app_tickets pushed to a store app (valid for its app_access_token calls), oldest first. */
  readonly appTickets: string[] = [];
  /**
   * Where a store app's app_ticket is pushed (its event URL, as set in the developer console) after each
   * `app_ticket/resend`, signed and encrypted as other events are; unset: resends push nothing.
   */
  ticketsTo: { url: string; encryptKey?: string; token?: string } | undefined;
  /** Each push of an app_ticket to `ticketsTo`, with the HTTP status the app answered (0: no answer). */
  readonly ticketPushes: { ticket: string; status: number }[] = [];

  constructor(opts: { app?: typeof FAKE_APP } = {}) {
    this.app = opts.app ?? FAKE_APP;
  }

  /** `http://127.0.0.1:<port>`: what LARK_DOMAIN / the SDK's `domain` is set to. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addUser(u: FakeLarkUser): this {
    this.users.set(u.open_id, u);
    return this;
  }

  /** A group chat, for GET /open-apis/im/v1/chats/:chat_id (its name). */
  addChat(chatId: string, name: string): this {
    this.chats.set(chatId, name);
    return this;
  }
  private readonly chats = new Map<string, string>();

  /**
   * Calls of `api` are recorded at once but answered only after the returned
   * function is called: Lark being slow, without the test measuring time.
   */
  hold(api: LarkApi): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(api, { gate, waiting: 0 });
    return () => {
      this.holds.delete(api);
      release();
    };
  }

  /** How many calls of `api` are waiting on a hold. */
  waiting(api: LarkApi): number {
    return this.holds.get(api)?.waiting ?? 0;
  }

  /** The next calls of `api` fail with these, in order; later calls succeed again. */
  fail(api: LarkApi, ...failures: LarkFailure[]): this {
    this.failures.set(api, [...(this.failures.get(api) ?? []), ...failures]);
    return this;
  }

  callsTo(api: LarkApi): LarkCall[] {
    return this.calls.filter((c) => c.api === api);
  }

  /** Resolves with what `find` returns once it is not undefined/null/false, re-checking on every call or frame and every 10 ms. */
  async waitFor<T>(find: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
    // `find` may read the database, which is asynchronous: it is awaited, and re-run on every call or frame and every 10 ms.
    const found = (v: T | undefined): v is T => v !== undefined && v !== null && v !== false;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await find();
      if (found(v)) return v;
      if (Date.now() >= deadline) {
        const seen = this.calls.map((c) => `${c.method} ${c.path}`).join(', ') || 'none';
        throw new Error(`FakeLark.waitFor timed out after ${timeoutMs} ms; calls so far: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 10);
        this.waiters.add(wake);
      });
    }
  }

  async start(): Promise<void> {
    this.wss = new WebSocketServer({ noServer: true });
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const conn of this.conns) conn.ws.terminate();
    this.conns.clear();
    this.current = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('FakeLark stopped'));
      this.pending.delete(id);
    }
    const server = this.server;
    const wss = this.wss;
    this.server = undefined;
    this.wss = undefined;
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------
  // Long connection.

  /** Resolves once a WSClient is connected: endpoint called, socket upgraded, first ping answered. */
  connected(timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.current, timeoutMs).then(() => undefined);
  }

  /** Resolves once no long connection is open any more: the client closed it (or it was dropped) and the server saw it go. */
  disconnected(timeoutMs = 5_000): Promise<void> {
    return this.waitFor(() => this.conns.size === 0, timeoutMs).then(() => undefined);
  }

  /**
   * Sends `body` as one event data frame (or split into `fragments` frames, as
   * Lark does for large events) and resolves with the client's response frame:
   * `code` (200, or 500 when the handler threw) and `data` (what the handler
   * returned, base64-decoded and JSON-parsed; with no handler for the event
   * type the SDK still answers 200, with data "no <type> event handle").
   */
  async pushEvent(body: object, opts: { fragments?: number; timeoutMs?: number } = {}): Promise<{ code: number; data?: unknown }> {
    const timeoutMs = opts.timeoutMs ?? 5_000;
    const conn = await this.waitFor(() => this.current, timeoutMs);
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const sum = Math.max(1, Math.min(Math.floor(opts.fragments ?? 1), bytes.length));
    const messageId = `${randomBytes(8).toString('hex')}`;
    const traceId = randomUUID();
    const answer = new Promise<{ code: number; data?: unknown }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(new Error(`no response frame for event ${messageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(messageId, { conn, resolve, reject, timer });
    });
    // Fragment boundaries by byte, even inside a multi-byte character: the client must join bytes, not strings.
    for (let seq = 0; seq < sum; seq++) {
      const payload = bytes.subarray(Math.floor((seq * bytes.length) / sum), Math.floor(((seq + 1) * bytes.length) / sum));
      const n = ++this.nextSeq;
      this.send(conn, {
        SeqID: n,
        LogID: n,
        service: conn.serviceId,
        method: 1,
        headers: [
          { key: 'type', value: 'event' },
          { key: 'message_id', value: messageId },
          { key: 'sum', value: String(sum) },
          { key: 'seq', value: String(seq) },
          { key: 'trace_id', value: traceId },
        ],
        payload,
      });
    }
    return answer;
  }

  /** Closes every long connection from the server side, abruptly, as a network drop would. The SDK reconnects. */
  dropConnection(): void {
    this.current = undefined;
    for (const conn of this.conns) conn.ws.terminate();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const u = new URL(req.url ?? '/', this.url);
    const ticket = u.searchParams.get('ticket') ?? '';
    // Tickets come from the endpoint call and are good for one connection.
    if (u.pathname !== '/ws' || !this.tickets.delete(ticket) || !this.wss) {
      socket.end('HTTP/1.1 403 Forbidden\r\nhandshake-status: 403\r\nhandshake-msg: invalid ticket\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const serviceId = Number(u.searchParams.get('service_id') ?? 0);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, serviceId, ready: false };
      this.conns.add(conn);
      ws.on('message', (data) => this.onFrame(conn, Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)));
      ws.on('error', () => undefined);
      ws.on('close', () => {
        this.conns.delete(conn);
        if (this.current === conn) this.current = undefined;
        for (const [id, p] of this.pending) {
          if (p.conn !== conn) continue;
          clearTimeout(p.timer);
          this.pending.delete(id);
          p.reject(new Error(`connection closed before event ${id} was answered`));
        }
        this.notify();
      });
    });
  }

  private send(conn: Conn, frame: LarkFrame): void {
    this.frames.push({ dir: 'out', frame });
    if (conn.ws.readyState === WS_OPEN) conn.ws.send(encodeFrame(frame));
  }

  private onFrame(conn: Conn, data: Buffer): void {
    let frame: LarkFrame;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      this.protocolErrors.push(String(err));
      this.notify();
      return;
    }
    this.frames.push({ dir: 'in', frame });
    const type = header(frame, 'type');
    if (frame.method === 0 && type === 'ping') {
      this.send(conn, {
        SeqID: 0,
        LogID: 0,
        service: frame.service,
        method: 0,
        headers: [{ key: 'type', value: 'pong' }],
        payload: Buffer.from(JSON.stringify(this.clientConfig)),
      });
      if (!conn.ready) {
        conn.ready = true;
        this.current = conn;
      }
    } else if (frame.method === 1) {
      const id = header(frame, 'message_id') ?? '';
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        try {
          const body = JSON.parse(Buffer.from(frame.payload ?? []).toString('utf8')) as { code: number; data?: string };
          const decoded = body.data === undefined ? undefined : (JSON.parse(Buffer.from(body.data, 'base64').toString('utf8')) as unknown);
          p.resolve(decoded === undefined ? { code: body.code } : { code: body.code, data: decoded });
        } catch (err) {
          p.reject(new Error(`unreadable response frame: ${String(err)}`));
        }
      }
    }
    this.notify();
  }

  // -------------------------------------------------------------------------
  // Open API.

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private id(prefix: string): string {
    return `${prefix}_${++this.nextId}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const u = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    let body: any;
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      body = { _raw: raw };
    }
    const call: LarkCall = { method, path: u.pathname, query: Object.fromEntries(u.searchParams), body, headers: req.headers };
    this.calls.push(call);
    const reply = (status: number, payload: Json, headers: Record<string, string> = {}) => {
      call.status = status;
      call.answer = payload;
      // x-tt-logid rides on every Lark answer; adapters tend to log it.
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-tt-logid': logId(), ...headers });
      res.end(JSON.stringify(payload));
      this.notify();
    };
    // Lark's error bodies carry a log_id for its troubleshooting page.
    const refused = (r: Refusal) => reply(r.status, { code: r.code, msg: r.msg, ...r.extra, error: { ...(r.extra.error ?? {}), log_id: logId() } });

    const route = this.route(method, u.pathname);
    if (!route) {
      call.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found');
      this.notify();
      return;
    }
    call.api = route.api;
    const held = this.holds.get(route.api);
    if (held) {
      held.waiting++;
      this.notify();
      await held.gate;
    }

    const failure = this.failures.get(route.api)?.shift();
    if (failure) {
      if (failure.status === 429 && 'reset' in failure) {
        return reply(
          429,
          { code: 99991400, msg: 'request trigger frequency limit' },
          {
            'x-ogw-ratelimit-limit': '50',
            'x-ogw-ratelimit-reset': String(failure.reset),
          },
        );
      }
      const f = failure as { status?: number; code: number; msg: string };
      const extra = route.api === 'endpoint' ? { data: { URL: '', ClientConfig: {} } } : {};
      return reply(f.status ?? (route.api === 'endpoint' ? 200 : 400), { code: f.code, msg: f.msg, ...extra });
    }

    if (route.api === 'token') return this.token(u.pathname, body, reply, refused);
    if (route.api === 'ticket') return this.resend(body, reply, refused);
    if (route.api === 'endpoint') return this.endpoint(body, reply);

    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || auth.length <= 7) return refused(ERR.missingToken());
    if (!issuedTokens.has(auth.slice(7))) return refused(ERR.invalidToken());
    call.tenant = tokenTenants.get(auth.slice(7)) ?? FAKE_TENANT;

    const ok = (data: Json) => reply(200, { code: 0, msg: 'success', data });
    const result = this.business(route, call.query, body);
    if (result instanceof Refusal) return refused(result);
    if (route.api === 'bot') return reply(200, { code: 0, msg: 'ok', ...result });
    return ok(result);
  }

  private route(method: string, path: string): { api: LarkApi; id?: string } | undefined {
    if (method === 'POST' && /^\/open-apis\/auth\/v3\/(tenant|app)_access_token(\/internal)?$/.test(path)) return { api: 'token' };
    if (method === 'POST' && path === '/open-apis/auth/v3/app_ticket/resend') return { api: 'ticket' };
    if (method === 'POST' && path === '/callback/ws/endpoint') return { api: 'endpoint' };
    if (method === 'GET' && path === '/open-apis/bot/v3/info') return { api: 'bot' };
    if (method === 'POST' && path === '/open-apis/im/v1/messages') return { api: 'create' };
    if (method === 'POST' && path === '/open-apis/ephemeral/v1/send') return { api: 'ephemeral' };
    let m = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (method === 'POST' && m) return { api: 'reply', id: decodeURIComponent(m[1]!) };
    m = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && m) return { api: 'patch', id: decodeURIComponent(m[1]!) };
    m = /^\/open-apis\/im\/v1\/chats\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) return { api: 'chat', id: decodeURIComponent(m[1]!) };
    m = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) return { api: 'user', id: decodeURIComponent(m[1]!) };
    return undefined;
  }

  private token(path: string, body: Json, reply: (s: number, p: Json) => void, refused: (r: Refusal) => void): void {
    if (path === '/open-apis/auth/v3/tenant_access_token') {
      // A store app's tenant token: for one tenant, asked with the app_access_token.
      if (typeof body.app_access_token !== 'string' || !issuedTokens.has(body.app_access_token)) return refused(ERR.appTokenInvalid());
      if (typeof body.tenant_key !== 'string' || body.tenant_key === '') return refused(ERR.validation('tenant_key', 'tenant_key is required'));
      const t = `t-${createHash('sha1').update(`t:${this.app.appId}:${this.app.appSecret}:${body.tenant_key}`).digest('hex')}`;
      issuedTokens.add(t);
      tokenTenants.set(t, body.tenant_key);
      return reply(200, { code: 0, msg: 'ok', tenant_access_token: t, expire: 7200 });
    }
    if (body.app_id !== this.app.appId) return refused(ERR.appIdInvalid());
    if (body.app_secret !== this.app.appSecret) return refused(ERR.appSecretInvalid());
    const tenant = tokenFor('t', this.app);
    issuedTokens.add(tenant);
    if (path.endsWith('/app_access_token/internal')) {
      // A custom app's app_access_token call returns both tokens.
      const appToken = tokenFor('a', this.app);
      issuedTokens.add(appToken);
      return reply(200, { code: 0, msg: 'ok', app_access_token: appToken, tenant_access_token: tenant, expire: 7200 });
    }
    if (path === '/open-apis/auth/v3/app_access_token') {
      // A store app's app token: only with an app_ticket Lark pushed.
      if (!this.appTickets.includes(body.app_ticket)) return refused(ERR.appTicketInvalid());
      const appToken = tokenFor('a', this.app);
      issuedTokens.add(appToken);
      return reply(200, { code: 0, msg: 'ok', app_access_token: appToken, expire: 7200 });
    }
    reply(200, { code: 0, msg: 'ok', tenant_access_token: tenant, expire: 7200 });
  }

  /** `app_ticket/resend`: answered at once; the new ticket is pushed to `ticketsTo` after, as Lark pushes it. */
  private resend(body: Json, reply: (s: number, p: Json) => void, refused: (r: Refusal) => void): void {
    if (body.app_id !== this.app.appId) return refused(ERR.appIdInvalid());
    if (body.app_secret !== this.app.appSecret) return refused(ERR.appSecretInvalid());
    reply(200, { code: 0, msg: 'ok' });
    void this.pushTicket().catch(() => {});
  }

  /** Pushes a new app_ticket event to `ticketsTo` (what Lark does hourly, and after a resend); resolves with the ticket. */
  async pushTicket(): Promise<string> {
    const ticket = `ticket-${randomBytes(8).toString('hex')}`;
    this.appTickets.push(ticket);
    const to = this.ticketsTo;
    if (to) {
      const res = await postToApp(to.url, appTicketEvent(this.app, ticket, to.token), { encryptKey: to.encryptKey }).catch(() => ({ status: 0 }));
      this.ticketPushes.push({ ticket, status: res.status });
      this.notify();
    }
    return ticket;
  }

  private endpoint(body: Json, reply: (s: number, p: Json) => void): void {
    // The SDK's own tests model a refusal with an empty `data`; without it the SDK's destructuring throws and it retries instead.
    if (body.AppID !== this.app.appId || body.AppSecret !== this.app.appSecret) {
      return reply(200, { code: 514, msg: 'auth failed', data: { URL: '', ClientConfig: {} } });
    }
    const ticket = randomUUID();
    this.tickets.add(ticket);
    const url = `ws://127.0.0.1:${this.port}/ws?fpid=1&device_id=d-${++this.nextDevice}&service_id=7&ticket=${ticket}`;
    reply(200, { code: 0, msg: 'ok', data: { URL: url, ClientConfig: { ...this.clientConfig } } });
  }

  private business(route: { api: LarkApi; id?: string }, query: Record<string, string>, body: Json): Json | Refusal {
    switch (route.api) {
      case 'bot':
        return {
          bot: {
            activate_status: 2,
            app_name: FAKE_BOT.name,
            avatar_url: 'https://s1-imfile.feishucdn.com/static-resource/v1/avatar',
            ip_white_list: [],
            open_id: FAKE_BOT.openId,
          },
        };
      case 'create':
        return this.create(query, body);
      case 'reply':
        return this.reply(route.id!, body);
      case 'patch':
        return this.patch(route.id!, body);
      case 'user':
        return this.user(route.id!, query);
      case 'ephemeral':
        return this.ephemeral(body);
      case 'chat': {
        const name = this.chats.get(route.id!);
        // Lark's answer for a chat the bot is not in, or that does not exist.
        return name === undefined
          ? refuse(400, 232011, 'Operator and chat can NOT be in different tenants.')
          : { chat_id: route.id!, name, chat_mode: 'group', chat_type: 'private', external: false, tenant_key: FAKE_TENANT };
      }
      default:
        return refuse(404, 404, 'not found');
    }
  }

  /** Checks msg_type and content as Lark does; the parsed content when good. */
  private content(body: Json): Record<string, any> | Refusal {
    if (typeof body.msg_type !== 'string' || body.msg_type === '') return ERR.validation('msg_type', 'msg_type is required');
    if (!MSG_TYPES.has(body.msg_type)) return ERR.invalidParam('invalid msg_type');
    if (body.content === undefined || body.content === '') return ERR.invalidParam('content cannot be empty');
    // content is a JSON *string*; an object here is the classic mistake.
    if (typeof body.content !== 'string') return ERR.invalidParam('invalid message content');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.content);
    } catch {
      return ERR.invalidParam('invalid message content');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return ERR.invalidParam('invalid message content');
    const content = parsed as Record<string, any>;
    if (body.msg_type === 'text' && typeof content.text !== 'string') return ERR.invalidParam('invalid message content. validate content fail');
    if (body.msg_type === 'interactive') {
      const bad = chartProblem(content);
      if (bad) return ERR.cardInvalid(bad);
    }
    if (Buffer.byteLength(JSON.stringify(body)) > bodyLimit(body.msg_type)) return ERR.tooLong();
    return content;
  }

  private messageData(m: FakeMessage): Json {
    return {
      message_id: m.message_id,
      ...(m.root_id ? { root_id: m.root_id } : {}),
      ...(m.parent_id ? { parent_id: m.parent_id } : {}),
      ...(m.thread_id ? { thread_id: m.thread_id } : {}),
      msg_type: m.msg_type,
      create_time: m.create_time,
      update_time: m.create_time,
      deleted: false,
      updated: false,
      chat_id: m.chat_id,
      sender: { id: this.app.appId, id_type: 'app_id', sender_type: 'app', tenant_key: FAKE_TENANT },
      body: { content: JSON.stringify(m.content) },
    };
  }

  /** Lark deduplicates on `uuid` for an hour: the same uuid answers with the message already sent. */
  private deduped(body: Json): Json | undefined {
    const id = typeof body.uuid === 'string' ? this.uuids.get(body.uuid) : undefined;
    const m = id ? this.messages.get(id) : undefined;
    return m ? this.messageData(m) : undefined;
  }

  private remember(m: FakeMessage): Json {
    this.messages.set(m.message_id, m);
    if (m.uuid) this.uuids.set(m.uuid, m.message_id);
    return this.messageData(m);
  }

  private create(query: Record<string, string>, body: Json): Json | Refusal {
    const type = query.receive_id_type;
    if (!type) return ERR.validation('receive_id_type', 'receive_id_type is required');
    if (!RECEIVE_ID_TYPES.has(type)) return ERR.invalidParam('invalid receive_id_type');
    if (typeof body.receive_id !== 'string' || body.receive_id === '') return ERR.validation('receive_id', 'receive_id is required');
    const content = this.content(body);
    if (content instanceof Refusal) return content;
    const receiveId: string = body.receive_id;
    const prefix: Partial<Record<ReceiveIdType, string>> = { open_id: 'ou_', chat_id: 'oc_', union_id: 'on_' };
    const want = prefix[type as ReceiveIdType];
    if ((want && !receiveId.startsWith(want)) || (type === 'email' && !receiveId.includes('@'))) return ERR.invalidParam('invalid receive_id');
    if (receiveId === FAKE_BOT.openId) return ERR.invalidParam('this operation to bots is currently not supported');
    // A user who has left is out of the bot's availability: 230013, per the docs.
    if (type === 'open_id' && this.users.get(receiveId)?.status?.is_resigned) return ERR.noAvailability();
    const again = this.deduped(body);
    if (again) return again;
    return this.remember({
      message_id: this.id('om'),
      chat_id: type === 'chat_id' ? receiveId : p2pChatId(openIdOf(type as ReceiveIdType, receiveId)),
      receive_id: receiveId,
      receive_id_type: type as ReceiveIdType,
      msg_type: body.msg_type,
      content,
      ...(typeof body.uuid === 'string' ? { uuid: body.uuid } : {}),
      create_time: String(Date.now()),
      updates: [],
    });
  }

  /**
   * The ephemeral card API (POST /open-apis/ephemeral/v1/send): a card, as an
   * object, in a group chat, that only `open_id` sees. Cards only; answered
   * with just the new message's id.
   */
  private ephemeral(body: Json): Json | Refusal {
    if (typeof body.chat_id !== 'string' || !body.chat_id.startsWith('oc_')) return ERR.validation('chat_id', 'chat_id is required');
    if (typeof body.open_id !== 'string' || !body.open_id.startsWith('ou_')) return ERR.validation('open_id', 'open_id is required');
    if (body.msg_type !== 'interactive') return ERR.invalidParam('invalid msg_type');
    if (!body.card || typeof body.card !== 'object' || Array.isArray(body.card)) return ERR.invalidParam('invalid card');
    if (body.chat_id.startsWith('oc_p2p_')) return ERR.invalidParam('ephemeral cards are for group chats');
    if (Buffer.byteLength(JSON.stringify(body)) > bodyLimit('interactive')) return ERR.tooLong();
    const m = this.remember({
      message_id: this.id('om'),
      chat_id: body.chat_id,
      msg_type: 'interactive',
      content: body.card as Record<string, any>,
      ephemeral_to: body.open_id,
      create_time: String(Date.now()),
      updates: [],
    });
    return { message_id: (m as { message_id: string }).message_id };
  }

  private reply(parentId: string, body: Json): Json | Refusal {
    const parent = this.messages.get(parentId) ?? userMessages.get(parentId);
    if (!parent) return ERR.invalidParam('invalid message_id');
    const content = this.content(body);
    if (content instanceof Refusal) return content;
    const again = this.deduped(body);
    if (again) return again;
    // A reply to a message in a thread stays in it; reply_in_thread starts one otherwise.
    const threadId = parent.thread_id ?? (body.reply_in_thread === true ? this.id('omt') : undefined);
    return this.remember({
      message_id: this.id('om'),
      chat_id: parent.chat_id,
      msg_type: body.msg_type,
      content,
      root_id: parent.root_id ?? parentId,
      parent_id: parentId,
      ...(threadId ? { thread_id: threadId } : {}),
      ...(typeof body.uuid === 'string' ? { uuid: body.uuid } : {}),
      create_time: String(Date.now()),
      updates: [],
    });
  }

  private patch(messageId: string, body: Json): Json | Refusal {
    const m = this.messages.get(messageId);
    if (!m) return ERR.invalidParam(userMessages.has(messageId) ? 'bot or user is not the message`s sender' : 'invalid message_id');
    if (m.msg_type !== 'interactive') return ERR.invalidParam('This message is NOT a card');
    const content = this.content({ ...body, msg_type: 'interactive' });
    if (content instanceof Refusal) return content;
    m.updates.push(content);
    return {};
  }

  private user(id: string, query: Record<string, string>): Json | Refusal {
    const idType = query.user_id_type ?? 'open_id';
    const u = [...this.users.values()].find((x) => (userIds(x.open_id) as Record<string, string>)[idType] === id);
    if (!u) return ERR.noUserAuthority();
    return {
      user: {
        ...userIds(u.open_id),
        name: u.name,
        ...(u.en_name !== undefined ? { en_name: u.en_name } : {}),
        ...(u.time_zone !== undefined ? { time_zone: u.time_zone } : {}),
        status: {
          is_frozen: u.status?.is_frozen ?? false,
          is_resigned: u.status?.is_resigned ?? false,
          is_activated: !(u.status?.is_resigned ?? false),
          is_exited: false,
          is_unjoin: false,
        },
      },
    };
  }
}

/** The same user by any of their ids lands in the same p2p chat, the one their events come from. */
function openIdOf(type: ReceiveIdType, id: string): string {
  if (type === 'union_id') return id.replace(/^on_/, 'ou_');
  if (type === 'user_id') return `ou_${id}`;
  return id;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------
// Events, in Lark's schema 2.0 envelope.

export interface LarkEventHeader {
  event_id: string;
  event_type: string;
  create_time: string;
  token: string;
  app_id: string;
  tenant_key: string;
}

export interface LarkEvent<E = Record<string, unknown>> {
  schema: '2.0';
  header: LarkEventHeader;
  event: E;
}

export interface EventCommon {
  eventId?: string;
  /** The app's Verification Token, which Lark puts in header.token. */
  token?: string;
  /** The tenant the event is from (header.tenant_key, and the sender's or operator's): FAKE_TENANT unless said. */
  tenantKey?: string;
}

let seq = 0;
const next = () => ++seq;
const eventId = () => randomBytes(16).toString('hex');

function envelope<E>(eventType: string, event: E, o: EventCommon): LarkEvent<E> {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId ?? eventId(),
      event_type: eventType,
      create_time: String(Date.now()),
      token: o.token ?? 'v-token',
      app_id: FAKE_APP.appId,
      tenant_key: o.tenantKey ?? FAKE_TENANT,
    },
    event,
  };
}

/** The app_ticket Lark pushes to a store app, hourly and after a resend: still in the schema 1.0 envelope. */
export function appTicketEvent(app: typeof FAKE_APP, ticket: string, token = 'v-token') {
  return {
    ts: (Date.now() / 1000).toFixed(7),
    uuid: randomBytes(16).toString('hex'),
    token,
    type: 'event_callback',
    event: { app_id: app.appId, app_ticket: ticket, type: 'app_ticket' },
  };
}

export interface Mention {
  key: string;
  openId: string;
  name: string;
}

/**
 * A user's text message to the bot (`im.message.receive_v1`). In a group Lark
 * only delivers messages that @-mention the bot (without the read-all
 * permission), so a group message mentions the bot unless `mentions` says
 * otherwise; the mention keys are put in front of the text when it does not
 * contain them already, as they appear in the real content.
 */
export function messageEvent(
  o: EventCommon & {
    text: string;
    from: string;
    chatType: 'p2p' | 'group';
    chatId?: string;
    mentions?: Mention[];
    messageId?: string;
    rootId?: string;
    parentId?: string;
    threadId?: string;
  },
) {
  const messageId = o.messageId ?? `om_u${next()}`;
  const chatId = o.chatId ?? (o.chatType === 'p2p' ? p2pChatId(o.from) : 'oc_group1');
  const mentions = o.mentions ?? (o.chatType === 'group' ? [{ key: '@_user_1', openId: FAKE_BOT.openId, name: FAKE_BOT.name }] : []);
  const missing = mentions.filter((m) => !o.text.includes(m.key)).map((m) => m.key);
  const text = missing.length ? `${missing.join(' ')} ${o.text}` : o.text;
  const now = String(Date.now());
  const parentId = o.parentId ?? o.rootId;
  userMessages.set(messageId, { chat_id: chatId, ...(o.rootId ? { root_id: o.rootId } : {}), ...(o.threadId ? { thread_id: o.threadId } : {}) });
  return envelope(
    'im.message.receive_v1',
    {
      sender: { sender_id: userIds(o.from), sender_type: 'user', tenant_key: o.tenantKey ?? FAKE_TENANT },
      message: {
        message_id: messageId,
        ...(o.rootId ? { root_id: o.rootId } : {}),
        ...(parentId ? { parent_id: parentId } : {}),
        create_time: now,
        update_time: now,
        chat_id: chatId,
        ...(o.threadId ? { thread_id: o.threadId } : {}),
        chat_type: o.chatType,
        message_type: 'text',
        content: JSON.stringify({ text }),
        ...(mentions.length ? { mentions: mentions.map((m) => ({ key: m.key, id: userIds(m.openId), name: m.name, tenant_key: o.tenantKey ?? FAKE_TENANT })) } : {}),
      },
    },
    o,
  );
}

/** A click on (or form submit in) a card the bot sent: `card.action.trigger`. */
export function cardActionEvent(
  o: EventCommon & {
    from: string;
    value: Record<string, unknown>;
    formValue?: Record<string, unknown>;
    name?: string;
    tag?: string;
    messageId: string;
    chatId: string;
  },
) {
  const { user_id, open_id, union_id } = userIds(o.from);
  return envelope(
    'card.action.trigger',
    {
      operator: { tenant_key: o.tenantKey ?? FAKE_TENANT, user_id, open_id, union_id },
      // The token for updating the card later through the delayed-update API.
      token: `c-${randomBytes(20).toString('hex')}`,
      action: {
        value: o.value,
        tag: o.tag ?? 'button',
        ...(o.formValue ? { form_value: o.formValue } : {}),
        ...(o.name ? { name: o.name } : {}),
      },
      host: 'im_message',
      context: { open_message_id: o.messageId, open_chat_id: o.chatId },
    },
    o,
  );
}

/** A click on the bot's custom menu: `application.bot.menu_v6`. */
export function botMenuEvent(o: EventCommon & { from: string; eventKey: string; name?: string }) {
  const { open_id, user_id, union_id } = userIds(o.from);
  return envelope(
    'application.bot.menu_v6',
    {
      operator: { operator_name: o.name ?? o.from, operator_id: { open_id, user_id, union_id } },
      event_key: o.eventKey,
      timestamp: Math.floor(Date.now() / 1000),
    },
    o,
  );
}

/** A user removed from the tenant: `contact.user.deleted_v3`. */
export function userDeletedEvent(o: EventCommon & { openId: string; name?: string }) {
  return envelope(
    'contact.user.deleted_v3',
    {
      object: {
        ...userIds(o.openId),
        name: o.name ?? o.openId,
        status: { is_frozen: false, is_resigned: true, is_activated: false, is_exited: false, is_unjoin: false },
        department_ids: [],
      },
      old_object: { open_id: o.openId, department_ids: ['od-sales'] },
    },
    o,
  );
}

/** The challenge Lark posts when a callback URL is saved in the developer console. */
export function urlVerification(token: string, challenge: string) {
  return { challenge, token, type: 'url_verification' as const };
}

// ---------------------------------------------------------------------------
// HTTP delivery: how Lark posts events and card callbacks to an app's URL.

/** base64(IV || AES-256-CBC(key = sha256(encryptKey), PKCS#7)(plaintext)), with a random 16-byte IV. */
export function encrypt(key: string, plaintext: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(key).digest(), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** X-Lark-Signature: hex sha256 of timestamp + nonce + encryptKey + the raw body. */
export function signature(timestamp: string | number, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(`${timestamp}${nonce}${encryptKey}${rawBody}`).digest('hex');
}

export interface PostOptions {
  /** Encrypt the body as `{"encrypt": ...}` and sign with this key (Lark signs with the Encrypt Key; with none, over an empty key). */
  encryptKey?: string;
  /** Send a signature that does not match. */
  badSignature?: boolean;
  /** Send no X-Lark-Signature header. */
  omitSignature?: boolean;
  /** Send exactly this as the body instead of the (encrypted) JSON of `body`; the signature is over it. */
  raw?: string;
  /** X-Lark-Request-Timestamp, seconds since the epoch (default now). */
  timestamp?: number;
  /** X-Lark-Request-Nonce (default a random one). */
  nonce?: string;
  /** Give up on the answer after this long, as Lark does (LARK_ANSWER_DEADLINE_MS): then the status is 0. */
  deadlineMs?: number;
}

/** How long Lark waits for the answer to an event or a card callback before it counts the request failed. */
export const LARK_ANSWER_DEADLINE_MS = 3_000;

export async function postToApp(url: string, body: object, opts: PostOptions = {}): Promise<{ status: number; text: string; json?: any }> {
  const key = opts.encryptKey ?? '';
  const raw = opts.raw ?? (opts.encryptKey ? JSON.stringify({ encrypt: encrypt(opts.encryptKey, JSON.stringify(body)) }) : JSON.stringify(body));
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(8).toString('hex');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'X-Lark-Request-Timestamp': timestamp,
    'X-Lark-Request-Nonce': nonce,
  };
  if (!opts.omitSignature) headers['X-Lark-Signature'] = signature(timestamp, nonce, key, opts.badSignature ? `${raw} ` : raw);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: raw, ...(opts.deadlineMs ? { signal: AbortSignal.timeout(opts.deadlineMs) } : {}) });
  } catch (e) {
    if (opts.deadlineMs && e instanceof DOMException && e.name === 'TimeoutError') return { status: 0, text: "no answer within Lark's deadline" };
    throw e;
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return json === undefined ? { status: res.status, text } : { status: res.status, text, json };
}
