// The engine thread's side (see thread.ts): its own connection to the SQLite
// file, the same commands and defaults as the main thread's engine, and the
// adapter's finisher, which answers each outcome from here.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { closeDb, openDb } from '../../db/index.js';
import type { Locale } from '../../db/schema.js';
import { commands } from '../../handlers/index.js';
import { Engine, type Incoming, type Outcome, type UserRef } from './engine.js';

interface Data {
  db: string;
  defaults: { locale: Locale; timezone: string };
  finisher: string;
  logLevel: string;
}

interface Finisher {
  finish(out: Outcome, logger: pino.Logger): unknown;
}

type Job = { type: 'job'; id: number; incoming: Incoming; mentions: Record<string, UserRef> };

const port = parentPort!;
const data = workerData as Data;
// Every line goes to the main thread, which logs it through its own logger.
const logger = pino({ level: data.logLevel }, { write: (line: string) => port.postMessage({ type: 'log', line }) });
const db = openDb(data.db);
const engine = new Engine({ db, commands, defaults: data.defaults, logger });
const finisher = (await import(data.finisher)) as Finisher;

async function run(job: Job): Promise<void> {
  const out = await engine.handle(job.incoming, async (raw) => job.mentions[raw]);
  port.postMessage({ type: 'committed', id: job.id, ok: out.ok, locale: out.locale, notices: out.notices.length });
  try {
    port.postMessage({ type: 'done', id: job.id, answer: await finisher.finish(out, logger) });
  } catch (e) {
    const err = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { message: String(e) };
    port.postMessage({ type: 'done', id: job.id, error: err });
  }
}

port.on('message', (m: Job | { type: 'close' }) => {
  if (m.type === 'job') {
    void run(m);
    return;
  }
  if (m.type === 'close') {
    closeDb(db);
    process.exit(0);
  }
});
port.postMessage({ type: 'ready' });
