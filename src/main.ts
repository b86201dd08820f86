// `npm start`: validate the environment, open the database, and serve the
// platform whose credentials are present, or the shell when there are none.
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { closeDb, openDb, type Db } from '../db/index.js';
import { ROLES, tenants, type Role } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { runShell, ShellConsole } from './chat/shell/shell.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import type { ChatPort } from './chat/port.js';
import { ShellPort } from './chat/shell/port.js';
import { deliverDue, releaseStale } from './scheduler/outbox.js';
import { fromUrl, hasRedisServer, RedisInUseError, startOwnRedis, type RedisHandle } from './scheduler/redis.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { Logger } from 'pino';
import { loadDemo } from './demo.js';
import { Engine } from './engine/engine.js';
import { createLogger } from './log.js';

function fail(message: string): never {
  process.stderr.write(`steward: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: { demo: { type: 'boolean', default: false }, user: { type: 'string' }, role: { type: 'string' } },
    strict: true,
  });
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const role = args.role ?? config.STEWARD_SHELL_ROLE;
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) fail(`--role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);

  // At a terminal the shell's conversation is the point: its routine JSON log lines (Redis started, schedules on) would
  // only interleave with it, so they show when asked for with LOG_LEVEL; warnings and errors always do.
  const chatty = config.mode === 'shell' && Boolean(process.stdin.isTTY) && !config.logLevelGiven;
  const logger = createLogger(chatty ? 'warn' : config.LOG_LEVEL);
  if (config.mode !== 'shell') return serveChat(config, logger);

  const file = args.demo ? config.STEWARD_DEMO_DB : config.STEWARD_DB;
  const db = openDb(file);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  const user = args.user ?? config.STEWARD_SHELL_USER ?? userInfo().username;
  if (args.demo) {
    try {
      if (await loadDemo(engine, db, user)) process.stderr.write(`steward: loaded the demo book into ${file}\n`);
    } catch (e) {
      closeDb(db);
      fail(`could not load the demo book into ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  logger.debug({ db: file, mode: config.mode }, 'started');

  const interactive = Boolean(process.stdin.isTTY);
  const terminal = new ShellConsole(process.stdout);
  const port = new ShellPort(terminal);
  // Piped input runs the commands and exits; the clock (nudges, escalations, digests) runs in the interactive shell.
  const clock = interactive ? await startClock(config, db, port, dirname(file), logger) : undefined;
  if (!interactive && !config.REDIS_URL && !hasRedisServer()) process.stderr.write(`steward: ${SCHEDULES_OFF}\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await clock?.scheduler.close();
    await clock?.redis.stop();
    closeDb(db);
  };
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));
  try {
    await runShell({
      engine,
      user,
      role: role as Role | undefined,
      input: process.stdin,
      output: process.stdout,
      interactive,
      historyFile: join(dirname(file), 'shell_history'),
      console: terminal,
      afterCommand: async () => {
        await deliverDue(db, port, new Date(), logger);
        await clock?.scheduler.kick();
      },
    });
  } finally {
    await shutdown();
  }
}

