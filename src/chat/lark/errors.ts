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
 * Codes a later try may get past: Lark's own trouble. Every other code says
 * something about the request, the app's permissions or the destination
 * (230002 bot not in the chat, 230025 content too long, 230027 no permission,
 * 99992402 field validation, 99992361 open_id of another app, …) that no retry
 * changes, so it is permanent, including codes Lark adds later. HTTP 5xx and
 * no answer at all are transient whatever the code.
 */
const TRANSIENT = new Set([
  1500, // "internal error": Lark's generic server-side code, which its docs say to retry later
]);
/**
 * The app's own credentials refused (its access token still refused after a
 * fresh one was asked for, the app id or secret wrong, the app disabled): every
 * message would get the same answer until an admin fixes the app, so the
 * workspace's delivery pauses rather than failing them one by one.
 */
const WORKSPACE = new Set([
  10003, // invalid app_id
  10014, // invalid app_secret
  99991661, // missing access token
  99991663, // invalid tenant access token
  99991664, // invalid app access token
  99991671, // the token's format is invalid
]);

/** A refusal that carries Lark's code, for a caller that answers one code differently (a refused card goes as text). */
export class LarkRefusal extends DeliveryError {
  constructor(
    kind: DeliveryError['kind'],
    message: string,
    readonly code: number,
    retryAfterMs?: number,
  ) {
    super(kind, message, retryAfterMs);
  }
}

export interface LarkBody {
  code?: number;
  msg?: string;
}

function fromCode(code: number, msg: string | undefined, resetSeconds?: number): DeliveryError {
  const what = `Lark: ${code}${msg ? ` ${msg}` : ''}`;
  if (code === RATE_LIMITED) return new LarkRefusal('rate-limited', what, code, (resetSeconds ?? 1) * 1000);
  if (CHAT_LIMITS.has(code)) return new LarkRefusal('rate-limited', what, code, 1000);
  return new LarkRefusal(WORKSPACE.has(code) ? 'workspace' : TRANSIENT.has(code) ? 'transient' : 'permanent', what, code);
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
    const code = typeof res.data?.code === 'number' && res.data.code !== 0 ? res.data.code : undefined;
    // A server error is Lark's trouble, whichever code it carries.
    if (res.status >= 500 && code !== RATE_LIMITED) return new DeliveryError('transient', `Lark HTTP ${res.status}${code ? ` (${code})` : ''}`);
    if (code !== undefined) return fromCode(code, res.data?.msg, seconds);
    return new DeliveryError('permanent', `Lark HTTP ${res.status}`);
  }
  // No answer at all: a timeout, a reset connection, DNS.
  return new DeliveryError('transient', e instanceof Error ? e.message : String(e));
}
