// The engine on a worker thread of its own, with its own SQLite connection
// (WAL lets it write while the main connection reads), so the event loop that
// acknowledges a platform's requests is not the one that runs commands. The
// adapter resolves who is speaking and whom they mention first (that needs its
// platform client); the thread runs the command in one immediate transaction,
// as Engine.handle does in process (commands that arrive together share one
// transaction, each in its own savepoint), and then hands each outcome to a
// "finisher" module the adapter names, which turns it into the platform's
// answer (renders Block Kit) on that thread too; the adapter sends it.
//
// The thread also records the signed requests the adapter has checked (the
// replay store, Engine.firstRequest): with the commands' connection the only
// one that writes, neither connection finds its page cache thrown away by the
// other's commits on every request, nor waits for the other's write lock.
//
// Protocol, main -> thread: { type: 'jobs', jobs: [{ id, incoming, mentions }],
// seen: [{ id, key, expiresAt, now }] } (a job or a signed request, or those
// asked for in one turn of the event loop while the thread was busy) and
// { type: 'close' }. Thread -> main: { type: 'ready' };
// { type: 'done', results: [{ id, ok, locale, deliver, answer?, error? }],
// seen: [{ id, first?, error? }] } once a group's transaction is over and the
// finisher has answered its commands (one message per group: waking the other
// thread is a large share of a small command's cost); { type: 'log', line } for
// every log line (re-logged here, so one logger sees everything). The thread posts a group's results once it has committed and
// rendered them; what could fail in between (a finisher, an answer that cannot
// be cloned) is caught and reported in the results, so a thread that stops
// holding a job has not committed it (short of a fault that takes the thread
// down without an exception).
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DatabaseAt } from '../../db/index.js';
import type { Locale } from '../../db/schema.js';
import { performance } from 'node:perf_hooks';
import type { CommandMetrics, CommandResult, Incoming, UserRef } from './engine.js';

export interface EngineThreadOptions {
  /** The SQLite file, or where the book is (db/index.ts's openDatabase): the thread opens its own connection (a pool on PostgreSQL). */
  db: string | DatabaseAt;
  defaults: { locale: Locale; timezone: string };
  /**
   * The module that turns each outcome into the adapter's answer on the thread
   * (Block Kit, say): it exports `finish(outcome: Outcome, logger): R`, whose
   * result `run()` resolves with.
   */
  finisher: URL;
  /**
   * The thread's entry module: a composition root (src/engine-thread.ts) that hands its commands to
   * serveEngineThread (thread-worker.ts). The engine names no handler; whoever starts the thread does.
   */
  entry: URL;
  logger: Logger;
  /** Large handovers on the thread: accounts per transaction (EngineOptions.handover; tests use a small book). */
  handover?: { batch?: number };
  /**
   * Counts each command, here on the main thread, from `run` to its commit: the thread's own
   * module instances are not this process's registry, so it only reports how each went.
   */
  metrics?: CommandMetrics;
}

export interface ThreadJob {
  incoming: Incoming;
  /** Every mention in the text (see mentionsInText), resolved by the adapter; one it could not resolve is left out. */
  mentions: Record<string, UserRef>;
}

/** How a command went, as soon as its transaction is over. */
export interface Committed {
  ok: boolean;
  locale: Locale;
  /** It left messages in the outbox to deliver. */
  deliver: boolean;
  /** The command it ran (Outcome.command), and how it counts (resultOf: none for a duplicate), for the metrics. */
  command?: string;
  result?: CommandResult;
}

/** The thread stopped before it had run a job: nothing of it was saved, so it may run elsewhere. */
export class EngineThreadGone extends Error {
  override name = 'EngineThreadGone';
  constructor() {
    super('the engine thread stopped before running a command');
  }
}

/** The finisher failed on a command's outcome (the finisher's error, as the thread reported it). `saved`: the command itself went through. */
export class AnswerFailed extends Error {
  override name = 'AnswerFailed';
  constructor(
    error: { name?: string; message: string; stack?: string },
    readonly saved: boolean,
  ) {
    super(`${error.name ?? 'Error'}: ${error.message}`);
    if (error.stack) this.stack = error.stack;
  }
}

interface Pending<R> {
  onCommitted: (c: Committed) => void;
  resolve: (done: Done<R>) => void;
  reject: (e: Error) => void;
}

