// Steward as a container or a service manager runs it: SIGTERM goes to the one
// process that was started (PID 1 under `docker stop` or Kubernetes, the main
// PID under systemd), and nothing else is signalled. Started as `npm start` and
// as the direct `node --import tsx src/main.ts`, in Slack HTTP mode against the
// local Slack in test/fake-slack.ts with its own redis-server: on SIGTERM the
// command in flight is finished and answered, Steward and its redis-server are
// gone, and it exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { healthy, processesWith, running, until, slackProcessEnv } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'process-signal-test-secret';
/** Bounds on waits, only so that a hang fails instead of blocking. */
const WAIT_MS = 30_000;

let fake: FakeSlack;
let dir: string;
const children: ChildProcess[] = [];
const pids: number[] = [];

beforeAll(async () => {
  fake = new FakeSlack()
    .addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' })
    .addUser({ id: 'U2', name: 'bob', real_name: 'Bob Chen', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-signals-'));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of pids) if (running(pid)) process.kill(pid, 'SIGKILL');
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const touches = (db: string, note: string) => {
  const file = new Database(db, { readonly: true });
  try {
    return (file.prepare('select count(*) as n from touchpoints where note = ?').get(note) as { n: number }).n;
  } finally {
    file.close();
  }
};

/** How a container or a service manager may start Steward: its command line, run with no shell around it. */
const LAUNCHERS: { name: string; command: string; args: string[] }[] = [
  { name: 'npm start', command: 'npm', args: ['start', '--silent'] },
  { name: 'node --import tsx src/main.ts', command: process.execPath, args: ['--import', 'tsx', 'src/main.ts'] },
];

describe.each(LAUNCHERS)('SIGTERM to the process started as `$name`', ({ name, command, args }) => {
  it('finishes the command in flight, stops its redis-server, and exits 0', { timeout: 4 * WAIT_MS }, async () => {
    const data = join(dir, name.replace(/\W+/g, '-'));
    const db = join(data, 'steward.db');
    const port = await freePort();
    const proc = spawn(command, args, {
      cwd: ROOT,
      env: slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db, logLevel: 'info' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(proc);
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    const err = () => stderr;
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const base = `http://127.0.0.1:${port}`;
    await healthy(proc, base, err);

    // Steward's own pid is in its redis folder's owner file; its redis-server is the one on that folder's socket.
    const steward = Number(readFileSync(join(data, 'redis', 'steward.pid'), 'utf8').trim());
    pids.push(steward);
    const socket = join(data, 'redis', 'redis.sock');
    const [redis] = await until(
      'its redis-server to show',
      () => {
        const found = processesWith(socket);
        return found.length ? found : undefined;
      },
      err,
    );
    pids.push(redis!);

    const type = async (text: string, user: string) => {
      const [cmd, ...rest] = text.split(' ');
      const responseUrl = fake.responseUrl();
      const res = await sendToApp(`${base}/slack/events`, slashCommand({ user, command: cmd!, text: rest.join(' '), responseUrl }), { secret: SECRET });
      expect(res.status).toBe(200);
      return (await fake.slashAnswer(res, responseUrl, WAIT_MS)) as { text: string };
    };
    expect((await type('/account add Acme tier:strategic', 'U1')).text).toMatch(/^✔/);

    // Bob's first command waits on users.info: it is in flight when SIGTERM comes.
    const release = fake.hold('users.info');
    const answer = type('/touch Acme call In flight at SIGTERM', 'U2');
    await until('the command to be in flight', () => fake.waiting('users.info') > 0, err);
    proc.kill('SIGTERM');
    // Steward heard it (it says so), or the process started is already gone: either way the command is released now.
    await until('Steward to hear SIGTERM', () => /shutting down/.test(stderr) || proc.exitCode !== null || proc.signalCode !== null, err);
    release();

    expect((await answer).text, stderr).toMatch(/^✔ Logged a call/);
    const [code, signal] = await exited;
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    await until('Steward to be gone', () => !running(steward), err);
    await until('its redis-server to be gone', () => !running(redis!) && processesWith(socket).length === 0, err);
    expect(touches(db, 'In flight at SIGTERM')).toBe(1);
    expect(stderr).not.toMatch(/"level":(50|60)/);
  });
});
