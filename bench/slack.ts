// `npm run bench`, Slack part: signed `/touch <account> visit <note>` slash
// commands over HTTP (POST /slack/events, form bodies as Slack sends them) to
// Steward's Bolt app, and in the same run to two others with the same receiver:
// an empty Bolt app that only acks, and the "floor", the least a Bolt app must
// do to record a /touch durably and answer it. Reports requests per second and
// p50/p99 latency of the HTTP ack for all three, Steward's ratio to the empty
// app and to the floor, and how long until Steward's answer reaches the rep,
// at each level of requests in flight (8 and 32 unless told otherwise).
// Figures only; no thresholds.
//
// The aim is Steward at 0.70 or more of the empty app's throughput; the floor
// shows what any app that records a touch durably pays on the same machine,
// and so how much of the gap is inherent and how much is Steward's own. It
// splits the text at " visit " and, on a worker thread of its own (as Steward
// has its engine thread) with a raw better-sqlite3 connection and statements
// prepared once, looks up the account and inserts the touchpoint and an
// audit_log row, running the jobs that arrive together in one transaction as
// Steward does; then it acks with an answer of the shape Steward sends.
//
// Acking is not always finishing: Steward runs slash commands on its engine
// thread (as `npm start` does) and acks with the answer when it is ready within
// its ack budget, but a command that takes longer is acked empty and answered
// at the response_url later. The bench therefore counts answers wherever they
// come (in the ack's body, or at the response_url) and reports commands
// *completed* per second (from a chunk's first request to its last answer), the
// send -> answer latency, how many answers were still outstanding when a
// chunk's last ack came back, and the completion rate's ratio to the empty app. CPU per request is reported for
// each process and, on Linux, for each app's main thread, its busiest other
// thread (Steward's engine thread, the floor's worker) and the rest (V8's
// compiler and GC threads), with the main loop's utilisation: what the apps
// cost the machine, not only how fast they answer. Each ratio (Steward's
// throughput and CPU per request against the empty app's and the floor's) is
// also taken round by round and given as its least, median and greatest: the
// apps take turns within a round, so a round's figures share the machine's
// load, and the spread says how far one run's figure can be trusted.
//
// Each app runs in a child process of its own (this file with --serve), so the
// load generator and the fake Slack Web API in this process do not share its
// event loop. The fake Web API answers auth.test and users.info and is the
// response_url sink.
//
//   BENCH_SLACK_THREAD=0        Steward runs commands on its main event loop (no engine thread)
//   BENCH_SLACK_REQUESTS=2000   measured requests per app (after BENCH_SLACK_WARMUP=5000: a server's
//                               throughput is what it sustains once V8 has compiled its hot paths; in
//                               chunks of 1000, every app's rate climbs over its first 4000 to 6000
//                               requests, Steward's about twofold and the empty app's threefold, so
//                               figures taken sooner flatter Steward)
//   BENCH_SLACK_CONCURRENCY=8,32  requests in flight: each level is measured in every round, with the
//                               same requests per app (8 is latency-bound for an app that answers from
//                               another thread; 32 keeps every app's main loop busy, its capacity)
//   BENCH_SLACK_ROUNDS=4        measured requests alternate between the apps in this many chunks
//   BENCH_SLACK_ACCOUNTS=10000 BENCH_SLACK_TOUCHPOINTS=50000  size of the seeded book
//   BENCH_SLACK_PROFILE=<dir>   each app's process writes a V8 CPU profile per thread to <dir>/<app> (--cpu-prof)
//   BENCH_SLACK_CLIENT=http     the load generator uses node:http (keep-alive agent) instead of its own
//                               minimal HTTP/1.1 client (see rawClient), to compare what the load itself costs
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { closeDb, openDb, type Db } from '../db/index.js';
import { DEFAULT_CADENCE_DAYS } from '../src/domain/settings.js';
import { normalize } from '../src/domain/text.js';
import { accountName, ascending, DAY, fmt as num, int, ints, latency, median, NOTES, percentile, picker, rng, table, tierOf, TIMEZONE, TOUCH_KINDS } from './lib.js';

const REQUESTS = int('BENCH_SLACK_REQUESTS', 2_000);
const WARMUP = int('BENCH_SLACK_WARMUP', 5_000);
const LEVELS = ints('BENCH_SLACK_CONCURRENCY', [8, 32]);
const ROUNDS = Math.max(1, int('BENCH_SLACK_ROUNDS', 4));
const ACCOUNTS = Math.max(1, int('BENCH_SLACK_ACCOUNTS', 10_000));
const TOUCHPOINTS = int('BENCH_SLACK_TOUCHPOINTS', 50_000);
const THREAD = int('BENCH_SLACK_THREAD', 1) === 1;
const PROFILE = process.env.BENCH_SLACK_PROFILE;
const CLIENT = process.env.BENCH_SLACK_CLIENT === 'http' ? 'http' : 'raw';

const SIGNING_SECRET = 'bench-signing-secret';
const BOT_TOKEN = 'xoxb-bench-token';
const TEAM = 'T0BENCH';
const EVENTS_PATH = '/slack/events';

const TARGETS = ['empty', 'floor', 'steward'] as const;
type Target = (typeof TARGETS)[number];

// ---------------------------------------------------------------- child: one app

/** A /touch for the floor's worker: the account's name key (as `normalize` gives it), the rep's Slack id, the note, when. */
interface FloorJob {
  id: number;
  key: string;
  user: string;
  note: string;
  at: number;
}
interface FloorResult {
  id: number;
  account?: { name: string; tier: keyof typeof DEFAULT_CADENCE_DAYS; cadenceDays: number | null };
  error?: string;
}

