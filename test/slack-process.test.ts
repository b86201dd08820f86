// `npm start` in Slack mode, as a real process: with SLACK_* set it serves
// HTTP at POST /slack/events (against the local Slack in test/fake-slack.ts),
// starts its own redis-server for the schedules, runs slash commands on its
// engine thread (answered in the ack, or at the response_url), serves GET /healthz, and on
// SIGTERM finishes what it holds and exits 0, a second signal meanwhile included.
import { once } from 'node:events';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { processesWith, running, sleep, slackProcessEnv } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SECRET = 'process-test-signing-secret';

let fake: FakeSlack;
let dir: string;
let child: ChildProcess | undefined;
let stderr = '';

beforeAll(async () => {
  fake = new FakeSlack()
    .addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' })
    .addUser({ id: 'U2', name: 'bob', real_name: 'Bob Chen', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-slack-process-'));
});

/** The live processes started under `pid`, children first (tsx runs Steward as its child, Steward its redis-server). */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((r) => r.length === 2);
  const out: number[] = [];
  for (let i = -1; i < out.length; i++) for (const [p, pp] of rows) if (pp === (i < 0 ? pid : out[i]) && !out.includes(p!)) out.push(p!);
  return out;
}

/**
 * SIGKILLs `npm start`'s process and everything it started: a SIGKILL cannot be forwarded, so tsx's
 * Steward and Steward's redis-server would be left running. Its redis-server is also found by the
 * data folder its command line names (its socket), in case it was already orphaned. Resolves once all are gone.
 */
async function killAll(proc: ChildProcess | undefined): Promise<void> {
  const pids = [...(proc?.pid && running(proc.pid) ? [proc.pid, ...descendants(proc.pid)] : []), ...processesWith(dir)];
  for (const pid of pids) if (running(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; pids.some(running) && i < 200; i++) await sleep(25);
}

afterAll(async () => {
  await killAll(child);
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `npm start` in Slack mode on its own database; resolves once /healthz answers. */
async function startSteward(db: string): Promise<{ proc: ChildProcess; base: string }> {
  const port = await freePort();
  const proc = spawn(TSX, ['src/main.ts'], {
    cwd: ROOT,
    env: slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db, logLevel: 'warn' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child = proc;
  stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  // Up once /healthz answers (Bolt starts listening after auth.test and the engine thread are ready).
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`Steward exited (code ${proc.exitCode}); stderr:\n${stderr}`);
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (i > 600) throw new Error(`Steward never answered /healthz; stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, base };
}

/** Types a slash command as `user`; resolves with the ack's status and, later, the answer. */
function typer(base: string) {
  return async (text: string, user = 'U1') => {
    const [command, ...rest] = text.split(' ');
    const responseUrl = fake.responseUrl();
    const res = await sendToApp(`${base}/slack/events`, slashCommand({ user, command: command!, text: rest.join(' '), responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    return (await fake.slashAnswer(res, responseUrl, 30_000)) as { text: string; response_type: string };
  };
}

const touches = (db: string, note: string) => {
  const file = new Database(db, { readonly: true });
  try {
    return (file.prepare('select count(*) as n from touchpoints where note = ?').get(note) as { n: number }).n;
  } finally {
    file.close();
  }
};

it('answers slash commands from its engine thread and shuts down cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  const db = join(dir, 'steward.db');
  const { proc, base } = await startSteward(db);
  const type = typer(base);
  expect((await type('/account add Acme tier:strategic')).text).toMatch(/^✔/);
  const touched = await type('/touch Acme visit Walked the new warehouse');
  expect(touched.text).toMatch(/^✔ Logged a visit/);
  expect(touched.response_type).toBe('ephemeral');

  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  expect(code, stderr).toBe(0);
  expect(stderr).not.toMatch(/"level":(50|60)/);
  expect(touches(db, 'Walked the new warehouse')).toBe(1);
});

it('a second signal while it drains (Ctrl-C reaches it twice) does not cut short a command in flight', { timeout: 60_000 }, async () => {
  const db = join(dir, 'steward-twice.db');
  const { proc, base } = await startSteward(db);
  const type = typer(base);
  expect((await type('/account add Acme tier:strategic')).text).toMatch(/^✔/);
  // Bob's first command waits on users.info: it is in flight when the signals come.
  const release = fake.hold('users.info');
  const answer = type('/touch Acme call In flight at shutdown', 'U2');
  while (fake.waiting('users.info') === 0) await new Promise((r) => setTimeout(r, 20));
  const exited = once(proc, 'exit');
  proc.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 100));
  proc.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 200));
  expect(proc.exitCode).toBeNull();
  release();
  expect((await answer).text).toMatch(/^✔ Logged a call/);
  const [code] = (await exited) as [number | null];
  expect(code, stderr).toBe(0);
  expect(touches(db, 'In flight at shutdown')).toBe(1);
});

it('a Steward killed with SIGKILL leaves no process behind once the test cleans up (its redis-server included)', { timeout: 60_000 }, async () => {
  const db = join(dir, 'steward-killed.db');
  const { proc, base } = await startSteward(db);
  expect((await typer(base)('/account add Acme tier:strategic')).text).toMatch(/^✔/);
  const started = [proc.pid!, ...descendants(proc.pid!)];
  expect(processesWith(dir).length, 'its own redis-server, named by its socket in the data folder').toBeGreaterThan(0);
  await killAll(proc);
  expect(started.filter(running)).toEqual([]);
  expect(processesWith(dir)).toEqual([]);
});
