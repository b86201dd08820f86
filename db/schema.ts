// The whole mission's data model. Later issues add behaviour, not tables.
// Instants are UTC milliseconds (`timestamp_ms`); calendar dates a customer
// agreed to (a promise's due day, a review deadline) are ISO `YYYY-MM-DD` text
// read in the owner's time zone. Every row carries its tenant.
import { sql } from 'drizzle-orm';
import { sqliteTable, integer, text, real, index, uniqueIndex, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';

export const PLATFORMS = ['shell', 'slack', 'lark'] as const;
export const LOCALES = ['en', 'zh-CN'] as const;
export const ROLES = ['rep', 'manager', 'exec', 'admin'] as const;
/** Our side of a relationship, for coverage (立体式对接). */
export const FUNCTIONS = ['executive', 'sales', 'operations', 'finance', 'technical'] as const;
export const TIERS = ['strategic', 'key', 'standard'] as const;
export const ACCOUNT_STATUSES = ['active', 'lost'] as const;
/** Their side of a relationship. */
export const CONTACT_LEVELS = ['executive', 'decision-maker', 'manager', 'operator'] as const;
export const TOUCH_KINDS = ['visit', 'call', 'meeting', 'message', 'review'] as const;
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export const COMPLAINT_CATEGORIES = ['damage', 'delay', 'billing', 'service', 'quality', 'other'] as const;
export const COMPLAINT_STATUSES = ['open', 'resolved'] as const;
export const PROMISE_STATUSES = ['open', 'kept', 'broken'] as const;
export const SIGNAL_KINDS = ['volume-drop', 'price-pressure', 'competitor', 'decision-maker-change', 'payment-delay', 'strategy-change'] as const;
export const REVIEW_STATUSES = ['open', 'prepared', 'held'] as const;
export const LOST_REASONS = [
  'staff-turnover',
  'competitor',
  'price-market',
  'neglected-details',
  'broken-promise',
  'arrogance',
  'neglect-small-customers',
  'natural-attrition',
] as const;
export const TASK_KINDS = ['handover', 'last-conversation', 'review-prep', 'other'] as const;
export const NUDGE_STATUSES = ['pending', 'sending', 'sent', 'failed', 'skipped'] as const;

export type Platform = (typeof PLATFORMS)[number];
export type Locale = (typeof LOCALES)[number];
export type Role = (typeof ROLES)[number];
export type OurFunction = (typeof FUNCTIONS)[number];
export type Tier = (typeof TIERS)[number];
export type ContactLevel = (typeof CONTACT_LEVELS)[number];
export type TouchKind = (typeof TOUCH_KINDS)[number];
export type Severity = (typeof SEVERITIES)[number];
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];
export type SignalKind = (typeof SIGNAL_KINDS)[number];
export type LostReason = (typeof LOST_REASONS)[number];

/** Per-tenant settings kept as one JSON document; defaults live in src/domain/settings.ts. */
export interface TenantSettings {
  escalationChannel?: string;
  /** `MM-DD` in the tenant's time zone. */
  reviewSeasonStart?: string;
  reviewSeasonDeadline?: string;
  /** Hours from opening to deadline, by severity. */
  complaintDeadlineHours?: Partial<Record<Severity, number>>;
  /** Revisit cadence in days, by tier. */
  cadenceDays?: Partial<Record<Tier, number>>;
  /** `HH:MM-HH:MM`, and ISO weekdays 1 (Monday) to 7. */
  workingHours?: string;
  workingDays?: number[];
  /** ISO weekday and `HH:MM` of the weekly digest. */
  digestDay?: number;
  digestTime?: string;
}

const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

const tenantId = () =>
  integer('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });

export const tenants = sqliteTable(
  'tenants',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    /** Slack team id (or enterprise id on Grid), Lark tenant_key, `local` for the shell. */
    workspaceId: text('workspace_id').notNull(),
    name: text('name'),
    locale: text('locale', { enum: LOCALES }).notNull(),
    timezone: text('timezone').notNull(),
    settings: text('settings', { mode: 'json' }).$type<TenantSettings>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('tenants_platform_workspace').on(t.platform, t.workspaceId)],
);

