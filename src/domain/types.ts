import type { InferSelectModel } from 'drizzle-orm';
import type * as s from '../../db/schema.js';

export type Tenant = InferSelectModel<typeof s.tenants>;
export type Member = InferSelectModel<typeof s.members>;
export type Account = InferSelectModel<typeof s.accounts>;
export type Contact = InferSelectModel<typeof s.contacts>;
export type Touchpoint = InferSelectModel<typeof s.touchpoints>;
export type Complaint = InferSelectModel<typeof s.complaints>;
export type Promise_ = InferSelectModel<typeof s.promises>;
export type ChurnSignal = InferSelectModel<typeof s.churnSignals>;