/**
 * The floor's worker thread (CommonJS): one raw better-sqlite3 connection (with openDb's settings),
 * statements prepared once; the jobs that arrive together run in one
 * transaction of up to 16, and their results go back in one message.
 */
const FLOOR_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 4000');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
const tenant = db.prepare("select id from tenants where platform = 'slack' and workspace_id = ?").get(workerData.team).id;
const members = new Map(db.prepare('select id, platform_user_id, function from members where tenant_id = ?').all(tenant).map((m) => [m.platform_user_id, m]));
const findAccount = db.prepare('select id, name, tier, cadence_days from accounts where tenant_id = ? and name_key = ?');
const insertTouch = db.prepare("insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform) values (?, ?, ?, ?, 'visit', ?, ?, 'slack') returning id");
const insertAudit = db.prepare("insert into audit_log (tenant_id, actor_id, action, entity, entity_id, at) values (?, ?, 'touch.log', 'touchpoint', ?, ?)");
const record = db.transaction((jobs) =>
  jobs.map(({ id, key, user, note, at }) => {
    const member = members.get(user);
    if (!member) return { id, error: 'You are not a member of this workspace.' };
    const account = findAccount.get(tenant, key);
    if (!account) return { id };
    const touch = insertTouch.get(tenant, account.id, member.id, member.function, at, note);
    insertAudit.run(tenant, member.id, touch.id, at);
    return { id, account: { name: account.name, tier: account.tier, cadenceDays: account.cadence_days } };
  }),
);
const queue = [];
let draining = false;
function drain() {
  const jobs = queue.splice(0, 16);
  let results;
  try {
    results = record.immediate(jobs);
  } catch (e) {
    results = jobs.map(({ id }) => ({ id, error: String(e) }));
  }
  parentPort.postMessage(results);
  if (queue.length > 0) setImmediate(drain);
  else draining = false;
}
parentPort.on('message', (job) => {
  if (job === null) {
    db.close();
    parentPort.close();
    return;
  }
  queue.push(job);
  if (!draining) {
    draining = true;
    setImmediate(drain);
  }
});
`;

async function serve(target: Target, db: string, api: string, port: number): Promise<void> {
  let stop: () => Promise<void>;
  if (target === 'steward') {
    const { loadConfig } = await import('../src/config.js');
    const { createSlackApp } = await import('../src/chat/slack/app.js');
    const { Engine } = await import('../src/engine/engine.js');
    const { commands } = await import('../handlers/index.js');
    const { createLogger } = await import('../src/log.js');
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: api, PORT: String(port), STEWARD_DB: db, LOG_LEVEL: 'warn' });
    const logger = createLogger(config.LOG_LEVEL);
    const handle = openDb(config.STEWARD_DB);
    const engine = new Engine({ db: handle, commands, defaults: { locale: 'en', timezone: TIMEZONE }, logger });
    // No scheduler here: a /touch notifies nobody, so there is nothing to deliver after it.
    const slack = createSlackApp({
      config,
      engine,
      logger,
      afterCommand: async () => undefined,
      commandThread: THREAD ? new URL('../src/engine-thread.ts', import.meta.url) : undefined,
    });
    await slack.start();
    stop = async () => {
      await slack.stop();
      closeDb(handle);
    };
  } else if (target === 'floor') {
    const { App, HTTPReceiver, LogLevel } = await import('@slack/bolt');
    const worker = new Worker(FLOOR_WORKER, { eval: true, workerData: { sqlite: createRequire(import.meta.url).resolve('better-sqlite3'), db, team: TEAM } });
    worker.on('error', (e) => {
      console.error('the floor worker failed:', e);
      process.exit(1);
    });
    const pending = new Map<number, (r: FloorResult) => void>();
    worker.on('message', (results: FloorResult[]) => {
      for (const r of results) {
        pending.get(r.id)?.(r);
        pending.delete(r.id);
      }
    });
    let nextId = 0;
    const record = (job: Omit<FloorJob, 'id'>) =>
      new Promise<FloorResult>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        worker.postMessage({ id, ...job } satisfies FloorJob);
      });
    const app = new App({
      token: BOT_TOKEN,
      logLevel: LogLevel.WARN,
      clientOptions: { slackApiUrl: api },
      receiver: new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: EVENTS_PATH, logLevel: LogLevel.WARN }),
    });
    app.command(/.*/, async ({ command, ack }) => {
      // `<account> visit <note>`: the bench's account names are three or four words ("Wuxi Auto Parts 00042"), none of them "visit".
      const m = /^(.+?) visit (.+)$/s.exec(command.text.trim());
      if (!m) return ack({ response_type: 'ephemeral', text: 'Usage: /touch <account> visit <note>' });
      const [, name, note] = m as unknown as [string, string, string];
      const at = Date.now();
      const r = await record({ key: normalize(name), user: command.user_id, note, at });
      if (!r.account) return ack({ response_type: 'ephemeral', text: r.error ?? `There is no account called ${name}.` });
      const { account } = r;
      // The bench's tenant sets no cadences of its own, so an account's tier gives the default.
      const cadence = account.cadenceDays ?? DEFAULT_CADENCE_DAYS[account.tier];
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const logged = `Logged a visit with ${account.name}, on ${day(at)}.`;
      const next = `Next revisit due ${day(at + cadence * DAY)} (${account.tier}: every ${cadence} days).`;
      // As Steward's answer: a header with the headline and a section with the next revisit.
      await ack({
        response_type: 'ephemeral',
        text: `✔ ${logged}\n${next}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: `✅ ${logged}` } },
          { type: 'section', text: { type: 'mrkdwn', text: next, verbatim: true } },
        ],
      });
    });
    await app.start(port);
    stop = async () => {
      await app.stop();
      worker.postMessage(null);
      await once(worker, 'exit');
    };
  } else {
    const { App, HTTPReceiver, LogLevel } = await import('@slack/bolt');
    const app = new App({
      token: BOT_TOKEN,
      logLevel: LogLevel.WARN,
      clientOptions: { slackApiUrl: api },
      receiver: new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: EVENTS_PATH, logLevel: LogLevel.WARN }),
    });
    app.command(/.*/, async ({ ack }) => {
      await ack();
    });
    await app.start(port);
    stop = () => app.stop().then(() => undefined);
  }
  process.stdout.write('ready\n');
  // `stats` on stdin: this process's CPU time so far, its main thread's, and its main loop's utilisation.
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'stats') process.stdout.write(`stats ${JSON.stringify(usage())}\n`);
  });
  process.once('SIGTERM', () => {
    void stop().finally(() => process.exit(0));
  });
}

