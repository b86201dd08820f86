// The container (Dockerfile, .dockerignore, compose.yaml), checked where no Docker daemon runs (this machine, CI):
// compose.yaml parsed with `yaml` and held to what Steward needs (Redis's append-only file and noeviction, the book on
// a named volume, the environment accepted by src/config.ts; `docker compose config` too when the plugin is there);
// the Dockerfile read instruction by instruction (two stages on one base, non-root, tini, HEALTHCHECK on /readyz, the
// CMD that `npm run start:prod` runs). Then the runtime stage played out of Docker: `npm run build` (scripts/build.ts)
// into an app folder laid out as the image's /app (package.json, dist/, and node_modules holding only the production
// packages of package-lock.json, as `npm prune --omit=dev` leaves them), started with the Dockerfile's CMD, ENV and
// the compose file's environment, on a redis-server started with the compose file's own flags and the fake Slack in
// test/fake-slack.ts; the Dockerfile's HEALTHCHECK command run against it, the README's backup command run beside it.
// `docker build` runs only when a daemon answers. test/build.test.ts covers the build itself; this is what a container adds.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { build } from '../scripts/build.js';
import { loadConfig } from '../src/config.js';
import { FakeSlack, sendToApp, slashCommand } from './fake-slack.js';
import { freePort } from './kit.js';
import { listening, running, until } from './processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'container-test-signing-secret';
/** Bounds on waits, only so that a hang fails instead of blocking. */
const WAIT_MS = 60_000;

// ---- compose.yaml ----------------------------------------------------------------------------------------------

