// A local stand-in for Slack's servers, so the real Bolt app can be tested
// without reaching slack.com:
//
// - `FakeSlack` plays the Web API (`POST /api/<method>`, form or JSON bodies,
//   answered in Slack's shapes) and the `response_url` endpoints
//   (`POST /response/<n>`), recording every call. It can be told to answer a
//   method with `ok:false` or with HTTP 429 and `Retry-After`.
// - `signedHeaders` / `sendToApp` sign requests exactly as Slack does
//   (`v0:<timestamp>:<body>`, HMAC-SHA256 with the signing secret).
// - Builders for the payloads Slack sends: slash command form bodies,
//   `block_actions`, `view_submission`, `block_suggestion`, message shortcuts,
//   and `event_callback` envelopes (`app_mention`, `message` in a DM,
//   `app_home_opened`). On Enterprise Grid (`enterprise` in `Who`) they carry
//   the organisation as Slack sends it: `enterprise_id` on commands and
//   events, `enterprise` and `team.enterprise_id` on interactivity, and
//   `is_enterprise_install` / `authorizations` for an org-wide install.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------
// The Web API and response_url server.

export interface RecordedCall {
  method: string;
  /** The decoded body: form fields (JSON-valued fields such as `view` and `blocks` parsed) or the JSON object. */
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
  /** What the fake answered (set once answered). */
  answer?: Record<string, any>;
  /** HTTP status the fake answered with. */
  status?: number;
}

export interface RecordedResponse {
  /** `/response/<n>` */
  path: string;
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
}

export interface FakeUser {
  id: string;
  name: string;
  real_name: string;
  display_name?: string;
  tz?: string;
  locale?: string;
  team_id?: string;
  deleted?: boolean;
}

export type Failure = { error: string; needed?: string } | { status: 429; retryAfter: number };

/** A file on its way through the three calls of files.uploadV2. */
export interface FakeFile {
  id: string;
  filename: string;
  /** The length getUploadURLExternal was told. */
  length: number;
  altText?: string;
  data?: Buffer;
  title?: string;
  channel?: string;
  threadTs?: string;
  initialComment?: string;
}

export const FAKE_TEAM = { id: 'T1', name: 'Acme Freight', domain: 'acme-freight' };

/**
 * Whom the bot token belongs to, as auth.test answers: a workspace (the
 * default), a workspace of an Enterprise Grid organisation, or the whole
 * organisation (an org-wide install, whose token has no single workspace).
 */
export interface FakeInstall {
  teamId: string | null;
  teamName: string;
  enterpriseId?: string;
  orgWide?: boolean;
}
export const FAKE_BOT = { userId: 'UBOT', botId: 'B1', appId: 'A1' };

/**
 * What `oauth.v2.access` gives for an authorization code (an install through
 * OAuth): the bot token of a workspace, or of an organisation (`orgWide`), and,
 * when the app rotates its tokens, a refresh token and a lifetime.
 */
export interface FakeGrant extends FakeInstall {
  token: string;
  refreshToken?: string;
  /** Seconds. */
  expiresIn?: number;
  scope?: string;
}

