import { pino, type Logger } from 'pino';

/** Logs go to stderr as JSON lines, so stdout stays the shell's conversation. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'steward' } }, pino.destination(2));
}