interface Service {
  build?: string;
  image?: string;
  profiles?: string[];
  restart?: string;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
}
const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` with nothing set (what `docker compose up` sees without those names). */
const interpolate = (value: string, env: Record<string, string> = {}) =>
  value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, name: string, fallback?: string) => env[name] || (fallback ?? ''));
const environment = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

/** The named volume mounted at `target` in a service, if any. */
const volumeAt = (s: Service, target: string) =>
  (s.volumes ?? []).map((v) => v.split(':')).find(([source, at]) => at === target && source !== undefined && !source.startsWith('.') && !source.startsWith('/'))?.[0];

// ---- Dockerfile ------------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}
/** The Dockerfile's instructions, continuation lines joined, comments and the parser directive left out, by stage. */
function stages(text: string): { args: Record<string, string>; stages: { from: string; name?: string; instructions: Instruction[] }[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const args: Record<string, string> = {};
  const out: { from: string; name?: string; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (keyword === 'FROM') {
      const [image, as, name] = rest.split(/\s+/);
      out.push({ from: image!.replace(/\$\{(\w+)\}/g, (_, a: string) => args[a] ?? ''), name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (keyword === 'ARG' && out.length === 0) {
      const [k, v] = rest.split('=');
      args[k!] = v ?? '';
    } else {
      out.at(-1)?.instructions.push({ keyword, args: rest });
    }
  }
  return { args, stages: out };
}
const dockerfile = stages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.stages.at(-1)!;
const buildStage = dockerfile.stages[0]!;
const all = (stage: typeof runtime, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (stage: typeof runtime, keyword: string) => all(stage, keyword).at(-1);
/** An exec-form (JSON array) instruction's argv; a shell form fails the test (it puts /bin/sh in front). */
const execForm = (args: string) => JSON.parse(args) as string[];
const runtimeEnv = Object.fromEntries(
  all(runtime, 'ENV').flatMap((i) =>
    i.args
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  ),
);
const healthcheckArgv = () => execForm(last(runtime, 'HEALTHCHECK')!.args.replace(/^.*?\bCMD\s+/, ''));
const cmd = () => execForm(last(runtime, 'CMD')!.args);
const workdir = () => last(runtime, 'WORKDIR')!.args;

// ---- .dockerignore ---------------------------------------------------------------------------------------------

/** Whether Docker sends `path` (relative, as COPY names it) in the build context: the last matching pattern decides. */
function inContext(path: string): boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const clean = path.replace(/\/$/, '');
  let sent = true;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, '');
    // `**/x` matches x in any folder; `*` any top-level name; otherwise the path or a folder holding it.
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
    if (re.test(clean)) sent = negated;
  }
  return sent;
}

describe('compose.yaml', () => {
  it('runs Steward, Redis and, under profiles, a worker and PostgreSQL', () => {
    expect(Object.keys(services).sort()).toEqual(['postgres', 'redis', 'steward', 'steward-worker']);
    expect(services.steward!.profiles).toBeUndefined();
    expect(services.redis!.profiles).toBeUndefined();
    expect(services.postgres!.profiles).toEqual(['postgres']);
    expect(services['steward-worker']!.profiles).toEqual(['worker']);
    for (const name of ['steward', 'steward-worker']) {
      expect(services[name]!.build, name).toBe('.');
      expect(services[name]!.image, name).toBe(services.steward!.image);
      expect(services[name]!.restart, name).toBe('unless-stopped');
    }
  });

  it("keeps Redis's data: append-only file on, no eviction (a lost key is a lost job), on a volume, not published", () => {
    const redis = services.redis!;
    const argv = redis.command!;
    expect(argv[0]).toBe('redis-server');
    const flag = (name: string) => argv[argv.indexOf(name) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    expect(volumeAt(redis, '/data')).toBeDefined();
    expect(compose.volumes).toHaveProperty(volumeAt(redis, '/data')!);
    expect(redis.ports).toBeUndefined();
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('keeps the book on a named volume where STEWARD_DB points, and Steward waits for a healthy Redis', () => {
    const steward = services.steward!;
    const env = environment(steward);
    const volume = volumeAt(steward, posix.dirname(env.STEWARD_DB!));
    expect(volume, `a named volume at ${posix.dirname(env.STEWARD_DB!)}`).toBeDefined();
    expect(compose.volumes).toHaveProperty(volume!);
    expect(volumeAt(services['steward-worker']!, posix.dirname(environment(services['steward-worker']!).STEWARD_DB!))).toBe(volume);
    // The Dockerfile makes that folder, owned by the user it runs as, and declares it a volume.
    expect(all(runtime, 'VOLUME').flatMap((v) => execForm(v.args))).toContain(posix.dirname(env.STEWARD_DB!));
    expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    expect(steward.depends_on?.redis).toEqual({ condition: 'service_healthy' });
    // PostgreSQL is waited for only when its profile runs it.
    expect(steward.depends_on?.postgres).toEqual({ condition: 'service_healthy', required: false });
    expect(env).toHaveProperty('DATABASE_URL', '');
    expect(services.postgres!.ports).toBeUndefined();
    expect(volumeAt(services.postgres!, '/var/lib/postgresql/data')).toBeDefined();
  });

  it('publishes the port Steward listens on (loopback only), which the image health-checks', () => {
    const steward = services.steward!;
    const port = environment(steward).PORT;
    expect(port).toBe(runtimeEnv.PORT);
    expect(steward.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    // The image's HEALTHCHECK applies; the worker, which opens no port, has it disabled.
    expect(steward.healthcheck).toBeUndefined();
    expect(services['steward-worker']!.healthcheck).toEqual({ disable: true });
    expect(services['steward-worker']!.ports).toBeUndefined();
  });

  it("gives an environment src/config.ts accepts, for each Steward service, once .env holds a platform's credentials", () => {
    const credentials = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    expect(services.steward!.env_file).toBe('.env');
    const web = loadConfig({ ...runtimeEnv, ...credentials, ...environment(services.steward!) });
    expect([web.mode, web.STEWARD_ROLE, web.STEWARD_DB, web.REDIS_URL]).toEqual(['slack', 'all', '/data/steward.db', 'redis://redis:6379']);
    const worker = loadConfig({ ...runtimeEnv, ...credentials, ...environment(services['steward-worker']!) });
    expect(worker.STEWARD_ROLE).toBe('worker');
    // The worker starts once the first Steward is healthy: that start has applied the migrations to the shared book.
    expect(services['steward-worker']!.depends_on?.steward).toEqual({ condition: 'service_healthy' });
  });

  it('is valid for docker compose (docker compose config), where the plugin is installed', (ctx) => {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (version.status !== 0)
      return ctx.skip(`no docker compose plugin here (${(version.stderr || version.error?.message || '').trim().split('\n')[0]}); compose.yaml checked with yaml above`);
    const dir = mkdtempSync(join(tmpdir(), 'steward-compose-'));
    try {
      writeFileSync(join(dir, 'compose.yaml'), readFileSync(join(ROOT, 'compose.yaml')));
      writeFileSync(join(dir, '.env'), readFileSync(join(ROOT, '.env.example')));
      for (const profile of ['', 'worker', 'postgres']) {
        const r = spawnSync('docker', ['compose', ...(profile ? ['--profile', profile] : []), 'config', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
        expect(r.status, r.stderr).toBe(0);
        const model = JSON.parse(r.stdout) as { services: Record<string, unknown> };
        expect(Object.keys(model.services)).toContain('steward');
        if (profile) expect(Object.keys(model.services)).toContain(profile === 'worker' ? 'steward-worker' : 'postgres');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs in another, both on the same glibc image (better-sqlite3 is native)', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(new Set(dockerfile.stages.map((s) => s.from)).size).toBe(1);
    expect(runtime.from).toMatch(/^node:20-bookworm(-slim)?$/);
    const runs = all(buildStage, 'RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build\b/);
    expect(runs).toMatch(/npm prune --omit=dev\b/);
    const copied = all(runtime, 'COPY').map((c) => c.args);
    for (const what of ['package.json', 'node_modules/', 'dist/'])
      expect(
        copied.some((c) => c.startsWith(`--from=build /app/${what}`)),
        what,
      ).toBe(true);
    expect(all(runtime, 'RUN').some((r) => /npm (ci|install)/.test(r.args))).toBe(false);
  });

  it('sends the build stage what it copies, and no secret, book or installed module', () => {
    const sources = all(buildStage, 'COPY').flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(inContext(source), `${source} in the build context`).toBe(true);
      expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
    for (const kept of [
      '.env',
      'data/steward.db',
      'db/x.db-wal',
      'node_modules/zod/package.json',
      'dist/src/main.js',
      '.git/HEAD',
      'test/e2e.test.ts',
      'bench/run.ts',
      'src/node_modules/x',
    ]) {
      expect(inContext(kept), `${kept} out of the build context`).toBe(false);
    }
  });

  it('runs as an unprivileged user, under tini, the command npm run start:prod runs, health-checked on /readyz', () => {
    const user = last(runtime, 'USER')!.args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // Nothing after USER runs as root again.
    const order = runtime.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('USER')).toBeGreaterThan(order.lastIndexOf('RUN'));
    expect(execForm(last(runtime, 'ENTRYPOINT')!.args)).toEqual(['/usr/bin/tini', '--']);
    expect(all(runtime, 'RUN').some((r) => /apt-get install .*\btini\b/.test(r.args))).toBe(true);
    // The digest's trend picture draws its numbers in DejaVu Sans: without a font they vanish from the PNG.
    expect(all(runtime, 'RUN').some((r) => /apt-get install .*\bfonts-dejavu-core\b/.test(r.args))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(cmd()).toEqual(pkg.scripts['start:prod']!.split(' ').slice(1));
    expect(cmd()).toContain('dist/src/main.js');
    expect(workdir()).toBe('/app');
    expect(last(runtime, 'HEALTHCHECK')!.args).toMatch(/--start-period=\d+s/);
    expect(healthcheckArgv()[0]).toBe('node');
    expect(healthcheckArgv().join(' ')).toContain('/readyz');
    expect(runtimeEnv.STEWARD_DB).toBe(environment(services.steward!).STEWARD_DB);
  });
});

// ---- the runtime stage, played out of Docker -------------------------------------------------------------------

/** Hard-links `from` into `to`, file by file, leaving out its nested node_modules (package-lock.json lists those apart). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const src = join(from, entry.name);
    if (entry.isDirectory()) linkTree(src, join(to, entry.name));
    else if (entry.isFile()) linkSync(src, join(to, entry.name));
    else if (entry.isSymbolicLink() && statSync(src).isFile()) linkSync(src, join(to, entry.name));
  }
}

/** node_modules as `npm prune --omit=dev` leaves it: package-lock.json's packages that are not dev-only, installed here. */
function productionModules(app: string): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const kept: string[] = [];
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || meta.dev) continue;
    // An optional package for another platform (esbuild's, say) is listed but not installed.
    if (!existsSync(join(ROOT, path))) continue;
    linkTree(join(ROOT, path), join(app, path));
    kept.push(path);
  }
  return kept;
}

let dir: string;
let app: string;
let data: string;
let fake: FakeSlack;
let redisPort: number;
let redisServer: ChildProcess | undefined;
const children: ChildProcess[] = [];

/** What the container's environment would be: the image's ENV, then compose's environment, then .env's credentials; host paths and ports for the container's. */
function containerEnv(service: string, port: number): NodeJS.ProcessEnv {
  const env = { ...runtimeEnv, ...environment(services[service]!) };
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...env,
    // The volume's mount point is this test's data folder; compose's redis host is the redis-server below.
    STEWARD_DB: env.STEWARD_DB!.replace(/^\/data\//, `${data}/`),
    REDIS_URL: env.REDIS_URL!.replace('//redis:6379', `//127.0.0.1:${redisPort}`),
    PORT: String(port),
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: 'info',
  };
}

