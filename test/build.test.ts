// The production build (`npm run build`: scripts/build.ts, tsc into dist/) runs under plain node, with no tsx
// anywhere: built once here into a temporary directory laid out as a deployment of dist/ is (a package.json saying
// its .js files are ES modules, node_modules beside it), then started as `npm run start:prod` starts dist/ (its node options too), in the
// shell with piped commands and in Slack HTTP mode against the fake Slack in test/fake-slack.ts (with its own
// redis-server). A fresh database proves the migrations are found from the compiled db/index.js; a Slack start that
// reports its command thread proves the engine thread's entry and its finisher load from compiled JavaScript (a
// thread that cannot start fails the start-up).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, prodArgs } from '../scripts/build.js';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { pgUrl, startTestPg } from './pg.js';
import { healthy, slackProcessEnv } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'build-test-secret';
/** Bounds on waits, only so that a hang fails instead of blocking. */
const WAIT_MS = 30_000;

let dir: string;
let out: string;
let fake: FakeSlack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-build-'));
  out = join(dir, 'build');
  build(out);
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  fake = new FakeSlack().addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
}, 180_000);

afterAll(async () => {
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const touches = (db: string, note: string) => {
  const file = new Database(db, { readonly: true });
  try {
    return (file.prepare('select count(*) as n from touchpoints where note = ?').get(note) as { n: number }).n;
  } finally {
    file.close();
  }
};

describe('the compiled Steward, started as npm run start:prod starts it', () => {
  it('holds the source and the migrations, and no tests or benches', () => {
    for (const file of ['src/main.js', 'src/engine-thread.js', 'src/chat/slack/respond.js', 'handlers/index.js', 'prompts/index.js', 'db/index.js']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(existsSync(join(out, 'db/migrations/meta/_journal.json'))).toBe(true);
    expect(existsSync(join(out, 'db/migrations-pg/meta/_journal.json'))).toBe(true);
    expect(existsSync(join(out, 'test'))).toBe(false);
    expect(existsSync(join(out, 'bench'))).toBe(false);
  });

  it('runs piped shell commands on a fresh database', { timeout: 2 * WAIT_MS }, async () => {
    const cwd = join(dir, 'shell');
    mkdirSync(cwd);
    const db = join(cwd, 'steward.db');
    const proc = spawn(process.execPath, [...prodArgs(out), '--user', 'alice'], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, STEWARD_DB: db, STEWARD_TIMEZONE: 'Asia/Shanghai' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    proc.stdin!.end('/account add Acme tier:strategic\n/touch Acme call Compiled shell\n');
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/✔ Logged a call/);
    expect(touches(db, 'Compiled shell')).toBe(1);
  });

  it('serves Slack over HTTP with its engine thread, and exits 0 on SIGTERM', { timeout: 3 * WAIT_MS }, async () => {
    const cwd = join(dir, 'slack');
    mkdirSync(cwd);
    const db = join(cwd, 'steward.db');
    await servesSlack(cwd, { STEWARD_DB: db }, async (note) => touches(db, note));
  });

  it('serves Slack on PostgreSQL (DATABASE_URL): db/migrations-pg found from the compiled db/pg.js, the engine thread on its own pool', { timeout: 4 * WAIT_MS }, async () => {
    const server = await startTestPg();
    try {
      const url = pgUrl(await server.database());
      const cwd = join(dir, 'slack-pg');
      mkdirSync(cwd);
      await servesSlack(cwd, { STEWARD_DB: join(cwd, 'unused.db'), DATABASE_URL: url }, async (note) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          return Number((await c.query('select count(*) as n from touchpoints where note = $1', [note])).rows[0].n);
        } finally {
          await c.end();
        }
      });
      expect(existsSync(join(cwd, 'unused.db')), 'no SQLite book beside a PostgreSQL one').toBe(false);
    } finally {
      await server.stop();
    }
  });
});

/** Starts the compiled Steward in Slack HTTP mode in `cwd` with `env`, runs two slash commands, checks the touch landed, stops it with SIGTERM. */
async function servesSlack(cwd: string, env: { STEWARD_DB: string; DATABASE_URL?: string }, touchCount: (note: string) => Promise<number>): Promise<void> {
  const port = await freePort();
  const proc = spawn(process.execPath, prodArgs(out), {
    cwd,
    env: {
      ...slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db: env.STEWARD_DB, logLevel: 'info' }),
      ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const err = () => stderr;
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    const base = `http://127.0.0.1:${port}`;
    await healthy(proc, base, err);
    const started = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; commandThread?: boolean })
      .find((line) => line.msg === 'Slack adapter started');
    expect(started?.commandThread, stderr).toBe(true);

    const type = async (text: string) => {
      const [cmd, ...rest] = text.split(' ');
      const responseUrl = fake.responseUrl();
      const res = await sendToApp(`${base}/slack/events`, slashCommand({ user: 'U1', command: cmd!, text: rest.join(' '), responseUrl }), { secret: SECRET });
      expect(res.status).toBe(200);
      return (await fake.slashAnswer(res, responseUrl, WAIT_MS)) as { text: string };
    };
    expect((await type('/account add Acme tier:strategic')).text, stderr).toMatch(/^✔/);
    expect((await type('/touch Acme call Compiled Slack')).text, stderr).toMatch(/^✔ Logged a call/);
    expect(await touchCount('Compiled Slack')).toBe(1);

    proc.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).not.toMatch(/"level":(50|60)/);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
}
