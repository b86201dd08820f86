// `npm start` with Slack OAuth alone (no SLACK_BOT_TOKEN): the real process
// serves the install page and the redirect, keeps the installation in its
// database, answers a workspace installed that way from its engine thread, and
// delivers there (the escalation channel's first note, through its queues) with
// that workspace's token; no token reaches its log.
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { processesWith, running, sleep } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SECRET = 'oauth-process-signing-secret';

let fake: FakeSlack;
let dir: string;
let child: ChildProcess | undefined;
let stderr = '';

beforeAll(async () => {
  fake = new FakeSlack().addUser({ id: 'U71', name: 'gus', real_name: 'Gus Field', tz: 'Asia/Shanghai', team_id: 'T7' });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'steward-slack-oauth-process-'));
});

afterAll(async () => {
  const pids = [...(child?.pid && running(child.pid) ? [child.pid] : []), ...processesWith(dir)];
  for (const pid of pids) if (running(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; pids.some(running) && i < 200; i++) await sleep(25);
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('installs a workspace through OAuth, answers it from the engine thread and delivers to it with its own token', { timeout: 90_000 }, async () => {
  const db = join(dir, 'steward.db');
  const port = await freePort();
  const proc = spawn(TSX, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_CLIENT_ID: fake.oauthApp.clientId,
      SLACK_CLIENT_SECRET: fake.oauthApp.clientSecret,
      SLACK_STATE_SECRET: 'oauth-process-state-secret',
      SLACK_API_URL: fake.apiUrl,
      PORT: String(port),
      STEWARD_DB: db,
      STEWARD_TIMEZONE: 'Asia/Shanghai',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child = proc;
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`Steward exited (code ${proc.exitCode}); stderr:\n${stderr}`);
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error(`Steward never answered /healthz; stderr:\n${stderr}`);
    await sleep(50);
  }
  // No token of its own: nothing to ask auth.test about at start.
  expect(fake.callsTo('auth.test')).toHaveLength(0);

  fake.grant('code-t7', { token: 'xoxb-t7-secret', teamId: 'T7', teamName: 'Field Freight' });
  const page = await fetch(`${base}/slack/install`);
  const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
  const state = new URL(/<a href="([^"]+)"/.exec(await page.text())![1]!.replace(/&amp;/g, '&')).searchParams.get('state')!;
  const back = await fetch(`${base}/slack/oauth_redirect?code=code-t7&state=${encodeURIComponent(state)}`, { headers: { cookie } });
  expect(back.status).toBe(200);

  const type = async (text: string) => {
    const [command, ...rest] = text.split(' ');
    const responseUrl = fake.responseUrl();
    const res = await sendToApp(`${base}/slack/events`, slashCommand({ user: 'U71', team: 'T7', command: command!, text: rest.join(' '), responseUrl }), { secret: SECRET });
    expect(res.status).toBe(200);
    return (await fake.slashAnswer(res, responseUrl, 30_000)) as { text: string };
  };
  expect((await type('/account add Field tier:strategic')).text).toMatch(/^✔/);
  expect((await type('/steward settings escalation-channel:<#C7ESC|esc>')).text).toMatch(/^✔/);
  // The channel's first note, delivered by the queues with the workspace's own token.
  const note = await fake.until(() => fake.callsTo('chat.postMessage').find((c) => c.body.channel === 'C7ESC'), 'the escalation channel’s first note', 30_000);
  expect(note.headers.authorization).toBe('Bearer xoxb-t7-secret');

  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  expect(code, stderr).toBe(0);
  expect(stderr).toContain('Slack installation stored');
  expect(stderr).not.toContain('xoxb-t7-secret');
  const file = new Database(db, { readonly: true });
  try {
    expect(file.prepare('select key, team_id, org_wide from slack_installations').all()).toEqual([{ key: 'T7', team_id: 'T7', org_wide: 0 }]);
    expect(file.prepare("select workspace_id from tenants where platform = 'slack'").all()).toEqual([{ workspace_id: 'T7' }]);
  } finally {
    file.close();
  }
});
