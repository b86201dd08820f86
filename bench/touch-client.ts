// The command side of bench/schedule.ts's latency figures, on a worker thread of its own (so the
// sweep on the main thread cannot delay when a command is asked for): Steward's engine thread as
// production starts it (EngineThread with src/engine-thread.ts and the Slack finisher, its own SQLite
// connection), and a paced stream of real `/touch` commands sent to it, each from one of the account's
// owner. Open loop: a command is asked for on schedule whether or not the one before has answered,
// and timed from that moment to its answer (rendered Block Kit), as a rep on Slack would wait.
//
// Messages: main -> here { type: 'go' } starts a stream, { type: 'stop' } ends it and answers with
// { type: 'times', times, starts, failed } (starts as epoch ms, for matching against the sweep's
// write transactions); { type: 'close' } closes the engine thread. Here -> main: { type: 'ready' }.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { CommandPayload } from '../src/chat/slack/respond.js';
import { EngineThread } from '../src/engine/thread.js';

interface Data {
  file: string;
  workspace: string;
  accounts: number;
  everyMs: number;
  timezone: string;
}

const data = workerData as Data;
const port = parentPort!;
const logger = pino({ level: 'warn' });
const thread = await EngineThread.start<CommandPayload>({
  db: data.file,
  defaults: { locale: 'en', timezone: data.timezone },
  finisher: new URL('../src/chat/slack/respond.ts', import.meta.url),
  entry: new URL('../src/engine-thread.ts', import.meta.url),
  logger,
});

let n = 0;
let running = false;
/** Each stream's own timer chain: one left over from the stream before ends at its next tick. */
let generation = 0;
let times: number[] = [];
let starts: number[] = [];
let failed = 0;
const inFlight = new Set<Promise<void>>();

/** One /touch by the account's owner (bench/lib.ts seedBook: rep r owns accounts 100r+1..100r+100). */
function touch(intended: number): void {
  const i = (n++ * 7919) % data.accounts;
  const text = `/touch "Account ${String(i + 1).padStart(6, '0')}" call Checked on the shipment`;
  const user = `rep${Math.floor(i / 100)}`;
  const work = thread
    .run({ incoming: { platform: 'shell', workspaceId: data.workspace, user: { platformUserId: user, name: user }, text }, mentions: {} })
    .then(
      (done) => {
        if (!done.ok) failed++;
      },
      () => void failed++,
    )
    .then(() => {
      times.push(performance.now() - intended);
      starts.push(performance.timeOrigin + intended);
      inFlight.delete(work);
    });
  inFlight.add(work);
}

function loop(): void {
  const mine = ++generation;
  let next = performance.now();
  const tick = () => {
    if (!running || generation !== mine) return;
    // Every command due by now is asked for, even if this timer fired late.
    while (next <= performance.now()) {
      touch(next);
      next += data.everyMs;
    }
    setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
}

async function receive(m: { type: 'go' | 'stop' | 'close' }): Promise<void> {
  if (m.type === 'go') {
    times = [];
    starts = [];
    failed = 0;
    running = true;
    loop();
  } else if (m.type === 'stop') {
    running = false;
    await Promise.all([...inFlight]);
    port.postMessage({ type: 'times', times, starts, failed });
  } else {
    await thread.close();
    port.postMessage({ type: 'closed' });
  }
}

port.on('message', (m: { type: 'go' | 'stop' | 'close' }) => void receive(m));
port.postMessage({ type: 'ready' });