/** Form fields that Slack's clients send as JSON text. */
const JSON_FIELDS = new Set(['view', 'blocks', 'attachments', 'metadata', 'options', 'files']);

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly responses: RecordedResponse[] = [];
  readonly users = new Map<string, FakeUser>();
  /** The token a request must carry (Authorization: Bearer, or a `token` field). */
  token = 'xoxb-test';
  /** What auth.test says the token belongs to. */
  install: FakeInstall = { teamId: FAKE_TEAM.id, teamName: FAKE_TEAM.name };
  /** The OAuth app's credentials, which oauth.v2.access checks. */
  readonly oauthApp = { clientId: '111.222', clientSecret: 'fake-client-secret' };
  /** Other bot tokens (installs through OAuth), by token. */
  private readonly installs = new Map<string, FakeInstall>();
  private readonly revoked = new Set<string>();
  private readonly codes = new Map<string, FakeGrant>();
  private readonly refreshes = new Map<string, FakeGrant>();
  private rotations = 0;
  private server: Server | undefined;
  private port = 0;
  private nextTs = 0;
  private nextResponseUrl = 0;
  private nextView = 0;
  private readonly failures = new Map<string, Failure[]>();
  private readonly holds = new Map<string, { gate: Promise<void>; waiting: number }>();
  private readonly waiters = new Set<() => void>();
  /**
   * Files as files.uploadV2 sends them (files.getUploadURLExternal, the bytes POSTed to the URL it
   * returns, files.completeUploadExternal): `data` once uploaded, `channel` once completed (shared).
   */
  readonly files = new Map<string, FakeFile>();
  private nextFile = 0;
  /** The next `n` POSTs to an upload URL are answered with HTTP 500. */
  failUploads = 0;

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What SLACK_API_URL should be. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** `code` is an authorization code that oauth.v2.access exchanges (once) for `grant`. */
  grant(code: string, grant: FakeGrant): this {
    this.codes.set(code, grant);
    return this;
  }

  /** The token stops working, as when a workspace uninstalls the app or revokes it (`token_revoked`). */
  revoke(token: string): this {
    this.installs.delete(token);
    this.revoked.add(token);
    return this;
  }

  /** Bot tokens that work now, besides `token`. */
  get liveTokens(): string[] {
    return [...this.installs.keys()];
  }

  /** The workspace or organisation whose token it is. */
  installOf(token: string): FakeInstall | undefined {
    return token === this.token ? this.install : this.installs.get(token);
  }

  private oauthAccess(body: Record<string, any>, headers: IncomingHttpHeaders): Record<string, unknown> {
    // Credentials in the body, or as HTTP Basic auth.
    const basic = String(headers.authorization ?? '').startsWith('Basic ')
      ? Buffer.from(String(headers.authorization).slice(6), 'base64').toString('utf8').split(':')
      : [body.client_id, body.client_secret];
    if (basic[0] !== this.oauthApp.clientId || basic[1] !== this.oauthApp.clientSecret) return { ok: false, error: 'invalid_client_id' };
    let grant: FakeGrant | undefined;
    if (body.grant_type === 'refresh_token') {
      const old = this.refreshes.get(String(body.refresh_token ?? ''));
      if (!old) return { ok: false, error: 'invalid_refresh_token' };
      this.refreshes.delete(String(body.refresh_token));
      // The old token keeps working until it expires on Slack; here it stops at once, so a test sees the new one used.
      this.revoke(old.token);
      this.rotations++;
      // A renewed token lives twelve hours, as on Slack.
      grant = { ...old, token: `xoxe.xoxb-rotated-${this.rotations}`, refreshToken: `xoxe-1-refresh-${this.rotations}`, expiresIn: 43_200 };
    } else {
      grant = this.codes.get(String(body.code ?? ''));
      if (!grant) return { ok: false, error: 'invalid_code' };
      this.codes.delete(String(body.code));
    }
    this.installs.set(grant.token, grant);
    if (grant.refreshToken) this.refreshes.set(grant.refreshToken, grant);
    const enterprise = grant.enterpriseId ? { id: grant.enterpriseId, name: GRID_NAME } : null;
    if (body.grant_type === 'refresh_token') {
      return {
        ok: true,
        token_type: 'bot',
        access_token: grant.token,
        refresh_token: grant.refreshToken,
        expires_in: grant.expiresIn ?? 43_200,
        scope: grant.scope ?? 'chat:write,commands',
      };
    }
    return {
      ok: true,
      app_id: FAKE_BOT.appId,
      authed_user: { id: 'UINSTALLER' },
      scope: grant.scope ?? 'app_mentions:read,chat:write,chat:write.public,commands,im:history,users:read',
      token_type: 'bot',
      access_token: grant.token,
      bot_user_id: FAKE_BOT.userId,
      team: grant.orgWide ? null : { id: grant.teamId, name: grant.teamName },
      enterprise,
      is_enterprise_install: Boolean(grant.orgWide),
      ...(grant.refreshToken ? { refresh_token: grant.refreshToken, expires_in: grant.expiresIn ?? 43_200 } : {}),
    };
  }

  addUser(u: FakeUser): this {
    this.users.set(u.id, u);
    return this;
  }

  /** The next `times` calls of `method` fail as given; later calls succeed again. */
  fail(method: string, failure: Failure, times = 1): this {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.failures.set(method, list);
    return this;
  }

  /**
   * Calls of `method` are recorded at once but answered only after the returned
   * function is called: Slack being slow, without the test measuring time.
   */
  hold(method: string): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(method, { gate, waiting: 0 });
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  /** How many calls of `method` are waiting on a hold. */
  waiting(method: string): number {
    return this.holds.get(method)?.waiting ?? 0;
  }

  /** A fresh response_url that this server answers and records. */
  responseUrl(): string {
    return `${this.url}/response/${++this.nextResponseUrl}`;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  responsesTo(url: string): RecordedResponse[] {
    const path = new URL(url).pathname;
    return this.responses.filter((r) => r.path === path);
  }

  /** Resolves when `check` holds, re-checking whenever a call or response is recorded (and every 20 ms). */
  /**
   * What Slack shows for a slash command Steward answered with `res`: the
   * answer its ack carried (JSON), or, when the ack was empty (a command slower
   * than the ack budget), the first answer POSTed to its response_url.
   */
  async slashAnswer(res: AppResponse, responseUrl: string, limitMs?: number): Promise<any> {
    if (res.json?.text !== undefined) return res.json;
    return (await this.until(() => this.responsesTo(responseUrl)[0], `an answer at ${responseUrl}`, limitMs)).body;
  }

  async until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what = 'a call to the fake Slack', limitMs = 10_000): Promise<T> {
    // The check may read the database, which is asynchronous: it is awaited, and re-run when a call arrives or every
    // 20 ms (for conditions that do not depend on a call arriving).
    const deadline = Date.now() + limitMs;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() >= deadline) {
        throw new Error(`timed out waiting for ${what}; calls so far: ${this.calls.map((c) => c.method).join(', ') || 'none'}`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 20);
        this.waiters.add(wake);
      });
    }
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bytes = await readBody(req);
    const raw = bytes.toString('utf8');
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method === 'POST' && path.startsWith('/upload/')) return this.upload(path.slice('/upload/'.length), bytes, String(req.headers['content-type'] ?? ''), res);
    const body = decodeBody(raw, String(req.headers['content-type'] ?? ''));
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(payload));
    };

    if (req.method === 'POST' && path.startsWith('/response/')) {
      this.responses.push({ path, body, headers: req.headers });
      // Slack answers a response_url POST with a bare `ok`... in JSON for newer apps.
      json(200, { ok: true });
      this.notify();
      return;
    }
    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const method = m[1]!;
    const call: RecordedCall = { method, body, headers: req.headers };
    this.calls.push(call);
    const answer = (status: number, payload: Record<string, any>, headers: Record<string, string> = {}) => {
      call.status = status;
      call.answer = payload;
      json(status, payload, headers);
    };
    const held = this.holds.get(method);
    if (held) {
      held.waiting++;
      this.notify();
      await held.gate;
    }
    try {
      const failure = this.failures.get(method)?.shift();
      if (failure) {
        if ('status' in failure) answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
        else answer(200, { ok: false, error: failure.error, ...(failure.needed ? { needed: failure.needed, provided: 'chat:write' } : {}) });
        return;
      }
      // OAuth's own method: the app's credentials, no token.
      if (method === 'oauth.v2.access') return answer(200, this.oauthAccess(body, req.headers));
      const auth = String(req.headers.authorization ?? '');
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof body.token === 'string' ? body.token : undefined;
      if (!token) return answer(200, { ok: false, error: 'not_authed' });
      const install = this.installOf(token);
      if (!install) return answer(200, { ok: false, error: this.revoked.has(token) ? 'token_revoked' : 'invalid_auth' });
      answer(200, this.answer(method, body, install));
    } finally {
      this.notify();
    }
  }

  /** The upload URL's side of files.uploadV2: the bytes in a multipart body (field `body`) or as they are. */
  private upload(id: string, bytes: Buffer, contentType: string, res: ServerResponse): void {
    const file = this.files.get(id);
    if (this.failUploads > 0) {
      this.failUploads--;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('upload failed');
    } else if (!file) res.writeHead(404, { 'content-type': 'text/plain' }).end('no such upload');
    else {
      file.data = multipartField(bytes, contentType, 'body') ?? bytes;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${file.data.length}`);
    }
    this.notify();
  }

  private ts(): string {
    this.nextTs++;
    return `${1_780_000_000 + this.nextTs}.${String(this.nextTs).padStart(6, '0')}`;
  }

  /** A DM addressed by user id lands in the app's DM channel with them, as on Slack. */
  private channelFor(channel: string): string {
    return /^[UW]/.test(channel) ? `D${channel.slice(1)}` : channel;
  }

  private answer(method: string, body: Record<string, any>, install: FakeInstall): Record<string, unknown> {
    switch (method) {
      case 'api.test':
        return { ok: true, args: body };
      case 'auth.test': {
        const { teamId, teamName, enterpriseId, orgWide } = install;
        return {
          ok: true,
          url: orgWide ? `https://${teamName.toLowerCase().replace(/\W+/g, '-')}.enterprise.slack.com/` : `https://${FAKE_TEAM.domain}.slack.com/`,
          team: teamName,
          user: 'steward',
          team_id: teamId,
          user_id: FAKE_BOT.userId,
          bot_id: FAKE_BOT.botId,
          ...(enterpriseId ? { enterprise_id: enterpriseId } : {}),
          is_enterprise_install: Boolean(orgWide),
        };
      }
      case 'users.info': {
        const u = this.users.get(String(body.user ?? ''));
        if (!u) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id: u.id,
            team_id: u.team_id ?? FAKE_TEAM.id,
            name: u.name,
            deleted: u.deleted ?? false,
            real_name: u.real_name,
            tz: u.tz ?? 'America/Los_Angeles',
            tz_label: 'Local time',
            tz_offset: 0,
            ...(body.include_locale === 'true' || body.include_locale === true ? { locale: u.locale ?? 'en-US' } : {}),
            profile: { real_name: u.real_name, display_name: u.display_name ?? '' },
            is_bot: false,
          },
        };
      }
      case 'chat.postMessage': {
        if (!body.channel) return { ok: false, error: 'channel_not_found' };
        if (!body.text && !body.blocks && !body.attachments) return { ok: false, error: 'no_text' };
        const channel = this.channelFor(String(body.channel));
        const ts = this.ts();
        return {
          ok: true,
          channel,
          ts,
          message: {
            type: 'message',
            text: body.text ?? '',
            user: FAKE_BOT.userId,
            bot_id: FAKE_BOT.botId,
            ts,
            ...(body.thread_ts ? { thread_ts: body.thread_ts } : {}),
            blocks: body.blocks,
          },
        };
      }
      case 'chat.postEphemeral':
        if (!body.channel || !body.user) return { ok: false, error: 'invalid_arguments' };
        return { ok: true, message_ts: this.ts() };
      case 'chat.update':
        if (!body.channel || !body.ts) return { ok: false, error: 'invalid_arguments' };
        return { ok: true, channel: body.channel, ts: body.ts, text: body.text ?? '', message: { text: body.text ?? '', blocks: body.blocks } };
      case 'chat.getPermalink':
        if (!body.channel || !body.message_ts) return { ok: false, error: 'invalid_arguments' };
        return { ok: true, channel: body.channel, permalink: `https://${FAKE_TEAM.domain}.slack.com/archives/${body.channel}/p${String(body.message_ts).replace('.', '')}` };
      case 'views.open':
      case 'views.push':
      case 'views.update':
      case 'views.publish': {
        if (method === 'views.open' && !body.trigger_id) return { ok: false, error: 'invalid_arguments' };
        // A trigger id is good for 3 seconds after the user acted, as on Slack (see triggerId: it carries its time).
        if (method === 'views.open' && Date.now() - Number(String(body.trigger_id).split('.')[1]) > TRIGGER_LIFETIME_MS) return { ok: false, error: 'expired_trigger_id' };
        if (method === 'views.publish' && !body.user_id) return { ok: false, error: 'invalid_arguments' };
        const view = body.view;
        if (!view || typeof view !== 'object') return { ok: false, error: 'invalid_arguments' };
        const max = 100;
        if (Array.isArray(view.blocks) && view.blocks.length > max) return { ok: false, error: 'invalid_arguments' };
        const id = `V${String(++this.nextView).padStart(4, '0')}`;
        return { ok: true, view: { id, team_id: FAKE_TEAM.id, app_id: FAKE_BOT.appId, bot_id: FAKE_BOT.botId, state: { values: {} }, hash: `h${id}`, ...view } };
      }
      case 'files.getUploadURLExternal': {
        const length = Number(body.length);
        if (!body.filename || !Number.isInteger(length) || length <= 0) return { ok: false, error: 'invalid_arguments' };
        const id = `F${String(++this.nextFile).padStart(6, '0')}`;
        this.files.set(id, { id, filename: String(body.filename), length, ...(body.alt_txt || body.alt_text ? { altText: String(body.alt_txt ?? body.alt_text) } : {}) });
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const list = Array.isArray(body.files) ? (body.files as { id: string; title?: string }[]) : [];
        if (!list.length) return { ok: false, error: 'invalid_arguments' };
        for (const f of list) {
          const file = this.files.get(f.id);
          // Slack refuses to complete a file whose bytes never arrived, or arrived short.
          if (!file?.data || file.data.length !== file.length) return { ok: false, error: 'file_not_found' };
        }
        return {
          ok: true,
          files: list.map((f) => {
            const file = this.files.get(f.id)!;
            Object.assign(file, {
              title: f.title ?? file.filename,
              ...(body.channel_id ? { channel: String(body.channel_id) } : {}),
              ...(body.thread_ts ? { threadTs: String(body.thread_ts) } : {}),
              ...(body.initial_comment ? { initialComment: String(body.initial_comment) } : {}),
            });
            return { id: file.id, name: file.filename, title: file.title, size: file.length };
          }),
        };
      }
      case 'conversations.open': {
        const users = String(body.users ?? '');
        if (!users) return { ok: false, error: 'user_not_found' };
        return { ok: true, channel: { id: `D${users.split(',')[0]!.slice(1)}` } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One field of a multipart/form-data body, as bytes (the WebClient sends a file's bytes in field `body`). */
function multipartField(bytes: Buffer, contentType: string, name: string): Buffer | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = bytes.indexOf(delimiter);
  while (at >= 0) {
    const next = bytes.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = bytes.subarray(at + delimiter.length + 2, next - 2); // past the CRLF after the delimiter, before the one ending the part
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0 && new RegExp(`name="${name}"`).test(part.subarray(0, split).toString('utf8'))) return part.subarray(split + 4);
    at = next;
  }
  return undefined;
}

function decodeBody(raw: string, contentType: string): Record<string, any> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, any>;
    } catch {
      return { _raw: raw };
    }
  }
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.has(k) && /^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // leave it as text
      }
    }
    out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Signing, as Slack does it.

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': slackSignature(secret, timestamp, body) };
}

