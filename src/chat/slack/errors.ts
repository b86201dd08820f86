// Slack's refusals as Steward's typed delivery errors: retry only what retrying can fix.
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { DeliveryError } from '../port.js';

/** `ok: false` codes that no retry will fix. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'user_not_found',
  'user_disabled',
  'account_inactive',
  'cannot_dm_bot',
  'missing_scope',
  'not_authed',
  'invalid_auth',
  'token_revoked',
  'no_permission',
  'restricted_action',
  'invalid_blocks',
  'msg_too_long',
  'msg_blocks_too_long',
]);

export function toDeliveryError(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  if (e instanceof WebAPIRateLimitedError) return new DeliveryError('rate-limited', 'Slack rate limit', e.retryAfter * 1000);
  if (e instanceof WebAPIPlatformError) {
    const code = e.data.error;
    if (code === 'ratelimited') return new DeliveryError('rate-limited', code, 1000);
    const needed = (e.data as { needed?: string }).needed;
    return new DeliveryError(PERMANENT.has(code) ? 'permanent' : 'transient', `Slack: ${code}${needed ? ` (needs ${needed})` : ''}`);
  }
  if (e instanceof WebAPIHTTPError) return new DeliveryError(e.statusCode >= 500 ? 'transient' : 'permanent', `Slack HTTP ${e.statusCode}`);
  return new DeliveryError('transient', e instanceof Error ? e.message : String(e));
}