export const members = sqliteTable(
  'members',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    platformUserId: text('platform_user_id').notNull(),
    name: text('name').notNull(),
    /** False while their platform has not said who they are (`name` is then their platform id): shown as someone not known to it. */
    nameKnown: integer('name_known', { mode: 'boolean' }).notNull().default(true),
    role: text('role', { enum: ROLES }).notNull().default('rep'),
    function: text('function', { enum: FUNCTIONS }).notNull().default('sales'),
    managerId: integer('manager_id').references((): AnySQLiteColumn => members.id, { onDelete: 'set null' }),
    /** Null means: use the tenant's. */
    timezone: text('timezone'),
    locale: text('locale', { enum: LOCALES }),
    /** Set by the member themselves (`/steward me`): what their platform says no longer replaces it. */
    ownTimezone: integer('own_timezone', { mode: 'boolean' }).notNull().default(false),
    ownLocale: integer('own_locale', { mode: 'boolean' }).notNull().default(false),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    leftAt: integer('left_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('members_tenant_user').on(t.tenantId, t.platformUserId),
    index('members_manager').on(t.managerId),
    // "Has this workspace an admin?" is asked on every command a non-admin types: without it, a scan of every member.
    index('members_tenant_role').on(t.tenantId, t.role),
  ],
);

export const accounts = sqliteTable(
  'accounts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    name: text('name').notNull(),
    /** Normalised name (NFKC, lower case) for case-insensitive uniqueness and matching. */
    nameKey: text('name_key').notNull(),
    aliases: text('aliases', { mode: 'json' }).$type<string[]>().notNull().default([]),
    tier: text('tier', { enum: TIERS }).notNull().default('standard'),
    ownerId: integer('owner_id').references(() => members.id, { onDelete: 'set null' }),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('active'),
    region: text('region'),
    industry: text('industry'),
    /** Our annual revenue from this customer. */
    annualRevenue: real('annual_revenue'),
    /** The customer's total yearly spend in our category; wallet share = annualRevenue / categorySpend. */
    categorySpend: real('category_spend'),
    /** Overrides the tier's revisit cadence. */
    cadenceDays: integer('cadence_days'),
    /** Set when the owner left and nobody has taken the account over yet. */
    ownerGoneAt: integer('owner_gone_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }),
    /**
     * Epoch ms: the earliest moment anything about the account (its revisit, its pairings, its
     * review item) may fall due, kept by the sweep (src/domain/sweep.ts). Every change that can
     * bring that moment earlier sets it to 0, "check at once" (the triggers of migration next_check).
     */
    nextCheckAt: integer('next_check_at').notNull().default(0),
  },
  (t) => [uniqueIndex('accounts_tenant_name').on(t.tenantId, t.nameKey), index('accounts_owner').on(t.ownerId), index('accounts_next_check').on(t.tenantId, t.nextCheckAt)],
);

