// A real PostgreSQL for a test suite, never a user's and never the machine's
// shared server: `TEST_DATABASE_URL` when set (a server the tester set aside
// for tests), otherwise our own server, made with initdb in a temp folder and
// listening only on a Unix socket in that folder, started for the suite and
// stopped (and the folder removed) after it. Either way each `database()` is a
// fresh database made for the caller and dropped on stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { openPg } from '../db/pg.js';

export interface TestPg {
  /** The URL or socket folder, for messages. */
  where: string;
  /** Whether this suite started the server itself. */
  own: boolean;
  /**
   * A new, empty database on the server; its connection settings (plain JSON, so a child process can take them).
   * `icuLocale`: the database's default collation is ICU's for that locale (e.g. `en-US`, as an operator's
   * database may be) rather than the server's (our own server's is C).
   */
  database(options?: { icuLocale?: string }): Promise<pg.ClientConfig>;
  /** Drops the databases made here, and stops our own server. */
  stop(): Promise<void>;
}

/** The folder of the newest installed PostgreSQL's server programs (Debian's /usr/lib/postgresql/<major>/bin), else PATH's. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', 'initdb'))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0]!, 'bin') : undefined;
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user (Node's spawn uid/gid, no wrapper process). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

let seq = 0;
const freshName = () => `steward_test_${process.pid}_${++seq}_${randomBytes(3).toString('hex')}`;

async function withClient<T>(config: pg.ClientConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitForServer(config: pg.ClientConfig, alive: () => boolean): Promise<boolean> {
  for (let i = 0; i < 400 && alive(); i++) {
    try {
      await withClient(config, (c) => c.query('SELECT 1'));
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return false;
}

/**
 * The URL with its database replaced by `name` (the path after host and port; URL cannot parse a socket URL
 * with an empty host, `postgresql://user@/db?host=/dir`). A config's `database` beside `connectionString`
 * does not do: node-postgres takes the URL's.
 */
export function withDatabase(url: string, name: string): string {
  const m = /^(postgres(?:ql)?:\/\/[^/?#]*)(?:\/[^?#]*)?(.*)$/.exec(url);
  if (!m) throw new Error(`TEST_DATABASE_URL is not a postgres:// URL`);
  return `${m[1]}/${encodeURIComponent(name)}${m[2]}`;
}

/** Makes databases on a server through `admin` (its maintenance database) and drops them on stop. */
function databases(admin: pg.ClientConfig) {
  const made: string[] = [];
  return {
    async create(options: { icuLocale?: string } = {}): Promise<pg.ClientConfig> {
      const name = freshName();
      const icu = options.icuLocale ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${options.icuLocale.replace(/[^A-Za-z0-9-]/g, '')}'` : '';
      await withClient(admin, (c) => c.query(`CREATE DATABASE "${name}"${icu}`));
      made.push(name);
      return admin.connectionString ? { connectionString: withDatabase(admin.connectionString, name) } : { ...admin, database: name };
    },
    async dropAll(): Promise<void> {
      if (!made.length) return;
      await withClient(admin, async (c) => {
        for (const name of made.splice(0)) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
  };
}

export async function startTestPg(): Promise<TestPg> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const dbs = databases({ connectionString: url });
    return { where: url.replace(/\/\/[^@/]*@/, '//…@'), own: false, database: dbs.create, stop: dbs.dropAll };
  }

  const bin = binDir();
  const exe = (name: string) => (bin ? join(bin, name) : name);
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'steward-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(data, as.uid, as.gid);
  }
  try {
    execFileSync(exe('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C', '--no-instructions'], {
      ...as,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`test initdb failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
  }
  // A port of our own names the socket file (.s.PGSQL.<port>) in our folder; no TCP at all.
  const port = 20000 + Math.floor(Math.random() * 40000);
  const child: ChildProcess = spawn(
    exe('postgres'),
    ['-D', data, '-k', dir, '-p', String(port), '-c', 'listen_addresses=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    { ...as, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  // If the suite dies without stop(), the server goes with it (its backends leave when the postmaster dies).
  const reap = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  const admin: pg.ClientConfig = { host: dir, port, user: 'postgres', database: 'postgres' };
  if (!(await waitForServer(admin, () => !exited))) {
    reap();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`test postgres did not start: ${stderr.trim() || `no answer on ${dir}`}`);
  }
  const dbs = databases(admin);
  return {
    where: dir,
    own: true,
    database: dbs.create,
    async stop() {
      await dbs.dropAll().catch(() => {});
      if (!exited) {
        await new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGINT'); // fast shutdown
        });
      }
      process.off('exit', reap);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const PG_MIGRATIONS = fileURLToPath(new URL('../db/migrations-pg', import.meta.url));

/** A fresh database on `server` with db/migrations-pg applied by drizzle's migrator, as a pool of db/pg.ts (`openPg`). */
export async function migratedPg(server: TestPg, options: { icuLocale?: string } = {}, max = 4): Promise<pg.Pool> {
  const config = await server.database(options);
  const c = new pg.Client(config);
  await c.connect();
  try {
    await migrate(drizzle(c), { migrationsFolder: PG_MIGRATIONS });
  } finally {
    await c.end();
  }
  return openPg(config, max);
}

/**
 * A database's settings as the URL `DATABASE_URL` takes: its connection string, or for our own server's Unix
 * socket the folder percent-encoded as the host (node-postgres reads `%2F…` as a socket folder).
 */
export function pgUrl(config: pg.ClientConfig): string {
  if (config.connectionString) return config.connectionString;
  return `postgresql://${config.user ?? 'postgres'}@${encodeURIComponent(String(config.host))}:${config.port}/${encodeURIComponent(String(config.database))}`;
}
