// Lark's refusals as Steward's typed delivery errors: retry only what retrying can fix.
//
// How they arrive through @larksuiteoapi/node-sdk: its HTTP client is axios with
// an interceptor that returns the body, so an HTTP 200 with `code != 0` resolves
// (the caller must look at `code`), and any other status rejects with an
// AxiosError whose `response` holds the status, the headers and Lark's
// `{code, msg}` body. The SDK does not retry either.
import { DeliveryError } from '../port.js';

/** The frequency limit: HTTP 429 with `x-ogw-ratelimit-reset` (seconds), body code 99991400. */
export const RATE_LIMITED = 99991400;
/** Per-chat and per-user send limits ("the chat is being sent messages too often"). */
const CHAT_LIMITS = new Set([230020]);
/**
 * Codes no retry will fix (others are retried a bounded number of times by the delivery queue): the bot is not in the chat or cannot reach the user,
 * the chat or message is gone, the app lacks a permission or a capability, the
 * content is refused.
 */
const PERMANENT = new Set([
  230001, // invalid request / content
  230002, // bot is not in the chat
  230006, // the bot capability is not enabled for the app
  230011, // the message was recalled
  230013, // the user is outside the app's availability
  230099, // the card content is invalid
  230110, // the message was deleted
  99991672, // the app lacks the scope the API needs
  99991679, // the user has not granted the scope
  41050, // no authority over the user (contact API)
]);

export interface LarkBody {
  code?: number;
  msg?: string;
}

function fromCode(code: number, msg: string | undefined, resetSeconds?: number): DeliveryError {
  const what = `Lark: ${code}${msg ? ` ${msg}` : ''}`;
  if (code === RATE_LIMITED) return new DeliveryError('rate-limited', what, (resetSeconds ?? 1) * 1000);
  if (CHAT_LIMITS.has(code)) return new DeliveryError('rate-limited', what, 1000);
  return new DeliveryError(PERMANENT.has(code) ? 'permanent' : 'transient', what);
}

/** Throws the typed error for a resolved body whose `code` is not 0. */
export function checkBody<T extends LarkBody>(body: T): T {
  if (body && typeof body.code === 'number' && body.code !== 0) throw fromCode(body.code, body.msg);
  return body;
}

export function toDeliveryError(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const res = (e as { response?: { status: number; headers?: Record<string, unknown>; data?: LarkBody } }).response;
  if (res && typeof res.status === 'number') {
    const reset = Number(res.headers?.['x-ogw-ratelimit-reset']);
    const seconds = Number.isFinite(reset) && reset > 0 ? reset : undefined;
    if (res.status === 429) return new DeliveryError('rate-limited', `Lark HTTP 429${res.data?.msg ? ` ${res.data.msg}` : ''}`, (seconds ?? 1) * 1000);
    if (typeof res.data?.code === 'number' && res.data.code !== 0) return fromCode(res.data.code, res.data.msg, seconds);
    return new DeliveryError(res.status >= 500 ? 'transient' : 'permanent', `Lark HTTP ${res.status}`);
  }
  // No answer at all: a timeout, a reset connection, DNS.
  return new DeliveryError('transient', e instanceof Error ? e.message : String(e));
}
