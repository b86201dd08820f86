// Slack's refusals as Steward's typed delivery errors: retry only what retrying can fix.
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { DeliveryError } from '../port.js';

/**
 * `ok: false` codes that a later try may get past: Slack's own trouble. Every
 * other code says something about the request, the token or the destination
 * (`channel_not_found`, `token_expired`, `messages_tab_disabled`, …) that no
 * retry changes, so it is permanent, including codes Slack adds later.
 */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

/**
 * Codes about the workspace's token or the app, not this message: every other
 * message would get the same answer, and an admin's fix (reinstalling the app,
 * a new token) makes them all pass again, so delivery pauses rather than failing them.
 */
const WORKSPACE = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'team_disabled', 'ekm_access_denied']);

/** The shortest wait after a rate limit: when Slack names a shorter one (Retry-After: 0), or none. */
const MIN_RATE_WAIT_MS = 1000;

export function toDeliveryError(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  if (e instanceof WebAPIRateLimitedError) return new DeliveryError('rate-limited', 'Slack rate limit', Math.max(MIN_RATE_WAIT_MS, e.retryAfter * 1000));
  if (e instanceof WebAPIPlatformError) {
    const code = e.data.error;
    if (code === 'ratelimited') return new DeliveryError('rate-limited', code, MIN_RATE_WAIT_MS);
    if (WORKSPACE.has(code)) return new DeliveryError('workspace', `Slack: ${code}`);
    const needed = (e.data as { needed?: string }).needed;
    return new DeliveryError(TRANSIENT.has(code) ? 'transient' : 'permanent', `Slack: ${code}${needed ? ` (needs ${needed})` : ''}`);
  }
  if (e instanceof WebAPIHTTPError) return new DeliveryError(e.statusCode >= 500 ? 'transient' : 'permanent', `Slack HTTP ${e.statusCode}`);
  return new DeliveryError('transient', e instanceof Error ? e.message : String(e));
}
