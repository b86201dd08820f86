// `npm start`: validate the environment, open the database, and serve the
// platform whose credentials are present, or the shell when there are none.
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { closeDatabase, databaseAt, openDatabase, type DatabaseAt, type Db } from '../db/index.js';
import { ROLES, tenants, type Role } from '../db/schema.js';
import { commands } from '../handlers/index.js';
import { runShell, ShellConsole } from './chat/shell/shell.js';
import { ConfigError, loadConfig, loadDotEnv, retentionOf, type Config } from './config.js';
import type { ChatPort } from './chat/port.js';
import { ShellPort } from './chat/shell/port.js';
import { deliverDue, releaseStale } from './scheduler/outbox.js';
import { fromUrl, hasRedisServer, RedisInUseError, startOwnRedis, unreachable, type RedisHandle } from './scheduler/redis.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { Logger } from 'pino';
import { loadDemo } from './demo.js';
import { Engine } from './engine/engine.js';
import { slackInstallationRecords } from './domain/installations.js';
import { createLogger } from './log.js';
import { listenMetrics, Metrics, metricsServing } from './metrics.js';

function fail(message: string): never {
  process.stderr.write(`steward: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: { demo: { type: 'boolean', default: false }, user: { type: 'string' }, role: { type: 'string' } },
    strict: true,
  });
  let config: Config;
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
  // The demo book is always a SQLite file of its own; the real one is on PostgreSQL when DATABASE_URL says so.
  const db = await open(args.demo ? { file } : databaseAt(config));
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger });
  // A large handover a crash or a stop left half done is finished first, a batch at a time.
  await engine.finish();
  const user = args.user ?? config.STEWARD_SHELL_USER ?? userInfo().username;
  if (args.demo) {
    try {
      if (await loadDemo(engine, db, user)) process.stderr.write(`steward: loaded the demo book into ${file}\n`);
    } catch (e) {
      await closeDatabase(db);
      fail(`could not load the demo book into ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  logger.debug({ db: config.DATABASE_URL && !args.demo ? 'postgres' : file, mode: config.mode }, 'started');

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
    await closeDatabase(db);
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
  /** Checks the credentials; with `listen` false (a worker instance) opens no port and no connection for events. */
  start(opts?: { listen?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Slack or Lark mode: the adapter for the platform whose credentials are set,
 * the scheduler delivering through it. Each adapter is loaded only here, so the
 * shell starts without either SDK.
 */
async function serveChat(config: Config, logger: Logger): Promise<void> {
  const redis = (await redisFor(config, dirname(config.STEWARD_DB), logger).catch((e: unknown) => fail(startupLine(e, config)))) ?? fail(NO_REDIS(config.mode));
  const db = await open(databaseAt(config));
  let scheduler: Scheduler | undefined;
  // GET /metrics on a port of its own, only when METRICS_PORT or METRICS_TOKEN is set (src/metrics.ts).
  const serving = metricsServing(config);
  const metrics = serving && new Metrics({ db, scheduler: () => scheduler });
  let stopMetrics: (() => Promise<void>) | undefined;
  const engine = new Engine({ db, commands, defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE }, logger, ...(metrics ? { metrics } : {}) });
  // A large handover a crash or a stop left half done is finished first, a batch at a time.
  await engine.finish();
  const afterCommand = async () => scheduler?.kick();
  // GET /readyz: the database read, Redis answering, no workspace's delivery paused.
  const ready = async () => {
    const problems: string[] = [];
    try {
      await db.select({ id: tenants.id }).from(tenants).limit(1).all();
    } catch (e) {
      problems.push(`database: ${e instanceof Error ? e.message : String(e)}`);
    }
    return [...problems, ...(scheduler ? await scheduler.notReady() : ['the schedules are starting'])];
  };
  // A stray rejection inside an SDK (a reconnect, a timer) is logged, not the end of the bot. An
  // SDK may leave a refused call unhandled while starting; start() asks auth.test itself and says what to fix.
  let starting = true;
  process.on('unhandledRejection', (err: { code?: unknown } | undefined) => {
    if (starting && typeof err?.code === 'string' && err.code.startsWith('slack_webapi_')) return logger.debug({ err }, 'Slack refused a call while starting');
    logger.error({ err }, 'unhandled rejection');
  });
  // A stop asked for while starting (the adapter listens, and answers, before the schedules are up)
  // is held until the start is done, then shuts down as any other: never the signal's default exit.
  let asked: string | undefined;
  let shutdown: ((signal: string) => Promise<void>) | undefined;
  const onSignal = (signal: string) => void (shutdown ? shutdown(signal) : (asked ??= signal));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  let adapter: ChatAdapter | undefined;
  try {
    // Lark's SDK only logs a refused app secret or id and carries on: asked here, before the port opens.
    if (config.mode === 'lark') await (await import('./chat/lark/credentials.js')).checkLarkCredentials(config);
    adapter =
      config.mode === 'slack'
        ? (await import('./chat/slack/app.js')).createSlackApp({
            config,
            engine,
            logger,
            afterCommand,
            ready,
            // With SLACK_CLIENT_ID: the OAuth installations, in the database every instance shares.
            installations: slackInstallationRecords(db),
            commandThread: new URL(`./engine-thread.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
          })
        : (await import('./chat/lark/app.js')).createLarkApp({ config, engine, logger, afterCommand, ready, redis: redis.options });
    await releaseStale(db);
    // STEWARD_ROLE: web runs no queue workers (its commands queue what they decided, for a worker to
    // deliver); worker listens to no chat, but keeps the platform's API client to deliver with.
    const role = config.STEWARD_ROLE;
    scheduler = new Scheduler({ db, port: adapter.port, redis: redis.options, logger, workers: role !== 'web', retention: retentionOf(config), ...(metrics ? { metrics } : {}) });
    if (metrics && serving) stopMetrics = await listenMetrics(metrics, serving, logger);
    // Listen first: commands and /healthz answer while the clock rebuilds its timers and queues the backlog.
    await adapter.start({ listen: role !== 'worker' });
    await scheduler.start();
    logger.info(
      { role, mode: config.mode },
      role === 'all'
        ? 'serving chat and running the schedules'
        : role === 'web'
          ? 'serving chat; a worker instance delivers'
          : 'running the schedules and delivery; no chat listener',
    );
  } catch (e) {
    // A start that failed leaves nothing running: not the port, not the queues, not our redis-server.
    await bounded(
      adapter?.stop().catch(() => {}),
      `stopping the ${config.mode} adapter`,
      logger,
    );
    await bounded(scheduler?.close(), 'closing the schedules', logger);
    await bounded(redis.stop(), 'stopping redis-server', logger);
    await stopMetrics?.();
    await bounded(closeDatabase(db), 'closing the database', logger);
    fail(startupLine(e, config));
  }
  const started = adapter;
  starting = false;
  // Stop taking requests first, then let the workers finish what they hold, then close. A second
  // signal (Ctrl-C reaches both the process group and npm's relay) does not cut that short.
  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) return logger.info({ signal }, 'already shutting down');
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await started.stop().catch((err: unknown) => logger.warn({ err }, `stopping the ${config.mode} adapter`));
    // The queues and Redis get a bounded time: a Redis that went away with the signal must not hold the exit.
    await bounded(scheduler?.close(), 'closing the schedules', logger);
    await bounded(redis.stop(), 'stopping redis-server', logger);
    await stopMetrics?.();
    await bounded(closeDatabase(db), 'closing the database', logger);
    process.exit(0);
  };
  if (asked) void shutdown(asked);
}

/** Opens the book; a PostgreSQL that cannot be reached (or refuses the migrations) is one line naming DATABASE_URL. */
async function open(at: DatabaseAt): Promise<Db> {
  try {
    return await openDatabase(at);
  } catch (e) {
    if (!('url' in at)) throw e;
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return fail(`DATABASE_URL: could not open the PostgreSQL database (${why}); check DATABASE_URL, or unset it for the SQLite file STEWARD_DB`);
  }
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
const NO_REDIS = (mode: string) =>
  `${mode === 'slack' ? 'Slack' : 'Lark'} mode needs Redis for its schedules: set REDIS_URL, or install redis-server (e.g. apt-get install redis-server).`;

/** What Slack's auth.test answers for a token that will never work: the variable to fix is the token. */
const TOKEN_REFUSED = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'no_permission',
  'team_access_not_granted',
  'ekm_access_denied',
  'missing_scope',
  'not_allowed_token_type',
]);

/**
 * Why the start failed, as one line naming the variable to fix: a ConfigError
 * (and Redis's refusals) say so already; Slack refusing the token and a Web API
 * that cannot be reached are translated here; anything else is its message.
 */
function startupLine(e: unknown, config: Config): string {
  if (e instanceof ConfigError || e instanceof RedisInUseError) return e.message;
  const err = (e ?? {}) as {
    code?: string;
    message?: string;
    data?: { error?: string };
    statusCode?: number;
    original?: { message?: string; code?: string; cause?: { code?: string; message?: string } };
  };
  if (config.mode === 'slack' && err.code === 'slack_webapi_platform_error') {
    const code = err.data?.error ?? 'an error';
    return TOKEN_REFUSED.has(code)
      ? `SLACK_BOT_TOKEN: Slack refused the bot token (${code}); copy the Bot User OAuth Token again from the app's OAuth & Permissions page, or reinstall the app`
      : `SLACK_BOT_TOKEN: Slack's auth.test answered ${code} for the bot token; check SLACK_BOT_TOKEN`;
  }
  if (config.mode === 'slack' && (err.code === 'slack_webapi_request_error' || err.code === 'slack_webapi_http_error')) {
    const where = config.SLACK_API_URL ?? 'https://slack.com/api/';
    const why = err.statusCode
      ? `HTTP ${err.statusCode}`
      : (err.original?.cause?.code ?? err.original?.code ?? err.original?.cause?.message ?? err.original?.message ?? err.message);
    return `SLACK_API_URL: could not reach the Slack Web API at ${where} (${why}); check SLACK_API_URL${config.SLACK_API_URL ? '' : ' (unset: slack.com)'} and the network`;
  }
  if (err.code === 'EADDRINUSE' || err.code === 'EACCES') return `PORT: could not listen on port ${config.PORT} (${err.code}); give another PORT, or stop what holds it`;
  const message = e instanceof Error ? e.message : String(e);
  return `could not start: ${message.split('\n')[0]}`;
}

async function redisFor(config: Config, dataDir: string, logger: Logger): Promise<RedisHandle | undefined> {
  if (config.REDIS_URL) {
    // Checked once, bounded: otherwise the queues retry an unreachable Redis for ever, logging each try.
    const handle = fromUrl(config.REDIS_URL);
    const why = await unreachable(handle.options);
    if (why) throw new ConfigError(`REDIS_URL: could not reach Redis at ${handle.where} (${why}); check REDIS_URL, or unset it for Steward to start its own redis-server`);
    return handle;
  }
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
    if (e instanceof ConfigError) fail(e.message);
    if (!(e instanceof RedisInUseError)) throw e;
    process.stderr.write(`steward: ${e.message}; ${SCHEDULES_OFF}\n`);
    return undefined;
  }
  if (!redis) {
    process.stderr.write(`steward: ${SCHEDULES_OFF}\n`);
    return undefined;
  }
  await releaseStale(db);
  const scheduler = new Scheduler({ db, port, redis: redis.options, logger, retention: retentionOf(config) });
  await scheduler.start();
  logger.info({ redis: redis.where }, 'schedules on');
  return { scheduler, redis };
}

main().catch((e: unknown) => {
  process.stderr.write(`steward: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
