import type { InferSelectModel } from 'drizzle-orm';
import type * as s from '../../db/schema.js';

export type Tenant = InferSelectModel<typeof s.tenants>;
export type Member = InferSelectModel<typeof s.members>;
/** An account as the rules read it; `nextCheckAt` is the sweep's own bookkeeping (src/domain/sweep.ts). */
export type Account = Omit<InferSelectModel<typeof s.accounts>, 'nextCheckAt'>;
export type Contact = InferSelectModel<typeof s.contacts>;
export type Touchpoint = InferSelectModel<typeof s.touchpoints>;
export type Complaint = InferSelectModel<typeof s.complaints>;
export type Promise_ = InferSelectModel<typeof s.promises>;
export type ChurnSignal = InferSelectModel<typeof s.churnSignals>;
