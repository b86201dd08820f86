// Runs bench/touch-client.ts on a worker thread: real /touch commands through Steward's engine thread,
// paced, while the main thread does something else (the sweep), and gathers their latencies.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface Stream {
  /** Each command's wait (ms), from when it was asked for to its answer. */
  times: number[];
  /** When each was asked for (epoch ms), in the same order. */
  starts: number[];
  /** Commands that did not go through (refused, failed, or SQLITE_BUSY past the busy timeout). */
  failed: number;
}

export class TouchLoad {
  private constructor(private readonly worker: Worker) {}

  static async start(o: { file: string; workspace: string; accounts: number; everyMs: number; timezone: string }): Promise<TouchLoad> {
    // Node 20 does not apply tsx's loader to a worker's entry: register it there first (as src/engine/thread.ts does).
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
    const entry = new URL('./touch-client.ts', import.meta.url).href;
    const worker = new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, workerData: o });
    const [m] = (await once(worker, 'message')) as [{ type: string }];
    if (m.type !== 'ready') throw new Error(`touch client: ${JSON.stringify(m)}`);
    return new TouchLoad(worker);
  }

  /** Runs the stream of commands while `body` runs. */
  async during<T>(body: () => Promise<T>): Promise<{ result: T } & Stream> {
    this.worker.postMessage({ type: 'go' });
    const result = await body();
    const answer = once(this.worker, 'message') as Promise<[Stream]>;
    this.worker.postMessage({ type: 'stop' });
    const [s] = await answer;
    return { result, times: s.times, starts: s.starts, failed: s.failed };
  }

  async close(): Promise<void> {
    const closed = once(this.worker, 'message');
    this.worker.postMessage({ type: 'close' });
    await closed;
    await this.worker.terminate();
  }
}
