// Where the queues live: REDIS_URL when given, otherwise a redis-server child
// process of our own (data and append-only file under the data folder, a Unix
// socket so it never competes for a port), stopped with Steward.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

/**
 * Starts `redis-server` with its data under `dir`, or reuses one a previous run
 * left on the same socket. Resolves once it answers PING.
 */
export async function startOwnRedis(dir: string, logger?: Logger): Promise<RedisHandle> {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const socket = join(folder, 'redis.sock');
  const options: RedisOptions = { ...BULLMQ, path: socket };
  if (existsSync(socket) && (await ping(options))) {
    logger?.info({ socket }, 'using the redis-server a previous run left running');
    return { options, where: socket, own: false, stop: async () => {} };
  }
  rmSync(socket, { force: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', folder, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--loglevel', 'warning'],
    // Its own process group: a Ctrl-C in the terminal reaches Steward, which drains its queues before it stops this.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 100 && !exited; i++) {
    if (await ping(options)) {
      logger?.info({ socket, pid: child.pid }, 'started our own redis-server (append-only file on)');
      return {
        options,
        where: socket,
        own: true,
        stop: () =>
          new Promise<void>((done) => {
            if (exited) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start (socket ${socket})`);
}