interface Usage {
  /** CPU time of the whole process (every thread), ms. */
  cpuMs: number;
  /** CPU time of the main thread alone (Linux), ms; NaN elsewhere. */
  mainCpuMs: number;
  /** CPU time of each thread by its id (Linux), ms. */
  threadMs: Record<string, number>;
  /** The main event loop's active and idle time, ms. */
  loopActiveMs: number;
  loopIdleMs: number;
}

/** /proc counts utime and stime in clock ticks of 10 ms (USER_HZ 100). */
const TICK_MS = 10;

function usage(): Usage {
  const cpu = process.cpuUsage();
  const threadMs: Record<string, number> = {};
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      // After the command name (in parentheses) and the state, utime and stime are the 12th and 13th fields.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threadMs[tid] = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    }
  } catch {
    // not Linux
  }
  const elu = performance.eventLoopUtilization();
  return { cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs: threadMs[String(process.pid)] ?? NaN, threadMs, loopActiveMs: elu.active, loopIdleMs: elu.idle };
}

/** The thread (other than the main one) that used the most CPU between two readings: Steward's engine thread. */
function busiestOther(before: Usage, after: Usage, pid: number): number {
  let most = 0;
  for (const [tid, ms] of Object.entries(after.threadMs)) if (tid !== String(pid)) most = Math.max(most, ms - (before.threadMs[tid] ?? 0));
  return most;
}

// ---------------------------------------------------------------- parent: the book

const random = rng(7);
const pick = picker(random);

/** Slack users of the workspace: id and the display name users.info gives. */
const REPS = ['Zhang Wei', 'Wang Fang', 'Li Min', 'Zhao Jing', 'Sun Lei', 'Zhou Yan', 'Wu Jun', 'Qian Hao'].map((name, i) => ({
  id: `U0REP${String(i + 1).padStart(3, '0')}`,
  name,
}));

/** A Slack tenant with its reps, accounts and a history of touchpoints, written with plain prepared statements. */
function seed(db: Db): string[] {
  const c = db.$client;
  const now = Date.now();
  const tenantId = Number(
    c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('slack', ?, 'Bench Logistics', 'en', ?)").run(TEAM, TIMEZONE).lastInsertRowid,
  );
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function, timezone, locale) values (?, ?, ?, ?, ?, ?, ?)');
  const insAccount = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare(
    "insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, ?, 'slack', ?)",
  );
  const names: string[] = [];
  c.transaction(() => {
    const memberIds = REPS.map((r, i) => Number(insMember.run(tenantId, r.id, r.name, i === 0 ? 'admin' : 'rep', 'sales', TIMEZONE, 'en').lastInsertRowid));
    const accountIds: number[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const name = accountName(i);
      const tier = tierOf(i);
      const created = now - 800 * DAY;
      accountIds.push(Number(insAccount.run(tenantId, name, normalize(name), tier, memberIds[i % memberIds.length]!, created, created).lastInsertRowid));
      names.push(name);
    }
    for (let n = 0; n < TOUCHPOINTS; n++) {
      const at = now - Math.floor(random() * 730 * DAY) - DAY;
      insTouch.run(tenantId, pick(accountIds), pick(memberIds), pick(TOUCH_KINDS), at, pick(NOTES), at);
    }
  })();
  c.pragma('optimize');
  return names;
}

// ---------------------------------------------------------------- parent: fake Slack

interface Sink {
  url: string;
  /** Each command's answer (by its response_url path): when it arrived, what it said, and whether it came in the ack. */
  arrivals: Map<string, { at: number; body: string; inAck?: boolean }>;
  calls: Map<string, number>;
  waitFor(paths: string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const arrivals: Sink['arrivals'] = new Map();
  const calls = new Map<string, number>();
  let waiter: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const path = (req.url ?? '/').split('?')[0]!;
      const body = Buffer.concat(chunks).toString('utf8');
      const json = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (path.startsWith('/respond/')) {
        arrivals.set(path, { at, body });
        json({ ok: true });
        waiter?.();
        return;
      }
      const method = path.replace(/^\/api\//, '');
      calls.set(method, (calls.get(method) ?? 0) + 1);
      if (method === 'auth.test')
        return json({
          ok: true,
          url: 'https://bench.slack.com/',
          team: 'Bench Logistics',
          user: 'steward',
          team_id: TEAM,
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
          is_enterprise_install: false,
        });
      if (method === 'users.info') {
        const id = new URLSearchParams(body).get('user') ?? '';
        const rep = REPS.find((r) => r.id === id);
        return json({
          ok: true,
          user: { id, team_id: TEAM, name: id.toLowerCase(), real_name: rep?.name ?? id, tz: TIMEZONE, locale: 'en-US', profile: { display_name: rep?.name ?? id } },
        });
      }
      json({ ok: false, error: 'unknown_method' });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    calls,
    async waitFor(paths, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (paths.some((p) => !arrivals.has(p)) && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 200);
        });
      }
      waiter = undefined;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface Child {
  child: ChildProcess;
  port: number;
  stats(): Promise<Usage>;
}

async function startChild(target: Target, db: string, api: string): Promise<Child> {
  const port = await freePort();
  const script = fileURLToPath(import.meta.url);
  // process.execArgv carries tsx's loader, so the child runs this TypeScript file too.
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE, target)}`] : []),
      script,
      '--serve',
      target,
      '--db',
      db,
      '--api',
      `${api}/api/`,
      '--port',
      String(port),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  let statsWaiter: ((u: Usage) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${target} app exited (code ${code}) before it was ready`)));
    lines.on('line', (line) => {
      if (line.trim() === 'ready') resolve();
      else if (line.startsWith('stats ')) statsWaiter?.(JSON.parse(line.slice(6)) as Usage);
    });
  });
  child.removeAllListeners('exit');
  const stats = () =>
    new Promise<Usage>((resolve) => {
      statsWaiter = resolve;
      child.stdin!.write('stats\n');
    });
  return { child, port, stats };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- parent: load

