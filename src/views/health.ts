// Health's cards: what an account's owner and their manager read when its health is news.
import { reasonText, type HealthNews } from '../domain/health.js';
import type { View } from '../domain/view.js';
import { list, reply, text, type Reply } from '../engine/reply.js';

/**
 * What an account's owner and their manager read when its health is news (healthNews): the band or
 * the fall, every reason, and the next step. (The sweep decides when; this words it for each reader.)
 */
export function healthNewsReply(v: View, account: string, news: HealthNews): Reply {
  const title = news.kind === 'entered' ? v.t.health.news.entered(account, v.t.health.bands[news.band], news.score) : v.t.health.news.falling(account, news.drop, news.score);
  const out = reply(
    news.band === 'at-risk' ? 'warning' : 'info',
    title,
    list(
      news.reasons.map((r) => reasonText(v, r)),
      { heading: v.t.health.reasonsHeading, empty: v.t.common.none },
    ),
  );
  if (news.step) out.sections.push(text(v.t.health.news.step(v.t.health.nextStep[news.step])));
  return out;
}