/** A command the thread has run and answered: how it went, and the finisher's answer. */
export interface Done<R> extends Committed {
  answer: R;
}

type ToThreadJob = { id: number } & ThreadJob;
/** A signed request to record in the replay store (Engine.firstRequest). */
type ToThreadSeen = { id: number; key: string; expiresAt: Date; now: Date };
type ThreadError = { name?: string; message: string; stack?: string };

type FromThread =
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'done'; results: ({ id: number; answer?: unknown; error?: ThreadError } & Committed)[]; seen: { id: number; first?: boolean; error?: ThreadError }[] };

/**
 * How to start `entry` on a worker, in whichever form (TypeScript or JavaScript)
 * it is. Node 20 does not apply tsx's loader (given with --import) to a
 * worker's entry, so TypeScript is loaded through a small bootstrap that
 * registers tsx in the worker first.
 */
function workerEntry(entry: URL): { entry: string | URL; evaluate: boolean } {
  if (!entry.pathname.endsWith('.ts')) return { entry, evaluate: false };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  return { entry: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, evaluate: true };
}

export class EngineThread<R = unknown> {
  private readonly pending = new Map<number, Pending<R>>();
  /** Signed requests posted to the thread to record, by id. */
  private readonly pendingSeen = new Map<number, { resolve: (first: boolean) => void; reject: (e: Error) => void }>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private seq = 0;
  /** Jobs posted to the thread whose results have not come back. */
  private atThread = 0;
  /** Jobs and signed requests asked for while the thread is busy, posted together once this turn of the event loop has read everything that arrived (see send). */
  private outbox: { jobs: ToThreadJob[]; seen: ToThreadSeen[] } = { jobs: [], seen: [] };
  private gone = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    private readonly metrics?: CommandMetrics,
  ) {
    worker.on('message', (m: FromThread) => this.receive(m));
    worker.on('error', (err) => this.logger.error({ err }, 'the engine thread failed'));
    worker.once('exit', (code) => {
      this.gone = true;
      if (!this.closing) this.logger.error({ code, pending: this.pending.size }, 'the engine thread exited; commands run on the main thread from now on');
      for (const p of this.pending.values()) p.reject(new EngineThreadGone());
      this.pending.clear();
      for (const p of this.pendingSeen.values()) p.reject(new EngineThreadGone());
      this.pendingSeen.clear();
    });
  }

  /** Starts the thread and resolves once it has opened the database and loaded the commands and the finisher. */
  static async start<R>(opts: EngineThreadOptions): Promise<EngineThread<R>> {
    const { entry, evaluate } = workerEntry(opts.entry);
    const worker = new Worker(entry, {
      eval: evaluate,
      workerData: { db: opts.db, defaults: opts.defaults, finisher: opts.finisher.href, logLevel: opts.logger.level, handover: opts.handover },
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromThread) => {
        if (m.type !== 'ready') return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number) => reject(new Error(`the engine thread exited (code ${code}) before it was ready`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
    const thread = new EngineThread<R>(worker, opts.logger, opts.metrics);
    await ready;
    return thread;
  }

  /** False once the thread has stopped (or is stopping): run commands in process instead. */
  get alive(): boolean {
    return !this.gone && !this.closing;
  }

  /**
   * Runs a command on the thread. `onCommitted` is called once its
   * transaction is over (even if the finisher then failed); the promise
   * resolves with the finisher's answer, and rejects with AnswerFailed, or with
   * EngineThreadGone.
   */
  run(job: ThreadJob, onCommitted: (c: Committed) => void = () => {}): Promise<Done<R>> {
    if (this.gone) return Promise.reject(new EngineThreadGone());
    const id = ++this.seq;
    const started = performance.now();
    const counted = (c: Committed) => {
      if (c.result) this.metrics?.command(c.command, c.result, (performance.now() - started) / 1000);
      onCommitted(c);
    };
    const work = new Promise<Done<R>>((resolve, reject) => {
      this.pending.set(id, { onCommitted: this.metrics ? counted : onCommitted, resolve, reject });
      this.send({ jobs: [{ id, ...job }], seen: [] });
    });
    return this.track(work);
  }

  /**
   * Engine.firstRequest on the thread's connection: records a signed request
   * in the replay store, in a transaction of the thread's next group; resolves
   * false for a replay, rejects with EngineThreadGone if the thread stopped
   * before recording it (nothing was recorded), or with the thread's error.
   */
  firstRequest(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    if (this.gone) return Promise.reject(new EngineThreadGone());
    const id = ++this.seq;
    const work = new Promise<boolean>((resolve, reject) => {
      this.pendingSeen.set(id, { resolve, reject });
      this.send({ jobs: [], seen: [{ id, key, expiresAt, now }] });
    });
    return this.track(work);
  }

  /** Held until settled, so close() waits for it. */
  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const settled = () => void this.inFlight.delete(work);
    work.then(settled, settled);
    return work;
  }

  /**
   * Sends a job to the thread: at once if it is idle, so it starts while this
   * loop reads what else arrived; while it is busy (it would only take them
   * after its current group anyway), with the others asked for in this turn,
   * in one message after the poll phase, so requests read together cost the
   * thread one wake-up and both sides one message, not one each.
   */
  private send(one: { jobs: ToThreadJob[]; seen: ToThreadSeen[] }): void {
    const queued = this.outbox.jobs.length + this.outbox.seen.length;
    if (this.atThread === 0 && queued === 0) {
      this.post(one);
      return;
    }
    this.outbox.jobs.push(...one.jobs);
    this.outbox.seen.push(...one.seen);
    if (queued > 0) return;
    setImmediate(() => {
      const { jobs, seen } = this.outbox;
      this.outbox = { jobs: [], seen: [] };
      if (this.post({ jobs, seen })) return;
      for (const job of jobs) this.post({ jobs: [job], seen: [] });
      for (const s of seen) this.post({ jobs: [], seen: [s] });
    });
  }

  /** Posts jobs and signed requests in one message; if they cannot be cloned, none was sent, and a lone one is rejected with the reason. */
  private post(m: { jobs: ToThreadJob[]; seen: ToThreadSeen[] }): boolean {
    try {
      this.worker.postMessage({ type: 'jobs', ...m });
      this.atThread += m.jobs.length + m.seen.length;
      return true;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (m.jobs.length + m.seen.length === 1) {
        const id = (m.jobs[0] ?? m.seen[0])!.id;
        this.pending.get(id)?.reject(err);
        this.pending.delete(id);
        this.pendingSeen.get(id)?.reject(err);
        this.pendingSeen.delete(id);
      }
      return false;
    }
  }

  /** Waits for the commands it holds, then closes the thread's connection and stops it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      if (this.gone) return;
      const exited = once(this.worker, 'exit');
      this.worker.postMessage({ type: 'close' });
      await exited;
    })();
    return this.closing;
  }

  private receive(m: FromThread): void {
    switch (m.type) {
      case 'log':
        return this.relog(m.line);
      case 'done':
        this.atThread -= m.results.length + m.seen.length;
        for (const { id, first, error } of m.seen) {
          const p = this.pendingSeen.get(id);
          if (!p) continue;
          this.pendingSeen.delete(id);
          if (error || first === undefined)
            p.reject(Object.assign(new Error(`${error?.name ?? 'Error'}: ${error?.message ?? 'no answer'}`), error?.stack ? { stack: error.stack } : {}));
          else p.resolve(first);
        }
        for (const { id, ok, locale, deliver, command, result, answer, error } of m.results) {
          const p = this.pending.get(id);
          if (!p) continue;
          this.pending.delete(id);
          const committed = { ok, locale, deliver, command, result };
          try {
            p.onCommitted(committed);
          } catch (err) {
            this.logger.error({ err }, 'after a command on the engine thread');
          }
          if (error) p.reject(new AnswerFailed(error, ok));
          else p.resolve({ ...committed, answer: answer as R });
        }
        return;
      default:
        return;
    }
  }

  /** A JSON log line from the thread, logged again through this logger at its level. */
  private relog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.logger.warn({ line }, 'unreadable log line from the engine thread');
      return;
    }
    const { level, msg, time: _time, pid: _pid, hostname: _host, ...rest } = entry;
    const label = this.logger.levels.labels[Number(level)] as 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | undefined;
    this.logger[label ?? 'info']({ ...rest, thread: 'engine' }, typeof msg === 'string' ? msg : '');
  }
}