function start(service: string, port: number): { proc: ChildProcess; stderr: () => string; exited: Promise<[number | null, NodeJS.Signals | null]>; up: () => boolean } {
  const [node, ...args] = cmd();
  expect(node).toBe('node');
  const proc = spawn(process.execPath, args, { cwd: app, env: containerEnv(service, port), stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  // A start that failed ends the wait at once, with its line.
  const up = () => {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${service} exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
    return true;
  };
  return { proc, stderr: () => stderr, exited: once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>, up };
}

/** The Dockerfile's HEALTHCHECK command, run as Docker runs it in the container: its exit code. */
const healthcheck = (port: number) =>
  spawnSync(process.execPath, healthcheckArgv().slice(1), { cwd: app, env: { PATH: process.env.PATH, ...runtimeEnv, PORT: String(port) }, timeout: 20_000 }).status;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-container-'));
  app = join(dir, 'app');
  data = join(dir, 'data');
  mkdirSync(data);
  // Nothing above the app folder may lend it a module the image would not have.
  for (let up = dirname(app); up !== dirname(up); up = dirname(up)) expect(existsSync(join(up, 'node_modules')), up).toBe(false);
  build(join(app, 'dist'));
  writeFileSync(join(app, 'package.json'), readFileSync(join(ROOT, 'package.json')));
  productionModules(app);
  fake = new FakeSlack().addUser({ id: 'U1', name: 'alice', real_name: 'Alice Wong', tz: 'Asia/Shanghai', locale: 'en-US' });
  await fake.start();
  // Redis with compose's own command line (a flag redis-server does not know would stop it), on a port of ours.
  redisPort = await freePort();
  const [server, ...flags] = services.redis!.command!;
  redisServer = spawn(server!, [...flags, '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'], { stdio: 'ignore' });
  await until(
    'the test redis-server',
    () => listening(redisPort),
    () => '',
    WAIT_MS,
  );
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.pid && running(c.pid)) c.kill('SIGKILL');
  redisServer?.kill('SIGKILL');
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the image's runtime stage, out of Docker: production modules only, compose's environment", () => {
  it('leaves out the dev dependencies, as npm prune --omit=dev does', () => {
    for (const dev of ['typescript', 'vitest', 'drizzle-kit', 'yaml']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    for (const prod of ['better-sqlite3', 'bullmq', '@slack/bolt', 'pino']) expect(existsSync(join(app, 'node_modules', prod)), prod).toBe(true);
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { type: string };
    expect(pkg.type).toBe('module');
  });

  it('serves Slack, is healthy by the HEALTHCHECK command once ready, backs up while running, and exits 0 on SIGTERM', { timeout: 4 * WAIT_MS }, async () => {
    const port = await freePort();
    expect(healthcheck(port), 'nothing listening yet').toBe(1);
    const { proc, stderr, exited, up } = start('steward', port);
    try {
      await until('the HEALTHCHECK command to pass', () => up() && healthcheck(port) === 0, stderr, WAIT_MS);
      const base = `http://127.0.0.1:${port}`;
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      const responseUrl = fake.responseUrl();
      const res = await sendToApp(`${base}/slack/events`, slashCommand({ user: 'U1', command: '/account', text: 'add Acme tier:strategic', responseUrl }), { secret: SECRET });
      expect(((await fake.slashAnswer(res, responseUrl, WAIT_MS)) as { text: string }).text, stderr()).toMatch(/^✔/);

      // The README's backup command in the container: the compiled CLI, with the container's environment.
      const backupFile = join(data, 'backups', 'steward.db');
      mkdirSync(dirname(backupFile));
      const backup = spawnSync(process.execPath, ['dist/src/io/cli.js', 'backup', backupFile], {
        cwd: app,
        env: containerEnv('steward', port),
        encoding: 'utf8',
        timeout: WAIT_MS,
      });
      expect(backup.status, backup.stderr).toBe(0);
      expect(backup.stdout).toMatch(/integrity ok/);
      const copy = new Database(backupFile, { readonly: true });
      try {
        expect(copy.prepare("select count(*) as n from accounts where name = 'Acme'").get()).toEqual({ n: 1 });
      } finally {
        copy.close();
      }

      proc.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }, stderr()).toEqual({ code: 0, signal: null });
      // bullmq warns when Redis may evict its keys; compose's Redis does not.
      expect(stderr()).not.toMatch(/[Ee]viction policy/);
      expect(stderr()).not.toMatch(/"level":(50|60)/);
      expect(healthcheck(port), 'stopped').toBe(1);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });

  it('runs the worker (STEWARD_ROLE=worker) with no port, so the HEALTHCHECK command cannot pass there (compose disables it)', { timeout: 3 * WAIT_MS }, async () => {
    const port = await freePort();
    const { proc, stderr, exited, up } = start('steward-worker', port);
    try {
      await until('the worker to start', () => up() && stderr().includes('no chat listener'), stderr, WAIT_MS);
      expect(await listening(port)).toBe(false);
      expect(healthcheck(port)).toBe(1);
      proc.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }, stderr()).toEqual({ code: 0, signal: null });
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });
});