/** A chat platform's adapter, as main needs it: where to deliver, and its lifecycle. */
interface ChatAdapter {
  port: ChatPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Slack or Lark mode: the adapter for the platform whose credentials are set,
 * the scheduler delivering through it. Each adapter is loaded only here, so the
 * shell starts without either SDK.
 */
async function serveChat(config: Config, logger: Logger): Promise<void> {
  const redis = await redisFor(config, dirname(config.STEWARD_DB), logger).catch((e: unknown) => (e instanceof RedisInUseError ? fail(e.message) : Promise.reject(e)));
  if (!redis) fail(NO_REDIS(config.mode));
  const db = openDb(config.STEWARD_DB);
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  let scheduler: Scheduler | undefined;
  const afterCommand = async () => scheduler?.kick();
  // GET /readyz: the database read, Redis answering, no workspace's delivery paused.
  const ready = async () => {
    const problems: string[] = [];
    try {
      db.select({ id: tenants.id }).from(tenants).limit(1).all();
    } catch (e) {
      problems.push(`database: ${e instanceof Error ? e.message : String(e)}`);
    }
    return [...problems, ...(scheduler ? await scheduler.notReady() : ['the schedules are starting'])];
  };
  const adapter: ChatAdapter =
    config.mode === 'slack'
      ? (await import('./chat/slack/app.js')).createSlackApp({ config, engine, logger, afterCommand, ready, commandThread: true })
      : (await import('./chat/lark/app.js')).createLarkApp({ config, engine, logger, afterCommand, ready });
  releaseStale(db);
  scheduler = new Scheduler({ db, port: adapter.port, redis: redis.options, logger });
  // Listen first: commands and /healthz answer while the clock rebuilds its timers and queues the backlog.
  await adapter.start();
  await scheduler.start();
  // A stray rejection inside an SDK (a reconnect, a timer) is logged, not the end of the bot.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  // Stop taking requests first, then let the workers finish what they hold, then close. A second
  // signal (Ctrl-C reaches both the process group and tsx's relay) does not cut that short.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return logger.info({ signal }, 'already shutting down');
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await adapter.stop().catch((err: unknown) => logger.warn({ err }, `stopping the ${config.mode} adapter`));
    // The queues and Redis get a bounded time: a Redis that went away with the signal must not hold the exit.
    await bounded(scheduler?.close(), 'closing the schedules', logger);
    await bounded(redis.stop(), 'stopping redis-server', logger);
    closeDb(db);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** How long shutdown waits for the queues and Redis once every command is done. */
const CLOSE_MS = 5_000;

/** Waits for `work`, at most CLOSE_MS; a failure or a timeout is logged and shutdown goes on. */
async function bounded(work: Promise<unknown> | undefined, what: string, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_MS)));
  try {
    if ((await Promise.race([work, late])) === 'late') logger.warn({ ms: CLOSE_MS }, `${what} took too long; exiting anyway`);
  } catch (err) {
    logger.warn({ err }, what);
  } finally {
    clearTimeout(timer);
  }
}

const SCHEDULES_OFF = 'automatic schedules are off until Redis is available (set REDIS_URL, or install redis-server); commands, /digest and /steward run work as usual.';
const NO_REDIS = (mode: string) => `${mode === 'slack' ? 'Slack' : 'Lark'} mode needs Redis for its schedules: set REDIS_URL, or install redis-server (e.g. apt-get install redis-server).`;

async function redisFor(config: Config, dataDir: string, logger: Logger): Promise<RedisHandle | undefined> {
  if (config.REDIS_URL) return fromUrl(config.REDIS_URL);
  // Our redis-server dying over and over is the end of the clock: exit loudly, for the service manager to restart us.
  if (hasRedisServer()) return startOwnRedis(join(dataDir, 'redis'), logger, (why) => fail(why));
  return undefined;
}

/** Redis from REDIS_URL, or our own redis-server; without either, the shell runs with schedules off. */
async function startClock(config: Config, db: Db, port: ShellPort, dataDir: string, logger: Logger): Promise<{ scheduler: Scheduler; redis: RedisHandle } | undefined> {
  let redis: RedisHandle | undefined;
  try {
    redis = await redisFor(config, dataDir, logger);
  } catch (e) {
    if (!(e instanceof RedisInUseError)) throw e;
    process.stderr.write(`steward: ${e.message}; ${SCHEDULES_OFF}\n`);
    return undefined;
  }
  if (!redis) {
    process.stderr.write(`steward: ${SCHEDULES_OFF}\n`);
    return undefined;
  }
  releaseStale(db);
  const scheduler = new Scheduler({ db, port, redis: redis.options, logger });
  await scheduler.start();
  logger.info({ redis: redis.where }, 'schedules on');
  return { scheduler, redis };
}

main().catch((e: unknown) => {
  process.stderr.write(`steward: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