interface Slash {
  body: string;
  responsePath: string;
}

/** A `/touch` slash command as Slack posts it: form-encoded, every field Slack sends. */
function slash(target: Target, i: number, names: string[], sink: string): Slash {
  const rep = REPS[i % REPS.length]!;
  const account = names[Math.floor(random() * names.length)]!;
  const responsePath = `/respond/${target}/${i}`;
  const body = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: TEAM,
    team_domain: 'bench',
    channel_id: 'C0ACCOUNTS',
    channel_name: 'accounts',
    user_id: rep.id,
    user_name: rep.name.toLowerCase().replace(' ', '.'),
    command: '/touch',
    text: `${account} visit ${pick(NOTES)}`,
    api_app_id: 'A0STEWARD',
    is_enterprise_install: 'false',
    response_url: `${sink}${responsePath}`,
    trigger_id: `${1_000_000 + i}.738474920.${((i * 2_654_435_761) >>> 0).toString(16)}`,
  }).toString();
  return { body, responsePath };
}

function sign(body: string): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig };
}

/** The load generator's HTTP client: POSTs a signed request, resolves with the status and the response's body. */
interface Client {
  post(body: string): Promise<{ status: number; body: string }>;
  close(): void;
}

/** node:http with a keep-alive agent. */
function httpClient(port: number): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...LEVELS) });
  const post = (body: string, retried = false): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path: EVENTS_PATH,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...sign(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      // A kept-alive socket the app closed (its keep-alive timeout) just as this request went out: once more, on a new one.
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (req.reusedSocket && e.code === 'ECONNRESET' && !retried) post(body, true).then(resolve, reject);
        else reject(e);
      });
      req.end(body);
    });
  return { post: (body) => post(body), close: () => agent.destroy() };
}

/**
 * Keep-alive HTTP/1.1 connections written by hand: a request's bytes out, the
 * status line, Content-Length (or chunks) and body read back, nothing else.
 * node:http's client costs the machine about as much CPU per request as the
 * empty app does, on the same two cores as the apps it measures; this costs a
 * fraction of that, so the figures are more the apps' and less the load's.
 *
 * An app closes a connection that stayed idle past its server's keep-alive
 * timeout (Node's default is 5 s), as happens to one app's connections while
 * the others take their turns: a closed connection leaves the pool, and a
 * request the app never read (its connection was closed before any of the
 * answer came) goes again on a new one.
 */
function rawClient(port: number): Client {
  const idle: RawConnection[] = [];
  const all = new Set<RawConnection>();
  const open = async () => {
    const conn = await RawConnection.open(port, () => {
      all.delete(conn);
      const i = idle.indexOf(conn);
      if (i >= 0) idle.splice(i, 1);
    });
    all.add(conn);
    return conn;
  };
  return {
    async post(body) {
      const head = Object.entries({ 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...sign(body) })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const request = `POST ${EVENTS_PATH} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n${head}\r\n${body}`;
      for (let attempt = 0; ; attempt++) {
        const reused = idle.pop();
        const conn = reused ?? (await open());
        try {
          const res = await conn.send(request);
          if (conn.open) idle.push(conn);
          return res;
        } catch (e) {
          // Only a reused connection the app closed before answering anything, and only once more.
          if (!(e instanceof Unanswered) || !reused || attempt > 0) throw e;
        }
      }
    },
    close: () => {
      for (const c of all) c.close();
    },
  };
}

/** The app closed the connection before any byte of the answer came: it did not take the request. */
class Unanswered extends Error {}

/** How long one request may go unanswered before the bench gives up on it (rather than wait for ever). */
const REQUEST_TIMEOUT_MS = 120_000;

class RawConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: { status: number; body: string }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  /** False once the socket has closed (or is closing): it takes no more requests. */
  open = true;

  private constructor(
    private readonly socket: Socket,
    onClose: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.parse();
    });
    const fail = (e: Error) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) {
        clearTimeout(w.timer);
        w.reject(e);
      }
    };
    const closed = () => {
      if (!this.open) return;
      this.open = false;
      onClose();
      fail(this.buf.length ? new Error('the app closed the connection in the middle of an answer') : new Unanswered('the app closed the connection'));
    };
    socket.on('error', (e) => {
      closed();
      fail(e);
    });
    // The app's end of the connection closed (its keep-alive timeout): no answer comes on it any more.
    socket.on('end', closed);
    socket.on('close', closed);
  }

  static async open(port: number, onClose: () => void): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawConnection(socket, onClose);
  }

  send(request: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      if (!this.open) return reject(new Unanswered('the connection was closed'));
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.socket.destroy();
        reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.waiting = { resolve, reject, timer };
      this.socket.write(request);
    });
  }

  /** One whole response at the start of the buffer: hand it over and keep what follows. */
  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buf.toString('latin1', 0, end).toLowerCase();
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    let body: string;
    let rest: number;
    if (length) {
      rest = end + 4 + Number(length[1]);
      if (this.buf.length < rest) return;
      body = this.buf.toString('utf8', end + 4, rest);
    } else if (/\r\ntransfer-encoding: *chunked/.test(head)) {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const line = this.buf.indexOf('\r\n', at);
        if (line < 0) return;
        const size = parseInt(this.buf.toString('latin1', at, line), 16);
        if (this.buf.length < line + 2 + size + 2) return;
        if (size === 0) {
          rest = line + 4;
          break;
        }
        parts.push(this.buf.subarray(line + 2, line + 2 + size));
        at = line + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
    } else {
      rest = end + 4;
      body = '';
    }
    this.buf = this.buf.subarray(rest);
    const w = this.waiting;
    this.waiting = undefined;
    clearTimeout(w.timer);
    // The app says it closes the connection after this answer: it takes no more requests.
    if (/\r\nconnection: *close/.test(head)) this.open = false;
    w.resolve({ status, body });
  }

  close(): void {
    this.open = false;
    this.socket.destroy();
  }
}

interface Run {
  target: Target;
  /** Requests in flight. */
  concurrency: number;
  seconds: number;
  rps: number;
  ackMs: number[];
  statuses: Map<number, number>;
  /** Per measured request: when it was sent. */
  sentAt: Map<string, number>;
  /** Seconds from each chunk's first request to its last answer, summed (apps that answer: the floor and Steward). */
  completedSeconds?: number;
  /** Per chunk: answers not yet received when its last ack came back, and ms from that ack to its last answer (apps that answer). */
  backlog: number[];
  drainMs: number[];
  /** CPU ms spent during the measured chunks: the app's process, its main thread, and this (load and fake Slack) process. */
  cpuMs: number;
  mainCpuMs: number;
  /** CPU ms of the busiest thread besides the main one (Steward: its engine thread; the floor: its worker). */
  busiestOtherMs: number;
  loadCpuMs: number;
  /** The app's main loop during the measured chunks, ms active and idle. */
  loopActiveMs: number;
  loopIdleMs: number;
  /** Touchpoints in the database after the app's chunks (warm-up included) less those before. */
  written: number;
  /** Each measured chunk (one a round) on its own, for the ratios' spread across rounds. */
  chunks: Chunk[];
}

/** One chunk of a run: its requests, how long they took to ack (and to answer), and the CPU the app used meanwhile. */
interface Chunk {
  requests: number;
  seconds: number;
  completedSeconds?: number;
  cpuMs: number;
  mainCpuMs: number;
}

type Driven = Pick<Run, 'seconds' | 'rps' | 'ackMs' | 'statuses' | 'sentAt'>;

async function drive(requests: Slash[], client: Client, answers: Pick<Sink, 'arrivals'>, concurrency: number): Promise<Driven> {
  const ackMs: number[] = new Array(requests.length);
  const statuses = new Map<number, number>();
  const sentAt = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const r = requests[i]!;
      const s = performance.now();
      sentAt.set(r.responsePath, s);
      const res = await client.post(r.body);
      const status = res.status;
      // An answer in the ack's body is the rep's answer, there and then.
      if (res.body) answers.arrivals.set(r.responsePath, { at: performance.now(), body: res.body, inAck: true });
      ackMs[i] = performance.now() - s;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, rps: requests.length / seconds, ackMs, statuses, sentAt };
}

/**
 * Measured requests go in ROUNDS chunks that alternate between the targets in
 * turn, so background load on the machine falls on all alike; each target's
 * turn has a chunk at every level of concurrency (in alternating order from
 * round to round). Each app gets WARMUP requests first. Returns each target's
 * runs in the order of LEVELS; warm-up writes count in the first.
 */
