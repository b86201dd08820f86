// Idle memory of Steward in Slack HTTP mode (against the fake Slack Web API in test/fake-slack.ts, with its own
// redis-server), started under tsx (`npm start`: node --import tsx src/main.ts) and compiled (`npm run start:prod`:
// node dist/src/main.js, and as `npm run start:prod` starts it, with its V8 flags; built here into a temporary directory by scripts/build.ts). For each: the process's RSS
// (VmRSS in /proc/<pid>/status, Linux only; Steward's own process, its redis-server not counted) after start-up and
// IDLE_MS idle, then after WARM slash commands (/touch) and IDLE_MS idle again. Figures only; no thresholds.
//
// `tsx bench/memory.ts [--idle <ms>] [--warm <n>] [--flags="<node options>"]...`. Each launcher runs alone, one after the other, so the figures
// share the machine's load only in time; RSS depends little on load.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, prodArgs } from '../scripts/build.js';
import { FakeSlack, sendToApp, slashCommand } from '../test/fake-slack.js';
import { freePort } from '../test/kit.js';
import { healthy, sleep, slackProcessEnv } from '../test/processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'memory-bench-secret';
const { values } = parseArgs({
  options: { idle: { type: 'string', default: '10000' }, warm: { type: 'string', default: '300' }, flags: { type: 'string', multiple: true, default: [] } },
  strict: true,
});
const IDLE_MS = Number(values.idle);
const WARM = Number(values.warm);

const work = mkdtempSync(join(tmpdir(), 'steward-memory-'));
const out = join(work, 'build');
build(out);
// What a deployment of dist/ has around it: a package.json saying its .js files are ES modules, and node_modules.
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');

const LAUNCHERS = [
  { name: 'tsx (node --import tsx src/main.ts)', cwd: ROOT, args: ['--import', 'tsx', 'src/main.ts'] },
  { name: 'compiled (node dist/src/main.js)', cwd: out, args: ['src/main.js'] },
  { name: 'npm run start:prod (its node options)', cwd: out, args: prodArgs(out) },
  // Each --flags "<node options>" adds the compiled Steward started with them, to try V8's memory flags.
  ...values.flags.map((flags) => ({ name: `compiled, node ${flags}`, cwd: out, args: [...flags.split(' '), 'src/main.js'] })),
];

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const fake = new FakeSlack().addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' });
await fake.start();
const rows: string[] = [];
try {
  for (const [i, launcher] of LAUNCHERS.entries()) {
    const data = join(work, `run-${i}`);
    const port = await freePort();
    const proc = spawn(process.execPath, launcher.args, {
      cwd: launcher.cwd,
      env: slackProcessEnv({ secret: SECRET, apiUrl: fake.apiUrl, port, db: join(data, 'steward.db'), logLevel: 'warn' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = once(proc, 'exit');
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    try {
      await healthy(proc, base, () => stderr, 60_000);
      await sleep(IDLE_MS);
      const idle = rssMb(proc.pid!);
      const type = async (text: string) => {
        const [cmd, ...rest] = text.split(' ');
        const responseUrl = fake.responseUrl();
        const res = await sendToApp(`${base}/slack/events`, slashCommand({ user: 'U1', command: cmd!, text: rest.join(' '), responseUrl }), { secret: SECRET });
        const answer = (await fake.slashAnswer(res, responseUrl, 30_000)) as { text: string };
        if (!answer.text.startsWith('✔')) throw new Error(`${text}: ${answer.text}`);
      };
      await type('/account add Acme tier:strategic');
      for (let i = 0; i < WARM; i++) await type(`/touch Acme call warm-up ${i}`);
      await sleep(IDLE_MS);
      const warm = rssMb(proc.pid!);
      rows.push(`${launcher.name.padEnd(50)} idle ${idle.toFixed(0).padStart(4)} MB   after ${WARM} /touch + idle ${warm.toFixed(0).padStart(4)} MB`);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  }
} finally {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `Steward's RSS in Slack HTTP mode (idle ${IDLE_MS / 1000} s); node ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const row of rows) console.log(row);
