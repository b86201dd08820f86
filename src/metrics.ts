// Prometheus metrics (prom-client): one registry per process, served at GET /metrics on a port of
// its own (METRICS_PORT, bound to METRICS_HOST: 127.0.0.1 unless told otherwise), and only when
// METRICS_PORT or METRICS_TOKEN is set; with a token, a scrape must carry `Authorization: Bearer
// <token>`. Commands are counted on the main thread, where every command's answer comes back (the
// engine thread only reports how each went: its module instances are not this registry); what the
// database holds (nudges waiting, by kind) and the queues' depths (bullmq's own export) are read
// when scraped, with cheap queries.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/index.js';
import { ConfigError } from './config.js';
import { nudges } from '../db/schema.js';
import type { CommandMetrics, CommandResult } from './engine/engine.js';
import type { DeliveryOutcome, Scheduler, SchedulerMetrics } from './scheduler/scheduler.js';

/** What the scrape reads besides the counters: the database and the clock's queues and pauses. */
export interface MetricSources {
  db: Db;
  scheduler?: () => Scheduler | undefined;
}

/** Buckets for a command's latency (seconds): most take milliseconds; the platform's deadline is 3 s. */
const COMMAND_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics implements CommandMetrics, SchedulerMetrics {
  readonly registry = new Registry();
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly latency: Histogram<'command'>;
  private readonly deliveries: Counter<'kind' | 'outcome'>;
  private readonly pauses: Counter;
  private readonly sweeps: Counter;
  private readonly sweepLast: Gauge;
  private readonly sweepDuration: Gauge;
  /** The newest nudge id counted in steward_nudges_decided_total (see decided). */
  private decidedUpTo: number | undefined;
  private readonly decided: Counter<'kind'>;
  /** The nudges' kinds seen (in the outbox at start, decided or delivered since), for the waiting gauge's zeros. */
  private readonly kinds = new Set<string>();

  constructor(private readonly sources?: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.commands = new Counter({
      name: 'steward_commands_total',
      help: 'Commands run, by command and outcome (ok, refused, error)',
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'steward_command_duration_seconds',
      help: 'Time from a command reaching Steward to its transaction being over, by command',
      labelNames: ['command'],
      buckets: COMMAND_BUCKETS,
      registers,
    });
    this.decided = new Counter({
      name: 'steward_nudges_decided_total',
      help: 'Messages Steward decided to send (outbox rows written by any instance since this one started), by kind',
      labelNames: ['kind'],
      registers,
      collect: () => this.countDecided(),
    });
    this.deliveries = new Counter({
      name: 'steward_nudge_deliveries_total',
      help: 'Delivery attempts made by this instance, by kind and outcome (sent, skipped, failed, retry, rate-limited, paused)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    const db = this.sources?.db;
    const kinds = this.kinds;
    new Gauge({
      name: 'steward_nudges_waiting',
      help: 'Messages waiting in the outbox (pending or being sent), by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        if (!db) return;
        this.reset();
        // Every kind seen shows, at 0 when none waits: a series that vanishes reads as no data, not as nothing waiting.
        for (const kind of kinds) this.set({ kind }, 0);
        for (const { kind, n } of await waitingByKind(db)) {
          kinds.add(kind);
          this.set({ kind }, n);
        }
      },
    });
    this.pauses = new Counter({
      name: 'steward_delivery_pauses_total',
      help: 'Workspaces whose delivery this instance paused (the workspace refused Steward as a whole)',
      registers,
    });
    const scheduler = this.sources?.scheduler;
    new Gauge({
      name: 'steward_delivery_paused_workspaces',
      help: 'Workspaces whose delivery is paused now in this instance',
      registers,
      collect() {
        this.set(scheduler?.()?.paused().length ?? 0);
      },
    });
    this.sweeps = new Counter({ name: 'steward_sweeps_total', help: 'Sweeps over every workspace run by this instance', registers });
    this.sweepLast = new Gauge({ name: 'steward_sweep_last_run_timestamp_seconds', help: 'When the last sweep this instance ran started (Unix time)', registers });
    this.sweepDuration = new Gauge({ name: 'steward_sweep_last_duration_seconds', help: 'How long the last sweep this instance ran took', registers });
  }

  command(name: string | undefined, result: CommandResult, seconds: number): void {
    const command = name ?? 'unknown';
    this.commands.inc({ command, outcome: result });
    this.latency.observe({ command }, seconds);
  }

  delivery(kind: string, outcome: DeliveryOutcome): void {
    this.kinds.add(kind);
    this.deliveries.inc({ kind, outcome });
  }

  sweep(at: Date, seconds: number): void {
    this.sweeps.inc();
    this.sweepLast.set(at.getTime() / 1000);
    this.sweepDuration.set(seconds);
  }

  paused(): void {
    this.pauses.inc();
  }

  /**
   * Counts the outbox rows written since the last scrape, by kind (the primary key's range: cheap
   * however large the table). Every instance sees every instance's rows (commands on a web
   * instance, on the engine thread, the clock's decisions on a worker), so the dashboard takes
   * the largest, not the sum. The first call only notes where the table stands.
   */
  private async countDecided(): Promise<void> {
    if (!this.sources) return;
    const db = this.sources.db;
    if (this.decidedUpTo === undefined) {
      this.decidedUpTo = Number(
        (
          await db
            .select({ id: sql<number>`coalesce(max(${nudges.id}), 0)` })
            .from(nudges)
            .get()
        )?.id ?? 0,
      );
      // Once, at start: the kinds the outbox has known.
      for (const { kind } of await db.selectDistinct({ kind: nudges.kind }).from(nudges).all()) this.kinds.add(kind);
      return;
    }
    const rows = await db
      .select({ kind: nudges.kind, n: sql<number>`count(*)`, top: sql<number>`max(${nudges.id})` })
      .from(nudges)
      .where(sql`${nudges.id} > ${this.decidedUpTo}`)
      .groupBy(nudges.kind)
      .all();
    for (const { kind, n, top } of rows) {
      this.kinds.add(kind);
      this.decided.inc({ kind }, Number(n));
      this.decidedUpTo = Math.max(this.decidedUpTo, Number(top));
    }
  }

  /** The whole exposition: this registry's metrics and the queues' depths. */
  async scrape(): Promise<string> {
    const own = await this.registry.metrics();
    const queues = await this.sources
      ?.scheduler?.()
      ?.prometheus()
      .catch(() => '');
    return queues ? `${own}${queues}` : own;
  }

  /** Notes where the outbox stands now, so steward_nudges_decided_total counts from this instance's start. */
  async start(): Promise<void> {
    await this.countDecided();
  }
}

/** Messages waiting in the outbox by kind (the status index: a small part of the table). */
async function waitingByKind(db: Db): Promise<{ kind: string; n: number }[]> {
  return (
    await db
      .select({ kind: nudges.kind, n: sql<number>`count(*)` })
      .from(nudges)
      .where(inArray(nudges.status, ['pending', 'sending']))
      .groupBy(nudges.kind)
      .all()
  ).map(({ kind, n }) => ({ kind, n: Number(n) }));
}

/** Where and how /metrics is served, from the config (METRICS_PORT, METRICS_HOST, METRICS_TOKEN). */
export interface MetricsServing {
  port: number;
  host: string;
  token?: string;
}

/** The port /metrics listens on when only a token is set: the one Prometheus's exporters conventionally use. */
export const DEFAULT_METRICS_PORT = 9464;

/** Whether and where to serve /metrics: undefined (nothing listens) unless METRICS_PORT or METRICS_TOKEN is set. */
export function metricsServing(config: { METRICS_PORT?: number; METRICS_HOST: string; METRICS_TOKEN?: string }): MetricsServing | undefined {
  if (config.METRICS_PORT === undefined && config.METRICS_TOKEN === undefined) return undefined;
  return { port: config.METRICS_PORT ?? DEFAULT_METRICS_PORT, host: config.METRICS_HOST, ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}) };
}

/** serveMetrics for `npm start`: a port it cannot listen on is a ConfigError naming METRICS_PORT (or METRICS_HOST). */
export async function listenMetrics(metrics: Metrics, serving: MetricsServing, logger: Logger): Promise<() => Promise<void>> {
  await metrics.start();
  try {
    return (await serveMetrics(metrics, serving, logger)).close;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new ConfigError(`METRICS_HOST: could not listen on ${serving.host} (${code}); give an address of this machine, such as 127.0.0.1`);
    throw new ConfigError(`METRICS_PORT: could not listen on port ${serving.port} (${code ?? String(e)}); give another METRICS_PORT, or stop what holds it`);
  }
}

/** Serves GET /metrics; resolves once it listens (its port, when 0 was asked for). */
export async function serveMetrics(metrics: Metrics, serving: MetricsServing, logger?: Logger): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const expected = serving.token ? Buffer.from(`Bearer ${serving.token}`) : undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="steward metrics"' }).end('unauthorized\n');
        return;
      }
    }
    metrics.scrape().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => {
        logger?.warn({ err }, 'could not collect the metrics');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect the metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(serving.port, serving.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger?.info({ host: serving.host, port, token: Boolean(serving.token) }, 'serving metrics at /metrics');
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