async function measureAll<T extends Target>(targets: readonly T[], dbFile: string, names: string[], sink: Sink): Promise<Record<T, Run[]>> {
  const apps = {} as Record<T, Child>;
  const clients = {} as Record<T, Client>;
  const runs = {} as Record<T, Run[]>;
  // Counts what each app wrote, between its chunks (the apps take turns, so the difference is that app's).
  const counter = openDb(dbFile);
  const touchpoints = () => (counter.$client.prepare('select count(*) as n from touchpoints').get() as { n: number }).n;
  try {
    for (const target of targets) {
      apps[target] = await startChild(target, dbFile, sink.url);
      clients[target] = (CLIENT === 'http' ? httpClient : rawClient)(apps[target].port);
      runs[target] = LEVELS.map((concurrency) => ({
        target,
        concurrency,
        seconds: 0,
        rps: 0,
        ackMs: [],
        statuses: new Map(),
        sentAt: new Map(),
        backlog: [],
        drainMs: [],
        cpuMs: 0,
        mainCpuMs: 0,
        busiestOtherMs: 0,
        loadCpuMs: 0,
        loopActiveMs: 0,
        loopIdleMs: 0,
        written: 0,
        chunks: [],
        ...(target === 'empty' ? {} : { completedSeconds: 0 }),
      }));
    }
    let seq = 0;
    for (const target of targets) {
      const warm = Array.from({ length: WARMUP }, () => slash(target, seq++, names, sink.url));
      const count0 = touchpoints();
      await drive(warm, clients[target], sink, LEVELS[0]!);
      if (target !== 'empty')
        await sink.waitFor(
          warm.map((r) => r.responsePath),
          60_000,
        );
      runs[target][0]!.written += touchpoints() - count0;
    }
    for (let round = 0; round < ROUNDS; round++) {
      const size = Math.floor(REQUESTS / ROUNDS) + (round < REQUESTS % ROUNDS ? 1 : 0);
      for (const run of runsInOrder(targets, runs, round % 2 === 1)) {
        const target = run.target as T;
        const chunk = Array.from({ length: size }, () => slash(target, seq++, names, sink.url));
        const count0 = touchpoints();
        const before = await apps[target].stats();
        const load0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await drive(chunk, clients[target], sink, run.concurrency);
        const acked = performance.now();
        const stat: Chunk = { requests: chunk.length, seconds: r.seconds, cpuMs: 0, mainCpuMs: 0 };
        run.seconds += r.seconds;
        run.ackMs.push(...r.ackMs);
        for (const [code, n] of r.statuses) run.statuses.set(code, (run.statuses.get(code) ?? 0) + n);
        for (const [path, at] of r.sentAt) run.sentAt.set(path, at);
        if (target !== 'empty') {
          // Let the app finish what it does after the acks (Steward may answer at the response_url) before the next chunk.
          await sink.waitFor(
            chunk.map((c) => c.responsePath),
            60_000,
          );
          const arrived = chunk.map((c) => sink.arrivals.get(c.responsePath)?.at).filter((x): x is number => x !== undefined);
          const last = arrived.length ? Math.max(...arrived) : performance.now();
          run.completedSeconds! += (last - t0) / 1000;
          stat.completedSeconds = (last - t0) / 1000;
          run.backlog.push(chunk.length - arrived.filter((at) => at <= acked).length);
          run.drainMs.push(Math.max(0, last - acked));
        }
        const after = await apps[target].stats();
        const load = process.cpuUsage(load0);
        run.cpuMs += after.cpuMs - before.cpuMs;
        run.mainCpuMs += after.mainCpuMs - before.mainCpuMs;
        stat.cpuMs = after.cpuMs - before.cpuMs;
        stat.mainCpuMs = after.mainCpuMs - before.mainCpuMs;
        run.chunks.push(stat);
        run.busiestOtherMs += busiestOther(before, after, apps[target].child.pid!);
        run.loadCpuMs += (load.user + load.system) / 1000;
        run.loopActiveMs += after.loopActiveMs - before.loopActiveMs;
        run.loopIdleMs += after.loopIdleMs - before.loopIdleMs;
        run.written += touchpoints() - count0;
      }
    }
    for (const run of Object.values<Run[]>(runs).flat()) run.rps = run.ackMs.length / run.seconds;
    return runs;
  } finally {
    closeDb(counter);
    for (const client of Object.values<Client>(clients)) client.close();
    await Promise.all(Object.values<Child>(apps).map((app) => stopChild(app.child)));
  }
}

/** Every target's runs, a target's levels together: in LEVELS order, or the other way round. */
function runsInOrder<T extends Target>(targets: readonly T[], runs: Record<T, Run[]>, reversed = false): Run[] {
  return targets.flatMap((target) => (reversed ? [...runs[target]].reverse() : runs[target]));
}

// ---------------------------------------------------------------- report

interface Spread {
  min: number;
  median: number;
  max: number;
}

/** The least, the median and the greatest of figures (NaN left out; all NaN when there are none). */
function spread(xs: number[]): Spread {
  const s = ascending(xs.filter((x) => Number.isFinite(x)));
  return s.length ? { min: s[0]!, median: median(s), max: s[s.length - 1]! } : { min: NaN, median: NaN, max: NaN };
}

const roundSpread = (x: Spread) => ({ min: +x.min.toFixed(4), median: +x.median.toFixed(4), max: +x.max.toFixed(4) });

