// GET /metrics as an operator scrapes it: `npm start` in Slack HTTP mode (its own redis-server,
// slash commands on the engine thread) with METRICS_PORT and METRICS_TOKEN set, scraped over HTTP.
// The counters move after commands (counted on the main thread, though the thread runs them), a
// delivery and a sweep; a scrape without the token gets 401; every metric the Grafana dashboard
// queries is in a scrape; and with neither variable set, nothing listens but the chat port.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../handlers/index.js';
import { Engine } from '../src/engine/engine.js';
import type { CommandSpec } from '../src/engine/spec.js';
import { Metrics } from '../src/metrics.js';
import { mergeExposition } from '../src/scheduler/scheduler.js';
import { harness } from './harness.js';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { healthy, listening, processesWith, running, sleep, slackProcessEnv, until } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'metrics-test-signing-secret';
const TOKEN = 'metrics-test-token';
const WAIT_MS = 60_000;

let fake: FakeSlack;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  fake = new FakeSlack()
    .addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' })
    .addUser({ id: 'U2', name: 'bob', real_name: 'Bob Chen', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-metrics-'));
});

afterAll(async () => {
  for (const c of children) if (c.pid && running(c.pid)) c.kill('SIGKILL');
  // Their redis-servers, found by the data folder their command lines name.
  for (const pid of processesWith(dir)) if (running(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; processesWith(dir).length && i < 200; i++) await sleep(25);
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `node --import tsx src/main.ts` in Slack HTTP mode on its own database, with `extra` in its environment; resolves once /healthz answers. */
async function startSteward(name: string, extra: Record<string, string>) {
  const port = await freePort();
  const db = join(dir, name, 'steward.db');
  const env = { ...slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db, logLevel: 'warn' }), ...extra };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await healthy(proc, base, () => stderr, WAIT_MS);
  return { proc, base, port, stderr: () => stderr };
}

/** The TCP addresses the process `pid` listens on (ss), as `host:port`. */
function listensOn(pid: number): string[] {
  return execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3]!);
}

