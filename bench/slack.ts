// `npm run bench`, Slack part: signed `/touch <account> visit <note>` slash
// commands over HTTP (POST /slack/events, form bodies as Slack sends them) to
// Steward's Bolt app, and in the same run to an empty Bolt app with the same
// receiver that only acks. Reports requests per second and p50/p99 latency of
// the HTTP ack for both, Steward's ratio to the empty app, and how long until
// Steward's answer reaches the rep. Figures only; no thresholds.
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
// thread (Steward's engine thread) and the rest (V8's compiler and GC threads),
// with the main loop's utilisation: what the two apps cost the machine, not
// only how fast they answer.
//
// Each app runs in a child process of its own (this file with --serve), so the
// load generator and the fake Slack Web API in this process do not share its
// event loop. The fake Web API answers auth.test and users.info and is the
// response_url sink.
//
//   BENCH_SLACK_THREAD=0        Steward runs commands on its main event loop (no engine thread)
//   BENCH_SLACK_REQUESTS=2000   measured requests per app (after BENCH_SLACK_WARMUP=300)
//   BENCH_SLACK_CONCURRENCY=8   requests in flight
//   BENCH_SLACK_ROUNDS=4        measured requests alternate between the apps in this many chunks
//   BENCH_SLACK_ACCOUNTS=10000 BENCH_SLACK_TOUCHPOINTS=50000  size of the seeded book
//   BENCH_SLACK_PROFILE=<dir>   Steward's process writes a V8 CPU profile per thread there (--cpu-prof)
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closeDb, openDb, type Db } from '../db/index.js';
import { normalize } from '../src/domain/text.js';
import { accountName, DAY, fmt as num, int, latency, NOTES, percentile, picker, rng, table, tierOf, TIMEZONE, TOUCH_KINDS } from './lib.js';

const REQUESTS = int('BENCH_SLACK_REQUESTS', 2_000);
const WARMUP = int('BENCH_SLACK_WARMUP', 300);
const CONCURRENCY = Math.max(1, int('BENCH_SLACK_CONCURRENCY', 8));
const ROUNDS = Math.max(1, int('BENCH_SLACK_ROUNDS', 4));
const ACCOUNTS = Math.max(1, int('BENCH_SLACK_ACCOUNTS', 10_000));
const TOUCHPOINTS = int('BENCH_SLACK_TOUCHPOINTS', 50_000);
const THREAD = int('BENCH_SLACK_THREAD', 1) === 1;
const PROFILE = process.env.BENCH_SLACK_PROFILE;

const SIGNING_SECRET = 'bench-signing-secret';
const BOT_TOKEN = 'xoxb-bench-token';
const TEAM = 'T0BENCH';
const EVENTS_PATH = '/slack/events';

type Target = 'empty' | 'steward';

// ---------------------------------------------------------------- child: one app

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
    const slack = createSlackApp({ config, engine, logger, afterCommand: async () => undefined, commandThread: THREAD });
    await slack.start();
    stop = async () => {
      await slack.stop();
      closeDb(handle);
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
const REPS = ['Zhang Wei', 'Wang Fang', 'Li Min', 'Zhao Jing', 'Sun Lei', 'Zhou Yan', 'Wu Jun', 'Qian Hao'].map((name, i) => ({ id: `U0REP${String(i + 1).padStart(3, '0')}`, name }));

/** A Slack tenant with its reps, accounts and a history of touchpoints, written with plain prepared statements. */
function seed(db: Db): string[] {
  const c = db.$client;
  const now = Date.now();
  const tenantId = Number(c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('slack', ?, 'Bench Logistics', 'en', ?)").run(TEAM, TIMEZONE).lastInsertRowid);
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function, timezone, locale) values (?, ?, ?, ?, ?, ?, ?)');
  const insAccount = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare("insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, ?, 'slack', ?)");
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
      if (method === 'auth.test') return json({ ok: true, url: 'https://bench.slack.com/', team: 'Bench Logistics', user: 'steward', team_id: TEAM, user_id: 'U0BOT', bot_id: 'B0BOT', is_enterprise_install: false });
      if (method === 'users.info') {
        const id = new URLSearchParams(body).get('user') ?? '';
        const rep = REPS.find((r) => r.id === id);
        return json({ ok: true, user: { id, team_id: TEAM, name: id.toLowerCase(), real_name: rep?.name ?? id, tz: TIMEZONE, locale: 'en-US', profile: { display_name: rep?.name ?? id } } });
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
  const child = spawn(process.execPath, [...process.execArgv, ...(PROFILE && target === 'steward' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), script, '--serve', target, '--db', db, '--api', `${api}/api/`, '--port', String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
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
    trigger_id: `${1_000_000 + i}.738474920.${(i * 2_654_435_761 >>> 0).toString(16)}`,
  }).toString();
  return { body, responsePath };
}

function sign(body: string): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig };
}