/** A request as Slack would send it: a form body (commands, interactivity) or JSON (events). */
export interface SlackRequest {
  body: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
}

export interface SendOptions {
  /** Signing secret; omit with `unsigned` to send no signature headers at all. */
  secret: string;
  unsigned?: boolean;
  /** Seconds since the epoch for X-Slack-Request-Timestamp (default now). */
  timestamp?: number;
  /** Replaces the computed signature. */
  signature?: string;
  /** X-Slack-Retry-Num, with X-Slack-Retry-Reason http_timeout. */
  retryNum?: number;
}

export interface AppResponse {
  status: number;
  text: string;
  /** The body as JSON, when it is JSON. */
  json: any;
}

export async function sendToApp(url: string, req: SlackRequest, opts: SendOptions): Promise<AppResponse> {
  const headers: Record<string, string> = { 'Content-Type': req.contentType, 'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' };
  if (!opts.unsigned) {
    // A retry (http_timeout) is a new request, signed when Slack sends it: at least the 3 seconds it waited for an ack later.
    const timestamp = opts.timestamp ?? (opts.retryNum !== undefined ? Math.floor(Date.now() / 1000) + 3 * opts.retryNum : undefined);
    const sig = signedHeaders(opts.secret, req.body, timestamp);
    Object.assign(headers, sig);
    if (opts.signature !== undefined) headers['X-Slack-Signature'] = opts.signature;
  }
  if (opts.retryNum !== undefined) {
    headers['X-Slack-Retry-Num'] = String(opts.retryNum);
    headers['X-Slack-Retry-Reason'] = 'http_timeout';
  }
  const res = await fetch(url, { method: 'POST', headers, body: req.body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

// ---------------------------------------------------------------------------
// Payloads, in the shapes Slack sends.

export interface Who {
  user: string;
  userName?: string;
  team?: string;
  /** The Enterprise Grid organisation the team belongs to. */
  enterprise?: string;
  /** The app is installed org-wide on that organisation (`is_enterprise_install`). */
  orgWide?: boolean;
}

const GRID_NAME = 'Acme Grid';
const enterpriseOf = (o: Who) => (o.enterprise ? { id: o.enterprise, name: GRID_NAME } : null);

let seq = 0;
const next = () => ++seq;
/** How long Slack honours a trigger id. */
export const TRIGGER_LIFETIME_MS = 3_000;
/** A trigger id, carrying the time the user acted as Slack's do (`<n>.<ms>.<hex>`), so the fake can refuse an expired one. */
export const triggerId = () => `${next()}.${Date.now()}.${randomUUID().replace(/-/g, '').slice(0, 32)}`;
const actionTs = () => (Date.now() / 1000).toFixed(6);

function form(fields: Record<string, string | undefined>): SlackRequest {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) p.set(k, v);
  return { body: p.toString(), contentType: 'application/x-www-form-urlencoded' };
}

/** Interactivity: `payload=<json>` as a form body. */
export function interactive(payload: Record<string, unknown>): SlackRequest {
  return form({ payload: JSON.stringify(payload) });
}

export function slashCommand(o: Who & { command: string; text: string; responseUrl: string; channel?: string; triggerId?: string }): SlackRequest {
  const team = o.team ?? FAKE_TEAM.id;
  return form({
    token: 'verification-token-unused',
    team_id: team,
    team_domain: team === FAKE_TEAM.id ? FAKE_TEAM.domain : `team-${team.toLowerCase()}`,
    ...(o.enterprise ? { enterprise_id: o.enterprise, enterprise_name: GRID_NAME } : {}),
    channel_id: o.channel ?? 'C0SALES',
    channel_name: 'key-accounts',
    user_id: o.user,
    user_name: o.userName ?? o.user.toLowerCase(),
    command: o.command,
    text: o.text,
    api_app_id: FAKE_BOT.appId,
    is_enterprise_install: o.orgWide ? 'true' : 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId ?? triggerId(),
  });
}

function userOf(o: Who) {
  const team = o.team ?? FAKE_TEAM.id;
  return { id: o.user, username: o.userName ?? o.user.toLowerCase(), name: o.userName ?? o.user.toLowerCase(), team_id: team };
}

function teamOf(o: Who) {
  const team = o.team ?? FAKE_TEAM.id;
  return {
    id: team,
    domain: team === FAKE_TEAM.id ? FAKE_TEAM.domain : `team-${team.toLowerCase()}`,
    ...(o.enterprise ? { enterprise_id: o.enterprise, enterprise_name: GRID_NAME } : {}),
  };
}

interface ButtonClick extends Who {
  actionId: string;
  value: string;
  label?: string;
  triggerId?: string;
  blockId?: string;
}

function clicked(o: ButtonClick) {
  return [
    {
      action_id: o.actionId,
      block_id: o.blockId ?? 'b1',
      text: { type: 'plain_text', text: o.label ?? 'Button', emoji: true },
      value: o.value,
      type: 'button',
      action_ts: actionTs(),
    },
  ];
}

/** A click on a button in a message Steward posted (ephemeral by default, as its replies are). */
export function blockActions(o: ButtonClick & { responseUrl: string; channel?: string; messageTs?: string; ephemeral?: boolean }): SlackRequest {
  const channel = o.channel ?? 'C0SALES';
  const messageTs = o.messageTs ?? '1780000000.000001';
  return interactive({
    type: 'block_actions',
    user: userOf(o),
    api_app_id: FAKE_BOT.appId,
    token: 'verification-token-unused',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: o.ephemeral ?? true },
    trigger_id: o.triggerId ?? triggerId(),
    team: teamOf(o),
    enterprise: enterpriseOf(o),
    is_enterprise_install: Boolean(o.orgWide),
    channel: { id: channel, name: 'key-accounts' },
    state: { values: {} },
    response_url: o.responseUrl,
    actions: clicked(o),
  });
}

/** A click on a button in the App Home tab: Slack sends a view container and no response_url. */
export function homeBlockActions(o: ButtonClick & { viewId?: string }): SlackRequest {
  const viewId = o.viewId ?? 'VHOME01';
  return interactive({
    type: 'block_actions',
    user: userOf(o),
    api_app_id: FAKE_BOT.appId,
    token: 'verification-token-unused',
    container: { type: 'view', view_id: viewId },
    trigger_id: o.triggerId ?? triggerId(),
    team: teamOf(o),
    enterprise: enterpriseOf(o),
    is_enterprise_install: Boolean(o.orgWide),
    view: {
      id: viewId,
      team_id: o.team ?? FAKE_TEAM.id,
      type: 'home',
      blocks: [],
      private_metadata: '',
      callback_id: '',
      state: { values: {} },
      hash: `h${viewId}`,
      app_id: FAKE_BOT.appId,
      external_id: '',
      app_installed_team_id: o.team ?? FAKE_TEAM.id,
      bot_id: FAKE_BOT.botId,
    },
    state: { values: {} },
    actions: clicked(o),
  });
}

export type StateValues = Record<string, Record<string, Record<string, unknown>>>;

/** The modal as Slack holds it once open: what was sent to views.open, plus the ids Slack adds. */
export interface OpenView {
  callback_id: string;
  blocks: { block_id?: string; type: string; element?: { action_id?: string; type?: string } }[];
  private_metadata?: string;
  [k: string]: unknown;
}

export function viewSubmission(o: Who & { view: OpenView; values: StateValues; viewId?: string }): SlackRequest {
  const id = o.viewId ?? `V${next()}`;
  return interactive({
    type: 'view_submission',
    team: teamOf(o),
    user: userOf(o),
    api_app_id: FAKE_BOT.appId,
    token: 'verification-token-unused',
    trigger_id: triggerId(),
    view: {
      id,
      team_id: o.team ?? FAKE_TEAM.id,
      type: 'modal',
      private_metadata: '',
      ...o.view,
      state: { values: o.values },
      hash: `h${id}`,
      previous_view_id: null,
      root_view_id: id,
      app_id: FAKE_BOT.appId,
      external_id: '',
      app_installed_team_id: o.team ?? FAKE_TEAM.id,
      bot_id: FAKE_BOT.botId,
    },
    response_urls: [],
    is_enterprise_install: Boolean(o.orgWide),
    enterprise: enterpriseOf(o),
  });
}

/** State values for the inputs of a submitted modal, keyed by block id then action id. */
export const input = {
  text: (value: string | null) => ({ value: { type: 'plain_text_input', value } }),
  select: (actionId: string, value: string | null, kind: 'static_select' | 'external_select' = 'static_select') => ({
    [actionId]: { type: kind, selected_option: value === null ? null : { text: { type: 'plain_text', text: value, emoji: true }, value } },
  }),
  date: (value: string | null) => ({ value: { type: 'datepicker', selected_date: value } }),
};

/** Type-ahead in an external_select of an open modal. */
export function blockSuggestion(o: Who & { actionId: string; blockId: string; value: string; viewId?: string }): SlackRequest {
  return interactive({
    type: 'block_suggestion',
    user: userOf(o),
    container: { type: 'view', view_id: o.viewId ?? 'V0001' },
    api_app_id: FAKE_BOT.appId,
    token: 'verification-token-unused',
    action_id: o.actionId,
    block_id: o.blockId,
    value: o.value,
    team: teamOf(o),
    enterprise: enterpriseOf(o),
    is_enterprise_install: Boolean(o.orgWide),
    view: { id: o.viewId ?? 'V0001', type: 'modal', state: { values: {} } },
  });
}

/** A message shortcut ("…" menu on a message): Slack's `message_action` payload. */
export function messageShortcut(o: Who & { callbackId: string; channel: string; messageTs: string; text: string; author?: string; responseUrl: string }): SlackRequest {
  return interactive({
    type: 'message_action',
    token: 'verification-token-unused',
    action_ts: actionTs(),
    team: teamOf(o),
    user: userOf(o),
    channel: { id: o.channel, name: 'acme-shared' },
    is_enterprise_install: Boolean(o.orgWide),
    enterprise: enterpriseOf(o),
    callback_id: o.callbackId,
    trigger_id: triggerId(),
    response_url: o.responseUrl,
    message_ts: o.messageTs,
    message: { type: 'message', user: o.author ?? 'UCUSTOMER', ts: o.messageTs, text: o.text },
  });
}

/** The Events API envelope Slack posts for every event. */
export function eventCallback(
  event: Record<string, unknown>,
  o: { team?: string; eventId?: string; enterprise?: string; orgWide?: boolean } = {},
): SlackRequest & { eventId: string } {
  const team = o.team ?? FAKE_TEAM.id;
  const eventId = o.eventId ?? `Ev${String(next()).padStart(8, '0')}`;
  const enterprise = o.enterprise ?? null;
  const body = JSON.stringify({
    token: 'verification-token-unused',
    team_id: team,
    ...(enterprise ? { enterprise_id: enterprise } : {}),
    context_team_id: team,
    context_enterprise_id: enterprise,
    api_app_id: FAKE_BOT.appId,
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    // An org-wide installation is the organisation's, not one workspace's.
    authorizations: [{ enterprise_id: enterprise, team_id: o.orgWide ? null : team, user_id: FAKE_BOT.userId, is_bot: true, is_enterprise_install: Boolean(o.orgWide) }],
    is_ext_shared_channel: false,
    event_context: `4-${randomUUID()}`,
  });
  return { body, contentType: 'application/json', eventId };
}

export const messageTs = () => `${Math.floor(Date.now() / 1000)}.${String(next()).padStart(6, '0')}`;

export function appMention(o: Who & { channel: string; text: string; ts?: string; threadTs?: string; eventId?: string }) {
  const ts = o.ts ?? messageTs();
  return eventCallback(
    {
      type: 'app_mention',
      user: o.user,
      text: o.text,
      ts,
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
      team: o.team ?? FAKE_TEAM.id,
      channel: o.channel,
      event_ts: ts,
      blocks: [],
    },
    { team: o.team, eventId: o.eventId, enterprise: o.enterprise, orgWide: o.orgWide },
  );
}

export function imMessage(o: Who & { channel: string; text: string; ts?: string; eventId?: string }) {
  const ts = o.ts ?? messageTs();
  return eventCallback(
    { type: 'message', user: o.user, text: o.text, ts, team: o.team ?? FAKE_TEAM.id, channel: o.channel, event_ts: ts, channel_type: 'im', blocks: [] },
    { team: o.team, eventId: o.eventId, enterprise: o.enterprise, orgWide: o.orgWide },
  );
}

export function appHomeOpened(o: Who & { channel?: string; eventId?: string }) {
  const ts = messageTs();
  return eventCallback(
    { type: 'app_home_opened', user: o.user, channel: o.channel ?? `D${o.user.slice(1)}`, tab: 'home', event_ts: ts },
    { team: o.team, eventId: o.eventId, enterprise: o.enterprise, orgWide: o.orgWide },
  );
}