/** A sample's value in an exposition: the sum over the samples of `name` whose labels include every one of `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

describe('with METRICS_PORT and METRICS_TOKEN', () => {
  let steward: Awaited<ReturnType<typeof startSteward>>;
  let metricsUrl: string;
  const scrape = async () => {
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const type = async (text: string, user: string) => {
    const [command, ...rest] = text.split(' ');
    const responseUrl = fake.responseUrl();
    const res = await sendToApp(`${steward.base}/slack/events`, slashCommand({ user, command: command!, text: rest.join(' '), responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    return ((await fake.slashAnswer(res, responseUrl, 30_000)) as { text: string }).text;
  };

  beforeAll(async () => {
    const metricsPort = await freePort();
    steward = await startSteward('on', { METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN });
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  }, 2 * WAIT_MS);

  it('refuses a scrape without the token, or with another, and listens on 127.0.0.1 only', async () => {
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer not-it' } })).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: TOKEN } })).status).toBe(401);
    expect((await fetch(metricsUrl.replace('/metrics', '/'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const port = new URL(metricsUrl).port;
    expect(listensOn(steward.proc.pid!).filter((a) => a.endsWith(`:${port}`))).toEqual([`127.0.0.1:${port}`]);
  });

  it('counts commands run on the engine thread by name and outcome, and times them', { timeout: 2 * WAIT_MS }, async () => {
    const before = await scrape();
    expect(await type('/account add Acme tier:strategic', 'U1')).toMatch(/^✔/);
    // Refused: the same account again, and a command Steward does not know.
    expect(await type('/account add Acme tier:strategic', 'U1')).not.toMatch(/^✔/);
    await type('/acount Acme', 'U1');
    const after = await scrape();
    const delta = (labels: Record<string, string>) => value(after, 'steward_commands_total', labels) - value(before, 'steward_commands_total', labels);
    expect(delta({ command: 'account', outcome: 'ok' })).toBe(1);
    expect(delta({ command: 'account', outcome: 'refused' })).toBe(1);
    expect(delta({ command: 'unknown', outcome: 'refused' })).toBe(1);
    expect(delta({ outcome: 'error' })).toBe(0);
    const count = (t: string) => value(t, 'steward_command_duration_seconds_count', { command: 'account' });
    expect(count(after) - count(before)).toBe(2);
    expect(value(after, 'steward_command_duration_seconds_bucket', { command: 'account', le: '+Inf' })).toBe(count(after));
    expect(value(after, 'steward_command_duration_seconds_sum', { command: 'account' })).toBeGreaterThan(0);
  });

  it('counts what is decided and delivered, what waits, the queues and the sweep', { timeout: 2 * WAIT_MS }, async () => {
    const before = await scrape();
    // A critical complaint on Alice's account, by Bob: Alice is alerted at once, through the outbox and the delivery queue.
    expect(await type('/complaint Acme severity:critical category:damage Pallets crushed on arrival', 'U2')).toMatch(/^✔/);
    const sent = (t: string) => value(t, 'steward_nudge_deliveries_total', { outcome: 'sent' });
    const after = await until(
      'the alert to be counted as sent',
      async () => {
        const t = await scrape();
        return sent(t) > sent(before) ? t : undefined;
      },
      steward.stderr,
      WAIT_MS,
    );
    expect(value(after, 'steward_nudges_decided_total') - value(before, 'steward_nudges_decided_total')).toBeGreaterThan(0);
    expect(value(after, 'steward_nudge_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(value(after, 'steward_delivery_paused_workspaces')).toBe(0);
    expect(after).toMatch(/^bullmq_job_count\{queue="delivery", state="waiting"\} \d+$/m);
    expect(after).toMatch(/^bullmq_job_count\{queue="jobs", state="delayed"\} \d+$/m);
    // One HELP and TYPE per metric, though the two queues each export theirs.
    expect(after.match(/^# TYPE bullmq_job_count gauge$/gm)).toHaveLength(1);
    // The sweep's scheduler runs its first sweep at once.
    const swept = await until(
      'a sweep',
      async () => {
        const t = await scrape();
        return value(t, 'steward_sweeps_total') > 0 ? t : undefined;
      },
      steward.stderr,
      WAIT_MS,
    );
    const last = value(swept, 'steward_sweep_last_run_timestamp_seconds');
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(600);
    expect(swept).toMatch(/^steward_sweep_last_duration_seconds \d/m);
    expect(swept).toMatch(/^steward_nudges_waiting/m);
  });

  it('has every metric the Grafana dashboard queries', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/steward.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const names = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(?:steward|bullmq)_\w+/g) ?? [])));
    expect(names.size).toBeGreaterThan(8);
    const text = await scrape();
    const missing = [...names].filter((n) => !new RegExp(`^${n}(?:\\{| )`, 'm').test(text));
    expect(missing).toEqual([]);
  });
});

it('with neither METRICS_PORT nor METRICS_TOKEN, listens on the chat port only', { timeout: 2 * WAIT_MS }, async () => {
  const steward = await startSteward('off', {});
  expect(listensOn(steward.proc.pid!).map((a) => a.split(':').at(-1))).toEqual([String(steward.port)]);
});

it('a worker instance, which opens no chat port, serves its metrics: the sweeps and deliveries are counted there', { timeout: 3 * WAIT_MS }, async () => {
  const redisPort = await freePort();
  const redisServer = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: 'ignore' },
  );
  children.push(redisServer);
  await until(
    'the test redis-server',
    () => listening(redisPort),
    () => '',
    WAIT_MS,
  );
  const port = await freePort();
  const metricsPort = await freePort();
  const env = {
    ...slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db: join(dir, 'worker', 'steward.db'), logLevel: 'warn' }),
    STEWARD_ROLE: 'worker',
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    METRICS_PORT: String(metricsPort),
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const text = await until(
    'the worker to have swept',
    async () => {
      if (proc.exitCode !== null) throw new Error(`the worker exited (code ${proc.exitCode}); stderr:\n${stderr}`);
      const t = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      return value(t, 'steward_sweeps_total') > 0 ? t : undefined;
    },
    () => stderr,
    WAIT_MS,
  );
  expect(text).toMatch(/^bullmq_job_count\{queue="delivery", state="waiting"\} \d+$/m);
  expect(listensOn(proc.pid!)).toEqual([`127.0.0.1:${metricsPort}`]);
});

it('a METRICS_PORT it cannot listen on stops the start with one line naming it, and nothing left listening', { timeout: 2 * WAIT_MS }, async () => {
  const held = createServer();
  const metricsPort = await freePort();
  await new Promise<void>((done) => held.listen(metricsPort, '127.0.0.1', done));
  try {
    const port = await freePort();
    const env = { ...slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db: join(dir, 'held', 'steward.db'), logLevel: 'warn' }), METRICS_PORT: String(metricsPort) };
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(proc);
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    const [code] = (await once(proc, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toContain(`steward: METRICS_PORT: could not listen on port ${metricsPort} (EADDRINUSE)`);
    expect(await listening(port)).toBe(false);
  } finally {
    held.close();
  }
});

it("merges the queues' expositions under one HELP and TYPE per metric", () => {
  const one = (q: string) =>
    [
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# TYPE bullmq_job_count gauge',
      `bullmq_job_count{queue="${q}", state="waiting"} 1`,
      '# HELP bullmq_job_failed_total Total number of failed jobs',
      '# TYPE bullmq_job_failed_total counter',
      `bullmq_job_failed_total{queue="${q}"} 0`,
    ].join('\n');
  expect(mergeExposition([one('jobs'), one('delivery')])).toBe(
    [
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# TYPE bullmq_job_count gauge',
      'bullmq_job_count{queue="jobs", state="waiting"} 1',
      'bullmq_job_count{queue="delivery", state="waiting"} 1',
      '# HELP bullmq_job_failed_total Total number of failed jobs',
      '# TYPE bullmq_job_failed_total counter',
      'bullmq_job_failed_total{queue="jobs"} 0',
      'bullmq_job_failed_total{queue="delivery"} 0',
      '',
    ].join('\n'),
  );
});

it('counts commands run in process (buttons, forms, Lark, a stopped thread) alike, an internal failure as an error', async () => {
  const h = harness();
  try {
    const metrics = new Metrics({ db: h.db });
    // A command whose handler fails on Steward's side.
    const boom: CommandSpec = {
      name: 'boom',
      summary: commands[0]!.summary,
      examples: { en: [], 'zh-CN': [] },
      forms: [
        {
          usage: '/boom',
          run: () => {
            throw new Error('boom');
          },
        },
      ],
    };
    h.engine = new Engine({ db: h.db, commands: [...commands, boom], defaults: { locale: 'en', timezone: 'Asia/Shanghai' }, clock: () => h.now, metrics });
    expect((await h.run('/account add Acme tier:strategic')).ok).toBe(true);
    expect((await h.run('/account add Acme tier:strategic')).ok).toBe(false);
    expect((await h.run('/boom')).failed).toBe(true);
    const text = await metrics.scrape();
    expect(value(text, 'steward_commands_total', { command: 'account', outcome: 'ok' })).toBe(1);
    expect(value(text, 'steward_commands_total', { command: 'account', outcome: 'refused' })).toBe(1);
    expect(value(text, 'steward_commands_total', { command: 'boom', outcome: 'error' })).toBe(1);
    expect(value(text, 'steward_command_duration_seconds_count')).toBe(3);
  } finally {
    h.close();
  }
});