/** Each alias of an account, normalised like `nameKey`, so matching by alias is an index lookup. */
export const accountAliases = sqliteTable(
  'account_aliases',
  {
    tenantId: tenantId(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
  },
  (t) => [uniqueIndex('account_aliases_tenant_key').on(t.tenantId, t.key), index('account_aliases_account').on(t.accountId)],
);

export const contacts = sqliteTable(
  'contacts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    nameKey: text('name_key').notNull(),
    title: text('title'),
    level: text('level', { enum: CONTACT_LEVELS }).notNull().default('manager'),
    /** Their function (purchasing, logistics, finance, ...), free text. */
    function: text('function'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    replacedById: integer('replaced_by_id').references((): AnySQLiteColumn => contacts.id, { onDelete: 'set null' }),
    leftAt: integer('left_at', { mode: 'timestamp_ms' }),
    notes: text('notes'),
    createdAt: createdAt(),
  },
  (t) => [index('contacts_account').on(t.accountId, t.nameKey)],
);

export const touchpoints = sqliteTable(
  'touchpoints',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    /** Our side's level at the time of the touch. */
    ourLevel: text('our_level', { enum: FUNCTIONS }).notNull(),
    contactId: integer('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: TOUCH_KINDS }).notNull(),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }).notNull(),
    note: text('note').notNull().default(''),
    sourcePlatform: text('source_platform', { enum: PLATFORMS }).notNull(),
    /** Link back to the chat message it was logged from, when there is one. */
    sourceRef: text('source_ref'),
    createdAt: createdAt(),
  },
  (t) => [index('touchpoints_account_time').on(t.accountId, t.occurredAt), index('touchpoints_member_time').on(t.memberId, t.occurredAt)],
);

/** Colleagues who joined a touchpoint (`with:@colleague`). */
export const touchpointParticipants = sqliteTable(
  'touchpoint_participants',
  {
    touchpointId: integer('touchpoint_id')
      .notNull()
      .references(() => touchpoints.id, { onDelete: 'cascade' }),
    memberId: integer('member_id')
      .notNull()
      .references(() => members.id),
    ourLevel: text('our_level', { enum: FUNCTIONS }).notNull(),
  },
  (t) => [uniqueIndex('touchpoint_participants_pk').on(t.touchpointId, t.memberId), index('touchpoint_participants_member').on(t.memberId)],
);

export const complaints = sqliteTable(
  'complaints',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    /** Per-tenant number the user types: C-<number>. */
    number: integer('number').notNull(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    category: text('category', { enum: COMPLAINT_CATEGORIES }).notNull(),
    summary: text('summary').notNull(),
    ownerId: integer('owner_id').references(() => members.id, { onDelete: 'set null' }),
    reporterId: integer('reporter_id').references(() => members.id, { onDelete: 'set null' }),
    status: text('status', { enum: COMPLAINT_STATUSES }).notNull().default('open'),
    openedAt: integer('opened_at', { mode: 'timestamp_ms' }).notNull(),
    deadlineAt: integer('deadline_at', { mode: 'timestamp_ms' }).notNull(),
    /** 0 not escalated; 1 owner; 2 manager; 3 executive. */
    escalationLevel: integer('escalation_level').notNull().default(0),
    escalatedAt: integer('escalated_at', { mode: 'timestamp_ms' }),
    threadPlatform: text('thread_platform', { enum: PLATFORMS }),
    threadChannel: text('thread_channel'),
    threadTs: text('thread_ts'),
    resolution: text('resolution'),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    resolvedById: integer('resolved_by_id').references(() => members.id, { onDelete: 'set null' }),
    /** Our side's first answer: its owner's first note, someone taking it, or its resolution, whichever came first. */
    firstAnswerAt: integer('first_answer_at', { mode: 'timestamp_ms' }),
    /** How many times it was reopened: each reopening starts its ladder again, with nudge keys of its own. */
    reopenCount: integer('reopen_count').notNull().default(0),
    reopenedAt: integer('reopened_at', { mode: 'timestamp_ms' }),
    /** Epoch ms: when its next rung may be due (src/domain/sweep.ts); 0 after any change. */
    nextCheckAt: integer('next_check_at').notNull().default(0),
  },
  (t) => [
    uniqueIndex('complaints_tenant_number').on(t.tenantId, t.number),
    index('complaints_account_status').on(t.accountId, t.status),
    index('complaints_status_deadline').on(t.status, t.deadlineAt),
  ],
);

export const COMPLAINT_EVENT_KINDS = ['note', 'pass', 'resolve', 'reopen'] as const;
export type ComplaintEventKind = (typeof COMPLAINT_EVENT_KINDS)[number];

/**
 * A complaint's life after its opening: progress notes, passes from one person to
 * another (a reassignment, a handover), resolutions and reopenings. Escalations are
 * the `nudges` of kind `escalation` on the complaint.
 */
export const complaintEvents = sqliteTable(
  'complaint_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    complaintId: integer('complaint_id')
      .notNull()
      .references(() => complaints.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: COMPLAINT_EVENT_KINDS }).notNull(),
    /** Who wrote the note, passed it on, resolved or reopened it. */
    actorId: integer('actor_id').references(() => members.id, { onDelete: 'set null' }),
    /** A pass: from whom (null: nobody had it) and to whom. */
    fromId: integer('from_id').references(() => members.id, { onDelete: 'set null' }),
    toId: integer('to_id').references(() => members.id, { onDelete: 'set null' }),
    /** The note, the resolution, or the reason for reopening. */
    text: text('text'),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('complaint_events_complaint').on(t.complaintId, t.at)],
);