/** POSTs a signed request; resolves with the status and the response's body. */
function post(agent: Agent, port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
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
    req.on('error', reject);
    req.end(body);
  });
}

interface Run {
  target: Target;
  seconds: number;
  rps: number;
  ackMs: number[];
  statuses: Map<number, number>;
  /** Per measured request: when it was sent. */
  sentAt: Map<string, number>;
  /** Seconds from each chunk's first request to its last answer, summed (Steward only). */
  completedSeconds?: number;
  /** Per chunk: answers not yet received when its last ack came back, and ms from that ack to its last answer (Steward only). */
  backlog: number[];
  drainMs: number[];
  /** CPU ms spent during the measured chunks: the app's process, its main thread, and this (load and fake Slack) process. */
  cpuMs: number;
  mainCpuMs: number;
  /** CPU ms of the busiest thread besides the main one (Steward: its engine thread). */
  busiestOtherMs: number;
  loadCpuMs: number;
  /** The app's main loop during the measured chunks, ms active and idle. */
  loopActiveMs: number;
  loopIdleMs: number;
}

type Driven = Pick<Run, 'seconds' | 'rps' | 'ackMs' | 'statuses' | 'sentAt'>;

async function drive(port: number, requests: Slash[], agent: Agent, answers: Pick<Sink, 'arrivals'>): Promise<Driven> {
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
      const res = await post(agent, port, r.body);
      const status = res.status;
      // An answer in the ack's body is the rep's answer, there and then.
      if (res.body) answers.arrivals.set(r.responsePath, { at: performance.now(), body: res.body, inAck: true });
      ackMs[i] = performance.now() - s;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, rps: requests.length / seconds, ackMs, statuses, sentAt };
}

/** Measured requests go in ROUNDS alternating chunks, empty then Steward, so background load on the machine falls on both alike. */
async function measureBoth(dbFile: string, names: string[], sink: Sink): Promise<{ empty: Run; steward: Run }> {
  const empty = await startChild('empty', dbFile, sink.url);
  const steward = await startChild('steward', dbFile, sink.url).catch(async (e: unknown) => {
    await stopChild(empty.child);
    throw e;
  });
  const apps = { empty, steward };
  const agents = { empty: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }), steward: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) };
  const blank = (target: Target): Run => ({ target, seconds: 0, rps: 0, ackMs: [], statuses: new Map(), sentAt: new Map(), backlog: [], drainMs: [], cpuMs: 0, mainCpuMs: 0, busiestOtherMs: 0, loadCpuMs: 0, loopActiveMs: 0, loopIdleMs: 0 });
  const runs: { empty: Run; steward: Run } = { empty: blank('empty'), steward: { ...blank('steward'), completedSeconds: 0 } };
  try {
    let seq = 0;
    for (const target of ['empty', 'steward'] as const) {
      const warm = Array.from({ length: WARMUP }, () => slash(target, seq++, names, sink.url));
      await drive(apps[target].port, warm, agents[target], sink);
      if (target === 'steward') await sink.waitFor(warm.map((r) => r.responsePath), 60_000);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const size = Math.floor(REQUESTS / ROUNDS) + (round < REQUESTS % ROUNDS ? 1 : 0);
      for (const target of ['empty', 'steward'] as const) {
        const chunk = Array.from({ length: size }, () => slash(target, seq++, names, sink.url));
        const before = await apps[target].stats();
        const load0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await drive(apps[target].port, chunk, agents[target], sink);
        const acked = performance.now();
        const run = runs[target];
        run.seconds += r.seconds;
        run.ackMs.push(...r.ackMs);
        for (const [code, n] of r.statuses) run.statuses.set(code, (run.statuses.get(code) ?? 0) + n);
        for (const [path, at] of r.sentAt) run.sentAt.set(path, at);
        if (target === 'steward') {
          // Let Steward finish what it does after the acks before the empty app's next chunk.
          await sink.waitFor(chunk.map((c) => c.responsePath), 60_000);
          const arrived = chunk.map((c) => sink.arrivals.get(c.responsePath)?.at).filter((x): x is number => x !== undefined);
          const last = arrived.length ? Math.max(...arrived) : performance.now();
          run.completedSeconds! += (last - t0) / 1000;
          run.backlog.push(chunk.length - arrived.filter((at) => at <= acked).length);
          run.drainMs.push(Math.max(0, last - acked));
        }
        const after = await apps[target].stats();
        const load = process.cpuUsage(load0);
        run.cpuMs += after.cpuMs - before.cpuMs;
        run.mainCpuMs += after.mainCpuMs - before.mainCpuMs;
        run.busiestOtherMs += busiestOther(before, after, apps[target].child.pid!);
        run.loadCpuMs += (load.user + load.system) / 1000;
        run.loopActiveMs += after.loopActiveMs - before.loopActiveMs;
        run.loopIdleMs += after.loopIdleMs - before.loopIdleMs;
      }
    }
    for (const run of [runs.empty, runs.steward]) run.rps = run.ackMs.length / run.seconds;
    return runs;
  } finally {
    agents.empty.destroy();
    agents.steward.destroy();
    await Promise.all([stopChild(apps.empty.child), stopChild(apps.steward.child)]);
  }
}

