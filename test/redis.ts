// A real Redis for a test suite, never a user's: `TEST_REDIS_URL` when set (a
// database the tester set aside for tests), otherwise our own `redis-server` on a
// Unix socket in a temp folder, started for the suite and stopped after it.
// Each test takes a fresh bullmq prefix, so nothing one test queues is seen by another.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { fromUrl } from '../src/scheduler/redis.js';

export interface TestRedis {
  /** Connection options (bullmq-ready: maxRetriesPerRequest null). Plain JSON, so a child process can take them from the environment. */
  options: RedisOptions;
  /** The URL or socket, for messages. */
  where: string;
  /** Whether this suite started the server itself. */
  own: boolean;
  /** A new client on this Redis; the helper closes it on stop(). */
  client(): Redis;
  /**
   * Loses everything Redis held under `prefix`, as a Redis restart without
   * persistence would. Only that prefix's keys: tests run concurrently on one
   * server, and TEST_REDIS_URL may be shared, so never FLUSHALL.
   */
  lose(prefix: string): Promise<void>;
  stop(): Promise<void>;
}

let seq = 0;
/** A bullmq prefix no other test (or earlier run) has used. */
export function freshPrefix(label = 't'): string {
  return `steward-test-${label}-${process.pid}-${++seq}-${randomBytes(3).toString('hex')}`;
}

async function loseKeys(c: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await c.del(...keys);
  } while (cursor !== '0');
}

async function waitForPing(options: RedisOptions, alive: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && alive(); i++) {
    const c = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    c.on('error', () => {});
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') return true;
    } catch {
      // not up yet
    } finally {
      c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

export async function startTestRedis(): Promise<TestRedis> {
  const clients: Redis[] = [];
  const client = (options: RedisOptions) => () => {
    const c = new Redis({ ...options, maxRetriesPerRequest: 3 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const closeClients = async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  };

  const url = process.env.TEST_REDIS_URL;
  if (url) {
    const h = fromUrl(url);
    const options: RedisOptions = JSON.parse(JSON.stringify(h.options));
    const make = client(options);
    return {
      options,
      where: h.where,
      own: false,
      client: make,
      lose: (prefix) => loseKeys(make(), prefix),
      stop: closeClients,
    };
  }

  const dir = mkdtempSync(join(tmpdir(), 'steward-redis-'));
  const socket = join(dir, 'redis.sock');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  // If the suite dies without stop(), the server goes with it.
  const reap = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  const options: RedisOptions = { path: socket, maxRetriesPerRequest: null };
  if (!(await waitForPing(options, () => !exited))) {
    reap();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`test redis-server did not start: ${stderr.trim() || `no answer on ${socket}`}`);
  }
  const make = client(options);
  return {
    options,
    where: socket,
    own: true,
    client: make,
    lose: (prefix) => loseKeys(make(), prefix),
    async stop() {
      await closeClients();
      if (!exited) {
        await new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        });
      }
      process.off('exit', reap);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
