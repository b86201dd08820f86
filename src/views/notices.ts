// What a view hands to someone other than the reader: a Reply addressed to a member, worded in their
// language. A command's context (the engine's Ctx) collects these in its notices, delivered after it commits.
import type { Member } from '../domain/types.js';
import type { Reply } from '../engine/reply.js';

export interface Addressed {
  to: { member: Member };
  reply: Reply;
}

/** Where addressed replies go: a command's notices (Ctx.notices is one). */
export interface Tells {
  notices: { push(n: Addressed): unknown };
}
