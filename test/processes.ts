// What an operator sees of Steward's processes: whether a pid is alive, which
// processes' command lines name a path (its redis-server names its socket),
// and a bounded wait, only so that a hang fails instead of blocking.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** Whether a process with this id exists and has not exited (a zombie not yet reaped counts as gone). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return true;
  }
}

/** The ids of the live processes whose command line contains `text`. */
export function processesWith(text: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[2]!.startsWith('Z') && m[3]!.includes(text))
    .map((m) => Number(m[1]));
}

/** The environment of a Steward started in Slack HTTP mode against a fake Web API, and nothing else of ours. */
export function slackProcessEnv(o: { secret: string; apiUrl: string; port: number; db: string; logLevel: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: o.secret,
    SLACK_API_URL: o.apiUrl,
    PORT: String(o.port),
    STEWARD_DB: o.db,
    STEWARD_TIMEZONE: 'Asia/Shanghai',
    LOG_LEVEL: o.logLevel,
  };
}

/** Whether any process of the group this pid leads is left (a detached child and what it started). */
export const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `f` until it gives something truthy; after `ms`, fails naming `what` with the process's stderr. */
export async function until<T>(what: string, f: () => T | Promise<T>, stderr: () => string, ms = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}; stderr:\n${stderr()}`);
    await sleep(50);
  }
}

/** Whether something accepts connections on this local port. */
export const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), done(true)));
    s.once('error', () => done(false));
  });

/** Waits until the process, still running, answers GET /healthz on `base` with 200. */
export const healthy = (proc: ChildProcess, base: string, stderr: () => string, ms?: number) =>
  until(
    '/healthz to answer',
    () =>
      proc.exitCode === null &&
      fetch(`${base}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      ),
    stderr,
    ms,
  );
