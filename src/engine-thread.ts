// The engine thread's entry (EngineThread.start runs it on a worker thread): a composition root like
// src/main.ts, which hands the command registry to the engine's thread loop (src/engine/thread-worker.ts).
// Whoever starts the thread names this module (main.ts, through the Slack adapter's `commandThread`).
import { commands } from '../handlers/index.js';
import { serveEngineThread } from './engine/thread-worker.js';

await serveEngineThread(commands);