// ---------------------------------------------------------------- report

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
    const before = (db.$client.prepare('select count(*) as n from touchpoints').get() as { n: number }).n;
    closeDb(db);
    console.log(`\nsteward slack bench: ${fmt(ACCOUNTS)} accounts, ${fmt(TOUCHPOINTS)} touchpoints seeded in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    t0 = performance.now();
    const { empty, steward } = await measureBoth(dbFile, names, sink);
    const totalSeconds = (performance.now() - t0) / 1000;

    // What Steward answered to each measured command (in the ack or at the response_url), and what it wrote.
    const paths = [...steward.sentAt.keys()];
    const toRespond = paths.map((p) => {
      const a = sink.arrivals.get(p);
      return a ? a.at - steward.sentAt.get(p)! : NaN;
    });
    const arrived = toRespond.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const answers = paths.map((p) => sink.arrivals.get(p)?.body).filter((b): b is string => b !== undefined);
    const inAck = paths.filter((p) => sink.arrivals.get(p)?.inAck).length;
    const logged = answers.filter((b) => {
      const m = JSON.parse(b) as { text?: string; response_type?: string };
      return m.response_type === 'ephemeral' && (m.text ?? '').includes('Logged a visit');
    }).length;
    const other = answers.find((b) => !(JSON.parse(b) as { text?: string }).text?.includes('Logged a visit'));
    const after = openDb(dbFile);
    const written = (after.$client.prepare('select count(*) as n from touchpoints').get() as { n: number }).n - before;
    closeDb(after);

    const e = latency(empty.ackMs);
    const s = latency(steward.ackMs);
    const ratio = steward.rps / empty.rps;
    const completedPerSec = steward.completedSeconds ? arrived.length / steward.completedSeconds : NaN;
    const completionRatio = completedPerSec / empty.rps;
    const codes = (r: Run) => [...r.statuses].map(([c, n]) => `${c}×${n}`).join(' ');
    const perRequest = (ms: number) => ms / REQUESTS;
    const busy = (r: Run) => r.loopActiveMs / (r.loopActiveMs + r.loopIdleMs);

    const mode = THREAD ? 'slash commands on its engine thread' : 'slash commands on its main event loop (BENCH_SLACK_THREAD=0)';
    console.log(`${fmt(REQUESTS)} signed /touch slash commands per app after ${fmt(WARMUP)} warm-up, ${CONCURRENCY} in flight, HTTP keep-alive, each app in its own process, alternating in ${ROUNDS} rounds; Steward runs ${mode}\n`);
    console.log(
      table([
        ['app', 'requests', 'seconds', 'req/s', 'ack p50 ms', 'ack p99 ms', 'vs empty', 'HTTP status'],
        ['empty Bolt app (ack only)', fmt(REQUESTS), fmt(empty.seconds, 2), fmt(empty.rps), fmt(e.p50, 2), fmt(e.p99, 2), '1.000', codes(empty)],
        ['Steward', fmt(REQUESTS), fmt(steward.seconds, 2), fmt(steward.rps), fmt(s.p50, 2), fmt(s.p99, 2), fmt(ratio, 3), codes(steward)],
      ]),
    );
    console.log('\nSteward\'s answers\n');
    console.log(
      table([
        ['measure', 'value'],
        ['answers received', `${fmt(arrived.length)} of ${fmt(REQUESTS)}`],
        ['... in the ack / at the response_url', `${fmt(inAck)} / ${fmt(arrived.length - inAck)}`],
        ['send -> answer p50 ms', fmt(percentile(arrived, 50), 2)],
        ['send -> answer p99 ms', fmt(percentile(arrived, 99), 2)],
        ['commands completed per second', fmt(completedPerSec)],
        ['completed per second vs empty req/s', fmt(completionRatio, 3)],
        ['answers outstanding at a chunk\'s last ack, max', `${fmt(Math.max(...steward.backlog))} of ${fmt(Math.ceil(REQUESTS / ROUNDS))}`],
        ['last answer after a chunk\'s last ack, max ms', fmt(Math.max(...steward.drainMs), 1)],
        ['answers "Logged a visit", ephemeral', fmt(logged)],
        ['touchpoints written (incl. warm-up)', `${fmt(written)} of ${fmt(REQUESTS + WARMUP)}`],
        ['users.info calls', fmt(sink.calls.get('users.info') ?? 0)],
      ]),
    );
    if (other) console.log(`\nan answer that was not "Logged a visit": ${other.slice(0, 300)}`);
    console.log('\nCPU ms per measured request, by process and (from /proc, on Linux) by thread; the busiest other thread is Steward\'s engine thread, the rest are V8\'s GC and compiler threads; and the main loop\'s busy share\n');
    console.log(
      table([
        ['process', 'CPU ms/request', 'main thread', 'busiest other thread', 'all other threads', 'main loop busy', 'load generator + fake Slack'],
        ...[empty, steward].map((r) => [
          r.target === 'empty' ? 'empty Bolt app' : 'Steward',
          fmt(perRequest(r.cpuMs), 3),
          fmt(perRequest(r.mainCpuMs), 3),
          fmt(perRequest(r.busiestOtherMs), 3),
          fmt(perRequest(r.cpuMs - r.mainCpuMs), 3),
          `${fmt(100 * busy(r), 0)}%`,
          fmt(perRequest(r.loadCpuMs), 3),
        ]),
      ]),
    );
    console.log(`\n(both apps measured in ${fmt(totalSeconds, 1)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
    console.log(
      JSON.stringify({
        bench: 'steward-slack-http',
        requests: REQUESTS,
        warmup: WARMUP,
        concurrency: CONCURRENCY,
        rounds: ROUNDS,
        accounts: ACCOUNTS,
        touchpoints: TOUCHPOINTS,
        empty: { rps: +empty.rps.toFixed(1), ackP50Ms: +e.p50.toFixed(3), ackP99Ms: +e.p99.toFixed(3), statuses: Object.fromEntries(empty.statuses) },
        steward: {
          rps: +steward.rps.toFixed(1),
          ackP50Ms: +s.p50.toFixed(3),
          ackP99Ms: +s.p99.toFixed(3),
          statuses: Object.fromEntries(steward.statuses),
          answerP50Ms: +percentile(arrived, 50).toFixed(3),
          answerP99Ms: +percentile(arrived, 99).toFixed(3),
          answered: arrived.length,
          answeredInAck: inAck,
          completedPerSec: Number.isFinite(completedPerSec) ? +completedPerSec.toFixed(1) : null,
          backlogAtLastAckMax: Math.max(...steward.backlog),
          drainAfterLastAckMaxMs: +Math.max(...steward.drainMs).toFixed(1),
          logged,
          touchpointsWritten: written,
          engineThread: THREAD,
        },
        cpuMsPerRequest: Object.fromEntries(
          [empty, steward].map((r) => [r.target, { process: +perRequest(r.cpuMs).toFixed(3), mainThread: +perRequest(r.mainCpuMs).toFixed(3), busiestOtherThread: +perRequest(r.busiestOtherMs).toFixed(3), mainLoopBusy: +busy(r).toFixed(3), loadGenerator: +perRequest(r.loadCpuMs).toFixed(3) }]),
        ),
        ratio: +ratio.toFixed(4),
        completionRatio: Number.isFinite(completionRatio) ? +completionRatio.toFixed(4) : null,
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
  if (args.serve !== 'empty' && args.serve !== 'steward') throw new Error(`--serve: expected empty or steward, got ${JSON.stringify(args.serve)}`);
  await serve(args.serve, args.db!, args.api!, Number(args.port));
} else {
  await main();
}
