// What Steward needs from a chat platform to reach people on its own: post to a
// channel, DM a member, reply in a thread, update a message. Slack, Lark and the
// shell each implement it; the scheduler and the outbox use only this.
import type { Platform } from '../../db/schema.js';
import type { Reply } from '../engine/reply.js';

export type Destination = { dm: { platformUserId: string; name: string } } | { channel: string };

export interface PostedRef {
  channel: string;
  ts: string;
}

export interface ChatPort {
  /**
   * The platform whose workspaces this port reaches: delivery takes only their
   * messages (a shell on a Slack deployment's database must not print and mark
   * sent what Slack users are waiting for). Unset only in tests: any workspace.
   */
  readonly platform?: Platform;
  post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef>;
  update(ref: PostedRef, reply: Reply): Promise<void>;
  /**
   * The port that reaches tenant `workspaceId` (its workspaceId column), where each workspace needs
   * credentials of its own (a Slack app installed with OAuth, a Lark store app's tenant token); unset
   * where one port reaches them all.
   */
  forWorkspace?(workspaceId: string): ChatPort;
}

/**
 * A platform's refusal, typed so that delivery retries only what retrying can fix:
 * `rate-limited` waits for `retryAfterMs`; `permanent` (unknown channel, user gone,
 * missing permission) never retries that message; `transient` backs off and tries
 * again; `workspace` (the token revoked or refused, the app disabled) says nothing
 * about the message: the whole workspace's delivery pauses and resumes later,
 * and its messages stay pending; `gone`: Steward is no longer installed there
 * (the app uninstalled, its token revoked): its messages are skipped, nothing
 * pauses, and other workspaces are delivered as ever.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    readonly kind: 'rate-limited' | 'permanent' | 'transient' | 'workspace' | 'gone',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * `GET /readyz`, for both platforms' HTTP servers: 200 `{"ready":true}`, or 503 with the reasons
 * Steward is not ready (the database cannot be read, Redis does not answer, a workspace's delivery is paused).
 */
export async function readiness(problems?: () => Promise<string[]>): Promise<{ status: number; body: string }> {
  let reasons: string[];
  try {
    reasons = (await problems?.()) ?? [];
  } catch (e) {
    reasons = [`readiness check failed: ${e instanceof Error ? e.message : String(e)}`];
  }
  return reasons.length ? { status: 503, body: JSON.stringify({ ready: false, reasons }) } : { status: 200, body: JSON.stringify({ ready: true }) };
}