export const promises = sqliteTable(
  'promises',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    /** P-<number>. */
    number: integer('number').notNull(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    ownerId: integer('owner_id').references(() => members.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    /** `YYYY-MM-DD` in the owner's time zone. */
    dueOn: text('due_on').notNull(),
    status: text('status', { enum: PROMISE_STATUSES }).notNull().default('open'),
    complaintId: integer('complaint_id').references(() => complaints.id, { onDelete: 'set null' }),
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    closedById: integer('closed_by_id').references(() => members.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    /** Epoch ms: when the sweep may next have something to say about it (src/domain/sweep.ts); 0 after any change. */
    nextCheckAt: integer('next_check_at').notNull().default(0),
  },
  (t) => [
    uniqueIndex('promises_tenant_number').on(t.tenantId, t.number),
    index('promises_account_status').on(t.accountId, t.status),
    index('promises_status_due').on(t.status, t.dueOn),
  ],
);

/**
 * A promise renegotiated openly: each move of its due date, with why and by whom. The first
 * move's `fromOn` is the date first agreed, by which "kept on time" is judged.
 */
export const promiseMoves = sqliteTable(
  'promise_moves',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    promiseId: integer('promise_id')
      .notNull()
      .references(() => promises.id, { onDelete: 'cascade' }),
    /** `YYYY-MM-DD`, as `promises.due_on`. */
    fromOn: text('from_on').notNull(),
    toOn: text('to_on').notNull(),
    reason: text('reason').notNull(),
    byId: integer('by_id').references(() => members.id, { onDelete: 'set null' }),
    movedAt: integer('moved_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('promise_moves_promise').on(t.promiseId, t.id)],
);

/** Leadership pairing (高层结对子): an executive of ours and a strategic account. */
export const pairings = sqliteTable(
  'pairings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    execId: integer('exec_id')
      .notNull()
      .references(() => members.id),
    cadenceDays: integer('cadence_days').notNull().default(90),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    endedAt: integer('ended_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('pairings_account').on(t.accountId), index('pairings_exec').on(t.execId)],
);

/** A pre-Q4 supplier-review item (R-<number>) for one account and season. */
export const reviewItems = sqliteTable(
  'review_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    number: integer('number').notNull(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    ownerId: integer('owner_id').references(() => members.id, { onDelete: 'set null' }),
    /** The year of the review season. */
    season: integer('season').notNull(),
    dueOn: text('due_on').notNull(),
    status: text('status', { enum: REVIEW_STATUSES }).notNull().default('open'),
    /** The preparation checklist: `{ key, done, tickedBy?: member id, tickedAt?: epoch ms }` per item (src/domain/review.ts). */
    checklist: text('checklist', { mode: 'json' }).$type<{ key: string; done: boolean; tickedBy?: number | null; tickedAt?: number | null }[]>().notNull().default([]),
    note: text('note'),
    preparedAt: integer('prepared_at', { mode: 'timestamp_ms' }),
    heldAt: integer('held_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('review_items_tenant_number').on(t.tenantId, t.number), uniqueIndex('review_items_account_season').on(t.accountId, t.season)],
);

export const churnSignals = sqliteTable(
  'churn_signals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: SIGNAL_KINDS }).notNull(),
    detail: text('detail').notNull().default(''),
    reporterId: integer('reporter_id').references(() => members.id, { onDelete: 'set null' }),
    /** The contact concerned, for a decision-maker change. */
    contactId: integer('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    /** `manual`, or what recorded it (e.g. `contact-left`). */
    source: text('source').notNull().default('manual'),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('churn_signals_account_time').on(t.accountId, t.occurredAt)],
);

/** Checklists that become nudges: handover meetings, a lost account's last conversation. */
export const tasks = sqliteTable(
  'tasks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    kind: text('kind', { enum: TASK_KINDS }).notNull(),
    accountId: integer('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    contactId: integer('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    ownerId: integer('owner_id').references(() => members.id, { onDelete: 'set null' }),
    /** A catalog key, so the checklist reads in the owner's language. */
    itemKey: text('item_key').notNull(),
    detail: text('detail'),
    dueOn: text('due_on'),
    doneAt: integer('done_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [index('tasks_owner_open').on(t.ownerId, t.doneAt), index('tasks_account').on(t.accountId)],
);

/** Why and when an account was lost, and whether it was won back. */
export const accountLosses = sqliteTable(
  'account_losses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    reason: text('reason', { enum: LOST_REASONS }).notNull(),
    competitor: text('competitor'),
    lesson: text('lesson').notNull().default(''),
    /** Annual revenue at the time of loss, for churn by revenue. */
    revenue: real('revenue'),
    lostAt: integer('lost_at', { mode: 'timestamp_ms' }).notNull(),
    wonBackAt: integer('won_back_at', { mode: 'timestamp_ms' }),
    recordedById: integer('recorded_by_id').references(() => members.id, { onDelete: 'set null' }),
  },
  (t) => [index('account_losses_tenant_time').on(t.tenantId, t.lostAt)],
);

/** Snoozes and "not needed" answers to a nudge. */
export const nudgeSnoozes = sqliteTable(
  'nudge_snoozes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    kind: text('kind').notNull(),
    subjectId: integer('subject_id').notNull(),
    memberId: integer('member_id').references(() => members.id, { onDelete: 'cascade' }),
    until: integer('until', { mode: 'timestamp_ms' }).notNull(),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (t) => [index('nudge_snoozes_subject').on(t.kind, t.subjectId)],
);

/**
 * Every nudge Steward decides to send. The dedupe key (kind, subject, period)
 * is written in the same transaction that decides to send, so a crash or a
 * second process can never double-send.
 */
export const nudges = sqliteTable(
  'nudges',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    dedupeKey: text('dedupe_key').notNull(),
    kind: text('kind').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: integer('subject_id').notNull(),
    recipientId: integer('recipient_id').references(() => members.id, { onDelete: 'set null' }),
    period: text('period').notNull(),
    /** A channel to post in instead of a person's DM (escalation threads). */
    channel: text('channel'),
    /** The message, composed in the recipient's language when the nudge was decided. */
    payload: text('payload', { mode: 'json' }).$type<unknown>(),
    /** Not to be delivered before this instant (the recipient's working hours). */
    notBefore: integer('not_before', { mode: 'timestamp_ms' }),
    /** Where it was posted, once it was. */
    postedChannel: text('posted_channel'),
    postedTs: text('posted_ts'),
    status: text('status', { enum: NUDGE_STATUSES }).notNull().default('pending'),
    /** When a delivery claimed it (status `sending`): a claim older than the lease was lost with its process. */
    claimedAt: integer('claimed_at', { mode: 'timestamp_ms' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    uniqueIndex('nudges_tenant_dedupe').on(t.tenantId, t.dedupeKey),
    index('nudges_status').on(t.status),
    // A subject's nudges (the complaint_card_redraw trigger's check for a card's notice, on every change of a complaint).
    index('nudges_subject').on(t.subjectType, t.subjectId, t.kind),
  ],
);

/** Inbound platform events already processed (Slack retries, Lark redelivery). */
export const inboundEvents = sqliteTable(
  'inbound_events',
  {
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    eventId: text('event_id').notNull(),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('inbound_events_pk').on(t.platform, t.eventId), index('inbound_events_time').on(t.receivedAt)],
);

/**
 * Signed requests already accepted, kept until their signature's timestamp is
 * out of the platform's window: the same signed request sent again (a replay)
 * is refused. In the database every instance shares, so a replay sent to
 * another instance is refused too.
 */
export const seenRequests = sqliteTable(
  'seen_requests',
  {
    key: text('key').primaryKey(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('seen_requests_expiry').on(t.expiresAt)],
);

/**
 * The health an account's owner and manager were last told of (or, after a recovery, the better state
 * remembered silently), and the workspace day it was last checked: the sweep looks once a day.
 */
export const healthTold = sqliteTable(
  'health_told',
  {
    accountId: integer('account_id')
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    tenantId: tenantId(),
    band: text('band').notNull(),
    score: integer('score').notNull(),
    /** `YYYY-MM-DD` in the workspace's zone. */
    checkedOn: text('checked_on').notNull(),
  },
  (t) => [index('health_told_checked').on(t.tenantId, t.checkedOn)],
);

/** Weekly health score per account, for trends. */
export const healthSnapshots = sqliteTable(
  'health_snapshots',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    tenantId: tenantId(),
    /** `YYYY-MM-DD` of the snapshot. */
    day: text('day').notNull(),
    score: integer('score').notNull(),
    band: text('band').notNull(),
  },
  (t) => [uniqueIndex('health_snapshots_pk').on(t.accountId, t.day)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    actorId: integer('actor_id').references(() => members.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: integer('entity_id'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('audit_log_tenant_time').on(t.tenantId, t.at)],
);

/**
 * A large /handover under way (src/domain/handovers.ts): the command's transaction validates, counts and
 * records it, and its accounts then move in batches, each its own transaction, until `doneAt`. A job left
 * unfinished (a crash, a restart) is finished when Steward starts again.
 */
export const handoverJobs = sqliteTable(
  'handover_jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    fromId: integer('from_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    toId: integer('to_id')
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    actorId: integer('actor_id').references(() => members.id, { onDelete: 'set null' }),
    /** The accounts in scope, by id ascending, as the command found them (JSON). */
    accountIds: text('account_ids', { mode: 'json' }).notNull().$type<number[]>(),
    /** Accounts named in the command: only what is open on them moves; otherwise everything open of @from's. */
    named: integer('named', { mode: 'boolean' }).notNull(),
    /** Whether @from's leadership pairings follow (@to is an executive or an admin), as the command found. */
    pairs: integer('pairs', { mode: 'boolean' }).notNull(),
    /** How many of `accountIds` the batches have taken (each batch re-selects what is still @from's among the next ones). */
    cursor: integer('cursor').notNull().default(0),
    /** The meet-contact tasks' due day, `YYYY-MM-DD` in the actor's zone, as the reply said. */
    dueOn: text('due_on').notNull(),
    /** The command's time: the pass events' and the moves' time. */
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    doneAt: integer('done_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('handover_jobs_open').on(t.doneAt)],
);

/**
 * Steward's Slack installations when the app is distributed (OAuth: SLACK_CLIENT_ID and friends), one
 * per tenant: `key` is the tenant's workspace id, the team id (T…) of a workspace install or the
 * enterprise id (E…) of an org-wide one. `installation` is what Bolt's installer handed over (its
 * Installation, tokens and refresh token included), read back as it was stored. A workspace that
 * uninstalls the app, or revokes its bot token, loses its row: delivery to it stops.
 */
export const slackInstallations = sqliteTable('slack_installations', {
  key: text('key').primaryKey(),
  teamId: text('team_id'),
  enterpriseId: text('enterprise_id'),
  orgWide: integer('org_wide', { mode: 'boolean' }).notNull(),
  installation: text('installation', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
  installedAt: createdAt(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});
