// The engine thread's side (see thread.ts): its own connection to the SQLite
// file, the same commands and defaults as the main thread's engine, and the
// adapter's finisher, which turns each outcome into its answer here. Commands
// that arrive together run as a group in one transaction (Engine.handleGroup),
// with the signed requests the adapter asked it to record (see thread.ts).
// The commands are handed in by the thread's entry (src/engine-thread.ts, a
// composition root like src/main.ts): the engine knows no handler.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { closeDatabase, openDatabase, type DatabaseAt } from '../../db/index.js';
import type { Locale } from '../../db/schema.js';
import { Engine, resultOf, type Incoming, type Outcome, type UserRef } from './engine.js';
import type { CommandSpec } from './spec.js';

interface Data {
  db: string | DatabaseAt;
  defaults: { locale: Locale; timezone: string };
  finisher: string;
  logLevel: string;
  /** EngineThreadOptions.handover. */
  handover?: { batch?: number };
}

interface Finisher {
  /** The answer to send for an outcome; it must survive structured cloning. */
  finish(out: Outcome, logger: pino.Logger): unknown;
}

type Job = { id: number; incoming: Incoming; mentions: Record<string, UserRef> };
/** A signed request to record in the replay store (Engine.firstRequest). */
type Seen = { id: number; key: string; expiresAt: Date; now: Date };

/**
 * The most commands one transaction takes: enough to share a commit among
 * everything that arrived together, few enough that a write on the main thread
 * (a button, an event) waits for little.
 */
const MAX_GROUP = 16;

/**
 * Serves this worker thread: opens the database, builds the engine with `commands`, loads the adapter's
 * finisher, then runs the jobs the main thread posts until it says close.
 */
export async function serveEngineThread(commands: readonly CommandSpec[]): Promise<void> {
  if (!parentPort) throw new Error('serveEngineThread runs on a worker thread (see EngineThread.start)');
  const port: MessagePort = parentPort;
  const data = workerData as Data;
  // Every line goes to the main thread, which logs it through its own logger.
  const logger = pino({ level: data.logLevel }, { write: (line: string) => port.postMessage({ type: 'log', line }) });
  const db = await openDatabase(typeof data.db === 'string' ? { file: data.db } : data.db);
  const engine = new Engine({ db, commands, defaults: data.defaults, logger, ...(data.handover ? { handover: data.handover } : {}) });
  const finisher = (await import(data.finisher)) as Finisher;

  const queue: Job[] = [];
  const seenQueue: Seen[] = [];
  let scheduled = false;

  /**
   * Runs the commands that have arrived, a group at a time, with the signed
   * requests to record (all of them, before the commands, in the group's
   * transaction: one commit for both), and answers them.
   */
  async function drain(): Promise<void> {
    const seen = seenQueue.splice(0);
    const jobs = queue.splice(0, MAX_GROUP);
    // Still `scheduled` until the group is answered: one group at a time (it is synchronous while the handlers are).
    const { outs, firsts } = await engine.handleGroup(jobs, seen);
    scheduled = false;
    const recorded = seen.map(({ id }, i) => (firsts ? { id, first: firsts[i]! } : { id, error: { message: 'the group of commands and signed requests could not be saved' } }));
    // One message per group, right after its commit: how each command went and its answer.
    const results = jobs.map((job, i) => answer(job.id, outs[i]!));
    try {
      port.postMessage({ type: 'done', results, seen: recorded });
    } catch (e) {
      // An answer that cannot be cloned: the commands still report how they went.
      port.postMessage({
        type: 'done',
        results: results.map(({ id, ok, locale, deliver, command, result }) => ({ id, ok, locale, deliver, command, result, error: serialized(e) })),
        seen: recorded,
      });
    }
    if (engine.takeUnfinished()) finishing();
    if (queue.length || seenQueue.length) schedule();
  }

  /** The rest of a large handover, a batch per turn of the event loop: commands that arrive meanwhile run between batches. */
  let stepping = false;
  function finishing(): void {
    if (stepping) return;
    stepping = true;
    const next = () =>
      setImmediate(() => {
        void engine.finishStep().then((more) => {
          if (more) next();
          else stepping = false;
        });
      });
    next();
  }

  function answer(id: number, out: Outcome) {
    const how = { id, ok: out.ok, locale: out.locale, deliver: Boolean(out.deliver), command: out.command, result: resultOf(out) };
    try {
      return { ...how, answer: finisher.finish(out, logger) };
    } catch (e) {
      return { ...how, error: serialized(e) };
    }
  }

  const serialized = (e: unknown) => (e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { message: String(e) });

  // After the poll phase, so every message that arrived meanwhile joins the group.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void drain());
  };

  port.on('message', (m: { type: 'jobs'; jobs: Job[]; seen: Seen[] } | { type: 'close' }) => {
    if (m.type === 'jobs') {
      queue.push(...m.jobs);
      seenQueue.push(...m.seen);
      schedule();
      return;
    }
    if (m.type === 'close') {
      void closeDatabase(db).finally(() => process.exit(0));
    }
  });
  port.postMessage({ type: 'ready' });
}
