// Where the queues live: REDIS_URL when given, otherwise a redis-server child
// process of our own (data and append-only file under the data folder, a Unix
// socket so it never competes for a port), restarted if it dies, stopped with
// Steward, and never shared with another Steward on the same folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisHandle {
  /** Options for new connections (bullmq opens its own). */
  options: RedisOptions;
  /** Where it is, for logs: the URL or the socket path. */
  where: string;
  /** Whether we started the server ourselves. */
  own: boolean;
  stop(): Promise<void>;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Options bullmq needs on every connection it makes. */
const BULLMQ: RedisOptions = { maxRetriesPerRequest: null };

export function fromUrl(url: string): RedisHandle {
  const u = new URL(url);
  return {
    options: {
      ...BULLMQ,
      host: u.hostname,
      port: Number(u.port || 6379),
      username: u.username || undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
      tls: u.protocol === 'rediss:' ? {} : undefined,
    },
    where: `${u.protocol}//${u.host}${u.pathname}`,
    own: false,
    stop: async () => {},
  };
}

async function ping(options: RedisOptions): Promise<boolean> {
  const client = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** How long start-up waits for a connection to REDIS_URL before giving up on it. */
const CONNECT_CHECK_MS = 5_000;

/**
 * Whether Redis at `options` can be reached, checked once at start-up: undefined
 * when it can, else why not (refused, no such host, no connection within
 * CONNECT_CHECK_MS, or a refusal of its credentials). A server that accepts the
 * connection but does not answer yet (still loading its append-only file, or
 * stalled) counts as reachable: Steward serves meanwhile and its queues wait.
 */
export async function unreachable(options: RedisOptions, ms = CONNECT_CHECK_MS): Promise<string | undefined> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: ms,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  let failure: string | undefined;
  client.on('error', (e: Error & { code?: string }) => (failure ??= e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message));
  let timer: NodeJS.Timeout | undefined;
  try {
    const connected = await new Promise<boolean>((resolve) => {
      client.once('connect', () => resolve(true));
      client.once('end', () => resolve(false));
      timer = setTimeout(() => resolve(false), ms + 1_000);
      client.connect().catch(() => {});
    });
    if (!connected) return failure ?? `no connection within ${ms / 1000} s`;
    // Connected: only an answer refusing us (a wrong password, a user it does not know) fails the start.
    const answer = await Promise.race([
      client.ping().then(
        () => undefined,
        (e: Error) => e,
      ),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref()),
    ]);
    if (answer && /^(NOAUTH|WRONGPASS|NOPERM|ERR AUTH|ERR invalid password|ERR Client sent AUTH)/i.test(answer.message)) return answer.message;
    return undefined;
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Another live Steward runs its redis-server on this data folder. */
export class RedisInUseError extends Error {
  override name = 'RedisInUseError';
}

/** Whether a process with this id is alive (EPERM: alive, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the owner file, if there is one. */
function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data folder's redis-server for this process: creates the owner file
 * (exclusively, so two starting at once cannot both take it). A live owner is
 * another Steward: refused. A dead one crashed and may have left its server
 * running: that orphan is shut down (its append-only file keeps the data) so the
 * server we depend on is our own child, which we watch and restart.
 */
async function takeFolder(owner: string, options: RedisOptions, socket: string, logger?: Logger): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(owner, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 2) throw e;
      const pid = ownerOf(owner);
      if (pid !== undefined && alive(pid)) {
        throw new RedisInUseError(
          `another Steward (pid ${pid}) is running on this data folder (${dirname(owner)}); stop it first, or give this one a STEWARD_DB in another folder or a REDIS_URL`,
        );
      }
      rmSync(owner, { force: true });
    }
  }
  if (existsSync(socket) && (await ping(options))) {
    logger?.warn({ socket }, 'a redis-server left running by a Steward that crashed: shutting it down to start our own');
    const c = new Redis({ ...options, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    await c.shutdown().catch(() => {}); // the connection closes as it goes
    c.disconnect();
    for (let i = 0; i < 100 && (await ping(options)); i++) await new Promise((r) => setTimeout(r, 50));
  }
}

/** How often our redis-server may die within RESTART_WINDOW_MS before Steward gives up on it. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * Starts `redis-server` with its data under `dir`, as a child of this process
 * that only this process uses, and resolves once it answers PING. If it dies, it
 * is started again (the append-only file keeps what it held; bullmq reconnects);
 * if it keeps dying, `onGiveUp` hears why (Steward exits with that line).
 * A second Steward on the same folder is refused (RedisInUseError).
 */
export async function startOwnRedis(dir: string, logger?: Logger, onGiveUp?: (why: string) => void): Promise<RedisHandle> {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const socket = join(folder, 'redis.sock');
  const owner = join(folder, 'steward.pid');
  const options: RedisOptions = { ...BULLMQ, path: socket };
  await takeFolder(owner, options, socket, logger);
  let stopping = false;
  /** Restarts only once it first answered: a server that cannot start at all is reported below. */
  let started = false;
  let child: ChildProcess;
  let exited = false;
  const deaths: number[] = [];
  const spawnServer = () => {
    rmSync(socket, { force: true });
    exited = false;
    child = spawn(
      'redis-server',
      ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', folder, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--loglevel', 'warning'],
      // Its own process group: a Ctrl-C in the terminal reaches Steward, which drains its queues before it stops this.
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    child.once('exit', (code, signal) => {
      exited = true;
      if (stopping || !started) return;
      const now = Date.now();
      deaths.push(now);
      while (deaths[0]! < now - RESTART_WINDOW_MS) deaths.shift();
      const why = `our redis-server (pid ${child.pid}) exited (${signal ?? `code ${code}`})`;
      if (deaths.length > MAX_RESTARTS) {
        stopping = true;
        rmSync(owner, { force: true });
        const line = `${why}, ${deaths.length} times within a minute; giving up on it`;
        logger?.fatal({ socket }, line);
        onGiveUp?.(line);
        return;
      }
      logger?.error({ socket }, `${why}; starting it again`);
      setTimeout(spawnServer, 200 * deaths.length);
    });
  };
  spawnServer();
  for (let i = 0; i < 100 && !exited; i++) {
    if (await ping(options)) {
      started = true;
      logger?.info({ socket, pid: child!.pid }, 'started our own redis-server (append-only file on)');
      return {
        options,
        where: socket,
        own: true,
        stop: () =>
          new Promise<void>((done) => {
            stopping = true;
            rmSync(owner, { force: true });
            if (exited) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  stopping = true;
  child!.kill('SIGKILL');
  rmSync(owner, { force: true });
  throw new Error(`redis-server did not start (socket ${socket})`);
}