describe('docker build', () => {
  it('builds the image, which runs as node and opens a SQLite database with its better-sqlite3 binary', { timeout: 20 * 60_000 }, (ctx) => {
    const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
    if (info.status !== 0) {
      return ctx.skip(
        `no Docker daemon answers here (docker info: ${(info.stderr || info.error?.message || '').trim().split('\n')[0]}); the Dockerfile is checked statically and its runtime stage played out above`,
      );
    }
    const tag = `steward-container-test:${process.pid}`;
    try {
      execFileSync('docker', ['build', '-t', tag, '.'], { cwd: ROOT, stdio: 'inherit', timeout: 18 * 60_000 });
      const [image] = JSON.parse(execFileSync('docker', ['image', 'inspect', tag], { encoding: 'utf8' })) as {
        Config: { User: string; Healthcheck: { Test: string[] }; Cmd: string[] };
      }[];
      expect(image!.Config.User).toBe('node');
      expect(image!.Config.Healthcheck.Test.join(' ')).toContain('/readyz');
      expect(image!.Config.Cmd).toEqual(cmd());
      const probe = execFileSync(
        'docker',
        [
          'run',
          '--rm',
          '--entrypoint',
          'node',
          tag,
          '-e',
          "const D = require('better-sqlite3'); console.log(process.getuid(), new D(':memory:').prepare('select 1 as one').get().one)",
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(probe.trim()).toBe('1000 1');
    } finally {
      spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    }
  });
});