/** As lib's fmt, with '-' for a figure there is none of (NaN). */
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? num(n, digits) : '-');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'steward-bench-slack-'));
  const dbFile = join(dir, 'bench.db');
  const sink = await startSink();
  try {
    let t0 = performance.now();
    const db = openDb(dbFile);
    const names = seed(db);
    closeDb(db);
    console.log(`\nsteward slack bench: ${fmt(ACCOUNTS)} accounts, ${fmt(TOUCHPOINTS)} touchpoints seeded in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    t0 = performance.now();
    const runs = await measureAll(TARGETS, dbFile, names, sink);
    const totalSeconds = (performance.now() - t0) / 1000;

    // What an app answered to each measured command (in the ack or at the response_url).
    const isLogged = (b: string) => {
      const m = JSON.parse(b) as { text?: string; response_type?: string };
      return m.response_type === 'ephemeral' && (m.text ?? '').includes('Logged a visit');
    };
    const answersOf = (run: Run) => {
      const paths = [...run.sentAt.keys()];
      const bodies = paths.map((p) => sink.arrivals.get(p)?.body).filter((b): b is string => b !== undefined);
      const toRespond = paths.map((p) => (sink.arrivals.get(p)?.at ?? NaN) - run.sentAt.get(p)!);
      return {
        arrived: toRespond.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b),
        inAck: paths.filter((p) => sink.arrivals.get(p)?.inAck).length,
        logged: bodies.filter(isLogged).length,
        other: bodies.find((b) => !isLogged(b)),
      };
    };
    const codes = (r: Run) => [...r.statuses].map(([c, n]) => `${c}×${n}`).join(' ');
    const perRequest = (ms: number) => ms / REQUESTS;
    const busy = (r: Run) => r.loopActiveMs / (r.loopActiveMs + r.loopIdleMs);
    const label: Record<Target, string> = { empty: 'empty Bolt app (ack only)', floor: 'floor: Bolt + one SQLite transaction (raw SQL, worker thread)', steward: 'Steward' };

    // One level of concurrency: each app's run, its latencies and answers, and the ratios.
    const levels = LEVELS.map((concurrency, i) => {
      const [empty, floor, steward] = TARGETS.map((t) => runs[t][i]!) as [Run, Run, Run];
      const sa = answersOf(steward);
      const fa = answersOf(floor);
      const completedPerSec = steward.completedSeconds ? sa.arrived.length / steward.completedSeconds : NaN;
      return {
        concurrency,
        empty,
        floor,
        steward,
        sa,
        fa,
        latency: { empty: latency(empty.ackMs), floor: latency(floor.ackMs), steward: latency(steward.ackMs) },
        ratio: steward.rps / empty.rps,
        floorRatio: floor.rps / empty.rps,
        stewardVsFloor: steward.rps / floor.rps,
        completedPerSec,
        completionRatio: completedPerSec / empty.rps,
      };
    });
    const written = (t: Target) => runs[t].reduce((n, r) => n + r.written, 0);
    const measured = REQUESTS * LEVELS.length;
    const inFlight = LEVELS.join(' and ');

    const mode = THREAD ? 'slash commands on its engine thread' : 'slash commands on its main event loop (BENCH_SLACK_THREAD=0)';
    console.log(
      `${fmt(REQUESTS)} signed /touch slash commands per app at each of ${inFlight} in flight, after ${fmt(WARMUP)} warm-up; HTTP keep-alive (${CLIENT === 'raw' ? 'a minimal client' : 'node:http'}), each app in its own process, alternating in ${ROUNDS} rounds; Steward runs ${mode}\n`,
    );
    console.log(
      table([
        ['in flight', 'app', 'requests', 'seconds', 'req/s', 'ack p50 ms', 'ack p99 ms', 'vs empty', 'vs floor', 'HTTP status'],
        ...levels.flatMap((l) =>
          [l.empty, l.floor, l.steward].map((r) => [
            String(l.concurrency),
            label[r.target],
            fmt(REQUESTS),
            fmt(r.seconds, 2),
            fmt(r.rps),
            fmt(l.latency[r.target].p50, 2),
            fmt(l.latency[r.target].p99, 2),
            fmt(r.rps / l.empty.rps, 3),
            fmt(r.rps / l.floor.rps, 3),
            codes(r),
          ]),
        ),
      ]),
    );
    console.log('\nAnswers\n');
    console.log(
      table([
        ['measure', 'value'],
        ...levels.flatMap((l) => [
          [`${l.concurrency} in flight: Steward's answers received`, `${fmt(l.sa.arrived.length)} of ${fmt(REQUESTS)}`],
          ['... in the ack / at the response_url', `${fmt(l.sa.inAck)} / ${fmt(l.sa.arrived.length - l.sa.inAck)}`],
          ['send -> answer p50 / p99 ms', `${fmt(percentile(l.sa.arrived, 50), 2)} / ${fmt(percentile(l.sa.arrived, 99), 2)}`],
          ['commands completed per second (vs empty req/s)', `${fmt(l.completedPerSec)} (${fmt(l.completionRatio, 3)})`],
          ["answers outstanding at a chunk's last ack, max", `${fmt(Math.max(...l.steward.backlog))} of ${fmt(Math.ceil(REQUESTS / ROUNDS))}`],
          ["last answer after a chunk's last ack, max ms", fmt(Math.max(...l.steward.drainMs), 1)],
          ['answers "Logged a visit", ephemeral: Steward / floor', `${fmt(l.sa.logged)} / ${fmt(l.fa.logged)} (floor: ${fmt(l.fa.inAck)} in the ack)`],
        ]),
        [
          'touchpoints written, Steward / floor / empty app (incl. warm-up)',
          `${fmt(written('steward'))} / ${fmt(written('floor'))} / ${fmt(written('empty'))} of ${fmt(measured + WARMUP)}`,
        ],
        ['users.info calls', fmt(sink.calls.get('users.info') ?? 0)],
      ]),
    );
    const other = (who: string, body: string | undefined) => body && console.log(`\nan answer of ${who} that was not "Logged a visit": ${body.slice(0, 300)}`);
    for (const l of levels) {
      other("Steward's", l.sa.other);
      other("the floor's", l.fa.other);
    }
    console.log(
      "\nCPU ms per measured request, by process and (from /proc, on Linux) by thread; the busiest other thread is Steward's engine thread and the floor's worker, the rest are V8's GC and compiler threads; and the main loop's busy share\n",
    );
    console.log(
      table([
        ['in flight', 'process', 'CPU ms/request', 'main thread', 'busiest other thread', 'all other threads', 'main loop busy', 'load generator + fake Slack'],
        ...levels.flatMap((l) =>
          [l.empty, l.floor, l.steward].map((r) => [
            String(l.concurrency),
            label[r.target],
            fmt(perRequest(r.cpuMs), 3),
            fmt(perRequest(r.mainCpuMs), 3),
            fmt(perRequest(r.busiestOtherMs), 3),
            fmt(perRequest(r.cpuMs - r.mainCpuMs), 3),
            `${fmt(100 * busy(r), 0)}%`,
            fmt(perRequest(r.loadCpuMs), 3),
          ]),
        ),
      ]),
    );
    // Each ratio round by round (the apps take turns within a round, so a round's figures share the machine's load): min, median, max.
    const spreads = levels.map((l) => {
      const per = (f: (i: number) => number) => spread(l.steward.chunks.map((_, i) => f(i)));
      const rps = (r: Run, i: number) => r.chunks[i]!.requests / r.chunks[i]!.seconds;
      const cpu = (r: Run, i: number) => r.chunks[i]!.cpuMs / r.chunks[i]!.requests;
      const completed = (r: Run, i: number) => r.chunks[i]!.requests / (r.chunks[i]!.completedSeconds ?? NaN);
      return {
        concurrency: l.concurrency,
        ratio: per((i) => rps(l.steward, i) / rps(l.empty, i)),
        floorRatio: per((i) => rps(l.floor, i) / rps(l.empty, i)),
        stewardVsFloor: per((i) => rps(l.steward, i) / rps(l.floor, i)),
        completedVsFloor: per((i) => completed(l.steward, i) / completed(l.floor, i)),
        cpuVsFloor: per((i) => cpu(l.steward, i) / cpu(l.floor, i)),
        cpuVsEmpty: per((i) => cpu(l.steward, i) / cpu(l.empty, i)),
      };
    });
    const range = (x: Spread) => `${fmt(x.min, 3)} / ${fmt(x.median, 3)} / ${fmt(x.max, 3)}`;
    console.log(`\nRatios round by round (${ROUNDS} rounds): min / median / max; over the whole run in parentheses\n`);
    console.log(
      table([
        [
          'in flight',
          'Steward vs empty req/s',
          'floor vs empty req/s',
          'Steward vs floor req/s',
          'Steward vs floor completed/s',
          'Steward vs floor CPU/request',
          'Steward vs empty CPU/request',
        ],
        ...spreads.map((x, i) => {
          const l = levels[i]!;
          const whole = (a: Run, b: Run) => fmt(a.cpuMs / b.cpuMs, 3);
          return [
            String(x.concurrency),
            `${range(x.ratio)} (${fmt(l.ratio, 3)})`,
            `${range(x.floorRatio)} (${fmt(l.floorRatio, 3)})`,
            `${range(x.stewardVsFloor)} (${fmt(l.stewardVsFloor, 3)})`,
            `${range(x.completedVsFloor)}`,
            `${range(x.cpuVsFloor)} (${whole(l.steward, l.floor)})`,
            `${range(x.cpuVsEmpty)} (${whole(l.steward, l.empty)})`,
          ];
        }),
      ]),
    );
    console.log(
      `\n(all three apps measured in ${fmt(totalSeconds, 1)} s; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})\n`,
    );
    const ms = (x: number) => +x.toFixed(3);
    const orNull = (x: number, digits: number) => (Number.isFinite(x) ? +x.toFixed(digits) : null);
    console.log(
      JSON.stringify({
        bench: 'steward-slack-http',
        requests: REQUESTS,
        warmup: WARMUP,
        concurrency: LEVELS,
        rounds: ROUNDS,
        accounts: ACCOUNTS,
        touchpoints: TOUCHPOINTS,
        engineThread: THREAD,
        client: CLIENT,
        // Steward / empty app, by requests in flight: the figure the aim is about.
        ratio: Object.fromEntries(levels.map((l) => [l.concurrency, +l.ratio.toFixed(4)])),
        written: Object.fromEntries(TARGETS.map((t) => [t, written(t)])),
        levels: levels.map((l, i) => ({
          concurrency: l.concurrency,
          empty: { rps: +l.empty.rps.toFixed(1), ackP50Ms: ms(l.latency.empty.p50), ackP99Ms: ms(l.latency.empty.p99), statuses: Object.fromEntries(l.empty.statuses) },
          floor: {
            rps: +l.floor.rps.toFixed(1),
            ackP50Ms: ms(l.latency.floor.p50),
            ackP99Ms: ms(l.latency.floor.p99),
            statuses: Object.fromEntries(l.floor.statuses),
            logged: l.fa.logged,
          },
          steward: {
            rps: +l.steward.rps.toFixed(1),
            ackP50Ms: ms(l.latency.steward.p50),
            ackP99Ms: ms(l.latency.steward.p99),
            statuses: Object.fromEntries(l.steward.statuses),
            answerP50Ms: ms(percentile(l.sa.arrived, 50)),
            answerP99Ms: ms(percentile(l.sa.arrived, 99)),
            answered: l.sa.arrived.length,
            answeredInAck: l.sa.inAck,
            completedPerSec: orNull(l.completedPerSec, 1),
            backlogAtLastAckMax: Math.max(...l.steward.backlog),
            drainAfterLastAckMaxMs: +Math.max(...l.steward.drainMs).toFixed(1),
            logged: l.sa.logged,
          },
          cpuMsPerRequest: Object.fromEntries(
            [l.empty, l.floor, l.steward].map((r) => [
              r.target,
              {
                process: ms(perRequest(r.cpuMs)),
                mainThread: ms(perRequest(r.mainCpuMs)),
                busiestOtherThread: ms(perRequest(r.busiestOtherMs)),
                mainLoopBusy: ms(busy(r)),
                loadGenerator: ms(perRequest(r.loadCpuMs)),
              },
            ]),
          ),
          ratio: +l.ratio.toFixed(4),
          floorRatio: +l.floorRatio.toFixed(4),
          stewardVsFloor: +l.stewardVsFloor.toFixed(4),
          completionRatio: orNull(l.completionRatio, 4),
          cpuVsFloor: +(l.steward.cpuMs / l.floor.cpuMs).toFixed(4),
          // Round by round: { min, median, max }.
          spread: Object.fromEntries(
            Object.entries(spreads[i]!)
              .filter(([k]) => k !== 'concurrency')
              .map(([k, v]) => [k, roundSpread(v as Spread)]),
          ),
        })),
        loadavg1: +loadavg()[0]!.toFixed(2),
        node: process.version,
      }),
    );
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values: args } = parseArgs({ options: { serve: { type: 'string' }, db: { type: 'string' }, api: { type: 'string' }, port: { type: 'string' } }, strict: true });
if (args.serve) {
  const target = TARGETS.find((t) => t === args.serve);
  if (!target) throw new Error(`--serve: expected ${TARGETS.join(', ')}, got ${JSON.stringify(args.serve)}`);
  await serve(target, args.db!, args.api!, Number(args.port));
} else {
  await main();
}
