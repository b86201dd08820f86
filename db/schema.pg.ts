// The same tables as db/schema.ts (SQLite) in PostgreSQL, column for column:
// same names, nullability, defaults, keys and indexes; test/schema-agreement.test.ts
// holds the two together. The value kinds and constants are db/schema.ts's own.
//
// Types, chosen so both engines hold the same values and raw SQL reads alike:
// - every SQLite integer is a 64-bit `bigint` here (SQLite's integers are 64-bit;
//   `next_check_at` and the instants are epoch ms, past int4); ids are `bigint`
//   identity columns (by default, so an import or a copy can write its own ids).
// - an instant (`timestamp_ms` in SQLite) is `bigint` epoch ms too, read as a
//   Date (`epochMs` below): not `timestamptz`, so a comparison with a number of
//   ms, a default, a trigger's `next_check_at = 0` mark and a copied row are the
//   same SQL and the same value in both engines.
// - flags are `integer` 0/1 and JSON is `text`, as SQLite stores them: the domain's
//   queries are the sqlite-core ones of db/schema.ts on both engines (db/pg.ts,
//   db/POSTGRES.md), whose parameters are 1/0 and JSON strings and whose raw SQL
//   may say `flag = 1` or `sum(flag)`, which PostgreSQL refuses on a `boolean`;
//   `jsonb` would rewrite the stored text (key order, spacing) and refuse `\u0000`.
//   So these columns are typed here by what they store (a number, a JSON text).
// - text the domain sorts or matches by prefix (name keys, alias keys, names in
//   lists) is `collate "C"`, SQLite's binary order, whatever the database's locale.
// - real is `double precision`; enums stay text with drizzle's enum check, as in SQLite.
//
// node-postgres returns int8 as a string: drizzle's `mode: 'number'` and
// `epochMs` convert; raw `sql` results must convert it themselves.
import { sql } from 'drizzle-orm';
import { pgTable, bigint, customType, doublePrecision, index, integer, text, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';
import {
  ACCOUNT_STATUSES,
  COMPLAINT_CATEGORIES,
  COMPLAINT_EVENT_KINDS,
  COMPLAINT_STATUSES,
  CONTACT_LEVELS,
  FUNCTIONS,
  LOCALES,
  LOST_REASONS,
  NUDGE_STATUSES,
  PLATFORMS,
  PROMISE_STATUSES,
  REVIEW_STATUSES,
  ROLES,
  SEVERITIES,
  SIGNAL_KINDS,
  TASK_KINDS,
  TIERS,
  TOUCH_KINDS,
} from './schema.js';

/** An instant as epoch milliseconds in a `bigint`, read and written as a Date (SQLite's `integer({ mode: 'timestamp_ms' })`). */
export const epochMs = customType<{ data: Date; driverData: string | number }>({
  dataType: () => 'bigint',
  toDriver: (value) => value.getTime(),
  fromDriver: (value) => new Date(Number(value)),
});

/** A flag as SQLite's `integer({ mode: 'boolean' })` stores it: 0 or 1. */
const flag = (name: string) => integer(name);

/** JSON as SQLite's `text({ mode: 'json' })` stores it: the JSON text itself. */
export const jsonText = customType<{ data: string; driverData: string }>({ dataType: () => 'text' });

/** Text in SQLite's binary order (byte order of UTF-8), for columns the domain sorts or prefix-matches. */
export const textC = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });

/** Now in epoch ms, SQLite's `unixepoch('subsec') * 1000`: the statement's time, to the millisecond. */
export const NOW_MS = sql`(floor(extract(epoch from statement_timestamp()) * 1000))::bigint`;

const createdAt = () => epochMs('created_at').notNull().default(NOW_MS);

const tenantId = () =>
  bigint('tenant_id', { mode: 'number' })
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });

export const tenants = pgTable(
  'tenants',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    /** Slack team id (or enterprise id on Grid), Lark tenant_key, `local` for the shell. */
    workspaceId: text('workspace_id').notNull(),
    name: text('name'),
    locale: text('locale', { enum: LOCALES }).notNull(),
    timezone: text('timezone').notNull(),
    settings: jsonText('settings').notNull().default('{}'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('tenants_platform_workspace').on(t.platform, t.workspaceId)],
);

export const members = pgTable(
  'members',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    platformUserId: text('platform_user_id').notNull(),
    name: textC('name').notNull(),
    /** False while their platform has not said who they are (`name` is then their platform id): shown as someone not known to it. */
    nameKnown: flag('name_known').notNull().default(1),
    role: text('role', { enum: ROLES }).notNull().default('rep'),
    function: text('function', { enum: FUNCTIONS }).notNull().default('sales'),
    managerId: bigint('manager_id', { mode: 'number' }).references((): AnyPgColumn => members.id, { onDelete: 'set null' }),
    /** Null means: use the tenant's. */
    timezone: text('timezone'),
    locale: text('locale', { enum: LOCALES }),
    /** Set by the member themselves (`/steward me`): what their platform says no longer replaces it. */
    ownTimezone: flag('own_timezone').notNull().default(0),
    ownLocale: flag('own_locale').notNull().default(0),
    active: flag('active').notNull().default(1),
    leftAt: epochMs('left_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('members_tenant_user').on(t.tenantId, t.platformUserId),
    index('members_manager').on(t.managerId),
    // "Has this workspace an admin?" is asked on every command a non-admin types: without it, a scan of every member.
    index('members_tenant_role').on(t.tenantId, t.role),
  ],
);

export const accounts = pgTable(
  'accounts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    /** Normalised name (NFKC, lower case) for case-insensitive uniqueness and matching. */
    nameKey: textC('name_key').notNull(),
    aliases: jsonText('aliases').notNull().default('[]'),
    tier: text('tier', { enum: TIERS }).notNull().default('standard'),
    ownerId: bigint('owner_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('active'),
    region: text('region'),
    industry: text('industry'),
    /** Our annual revenue from this customer. */
    annualRevenue: doublePrecision('annual_revenue'),
    /** The customer's total yearly spend in our category; wallet share = annualRevenue / categorySpend. */
    categorySpend: doublePrecision('category_spend'),
    /** Overrides the tier's revisit cadence. */
    cadenceDays: bigint('cadence_days', { mode: 'number' }),
    /** Set when the owner left and nobody has taken the account over yet. */
    ownerGoneAt: epochMs('owner_gone_at'),
    createdAt: createdAt(),
    updatedAt: epochMs('updated_at'),
    /**
     * Epoch ms: the earliest moment anything about the account (its revisit, its pairings, its
     * review item) may fall due, kept by the sweep (src/domain/sweep.ts). Every change that can
     * bring that moment earlier sets it to 0, "check at once" (the triggers of migration next_check).
     */
    nextCheckAt: bigint('next_check_at', { mode: 'number' }).notNull().default(0),
  },
  (t) => [uniqueIndex('accounts_tenant_name').on(t.tenantId, t.nameKey), index('accounts_owner').on(t.ownerId), index('accounts_next_check').on(t.tenantId, t.nextCheckAt)],
);

/** Each alias of an account, normalised like `nameKey`, so matching by alias is an index lookup. */
export const accountAliases = pgTable(
  'account_aliases',
  {
    tenantId: tenantId(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    key: textC('key').notNull(),
  },
  (t) => [uniqueIndex('account_aliases_tenant_key').on(t.tenantId, t.key), index('account_aliases_account').on(t.accountId)],
);

export const contacts = pgTable(
  'contacts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    name: textC('name').notNull(),
    nameKey: textC('name_key').notNull(),
    title: text('title'),
    level: text('level', { enum: CONTACT_LEVELS }).notNull().default('manager'),
    /** Their function (purchasing, logistics, finance, ...), free text. */
    function: text('function'),
    active: flag('active').notNull().default(1),
    replacedById: bigint('replaced_by_id', { mode: 'number' }).references((): AnyPgColumn => contacts.id, { onDelete: 'set null' }),
    leftAt: epochMs('left_at'),
    notes: text('notes'),
    createdAt: createdAt(),
  },
  (t) => [index('contacts_account').on(t.accountId, t.nameKey)],
);

export const touchpoints = pgTable(
  'touchpoints',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    /** Our side's level at the time of the touch. */
    ourLevel: text('our_level', { enum: FUNCTIONS }).notNull(),
    contactId: bigint('contact_id', { mode: 'number' }).references(() => contacts.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: TOUCH_KINDS }).notNull(),
    occurredAt: epochMs('occurred_at').notNull(),
    note: text('note').notNull().default(''),
    sourcePlatform: text('source_platform', { enum: PLATFORMS }).notNull(),
    /** Link back to the chat message it was logged from, when there is one. */
    sourceRef: text('source_ref'),
    createdAt: createdAt(),
  },
  (t) => [index('touchpoints_account_time').on(t.accountId, t.occurredAt), index('touchpoints_member_time').on(t.memberId, t.occurredAt)],
);

/** Colleagues who joined a touchpoint (`with:@colleague`). */
export const touchpointParticipants = pgTable(
  'touchpoint_participants',
  {
    touchpointId: bigint('touchpoint_id', { mode: 'number' })
      .notNull()
      .references(() => touchpoints.id, { onDelete: 'cascade' }),
    memberId: bigint('member_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    ourLevel: text('our_level', { enum: FUNCTIONS }).notNull(),
  },
  (t) => [uniqueIndex('touchpoint_participants_pk').on(t.touchpointId, t.memberId), index('touchpoint_participants_member').on(t.memberId)],
);

export const complaints = pgTable(
  'complaints',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    /** Per-tenant number the user types: C-<number>. */
    number: bigint('number', { mode: 'number' }).notNull(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    category: text('category', { enum: COMPLAINT_CATEGORIES }).notNull(),
    summary: text('summary').notNull(),
    ownerId: bigint('owner_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    reporterId: bigint('reporter_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    status: text('status', { enum: COMPLAINT_STATUSES }).notNull().default('open'),
    openedAt: epochMs('opened_at').notNull(),
    deadlineAt: epochMs('deadline_at').notNull(),
    /** 0 not escalated; 1 owner; 2 manager; 3 executive. */
    escalationLevel: bigint('escalation_level', { mode: 'number' }).notNull().default(0),
    escalatedAt: epochMs('escalated_at'),
    threadPlatform: text('thread_platform', { enum: PLATFORMS }),
    threadChannel: text('thread_channel'),
    threadTs: text('thread_ts'),
    resolution: text('resolution'),
    resolvedAt: epochMs('resolved_at'),
    resolvedById: bigint('resolved_by_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    /** Our side's first answer: its owner's first note, someone taking it, or its resolution, whichever came first. */
    firstAnswerAt: epochMs('first_answer_at'),
    /** How many times it was reopened: each reopening starts its ladder again, with nudge keys of its own. */
    reopenCount: bigint('reopen_count', { mode: 'number' }).notNull().default(0),
    reopenedAt: epochMs('reopened_at'),
    /** Epoch ms: when its next rung may be due (src/domain/sweep.ts); 0 after any change. */
    nextCheckAt: bigint('next_check_at', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    uniqueIndex('complaints_tenant_number').on(t.tenantId, t.number),
    index('complaints_account_status').on(t.accountId, t.status),
    index('complaints_status_deadline').on(t.status, t.deadlineAt),
  ],
);

/**
 * A complaint's life after its opening: progress notes, passes from one person to
 * another (a reassignment, a handover), resolutions and reopenings. Escalations are
 * the `nudges` of kind `escalation` on the complaint.
 */
export const complaintEvents = pgTable(
  'complaint_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    complaintId: bigint('complaint_id', { mode: 'number' })
      .notNull()
      .references(() => complaints.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: COMPLAINT_EVENT_KINDS }).notNull(),
    /** Who wrote the note, passed it on, resolved or reopened it. */
    actorId: bigint('actor_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    /** A pass: from whom (null: nobody had it) and to whom. */
    fromId: bigint('from_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    toId: bigint('to_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    /** The note, the resolution, or the reason for reopening. */
    text: text('text'),
    at: epochMs('at').notNull(),
  },
  (t) => [index('complaint_events_complaint').on(t.complaintId, t.at)],
);

export const promises = pgTable(
  'promises',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    /** P-<number>. */
    number: bigint('number', { mode: 'number' }).notNull(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    ownerId: bigint('owner_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    /** `YYYY-MM-DD` in the owner's time zone. */
    dueOn: text('due_on').notNull(),
    status: text('status', { enum: PROMISE_STATUSES }).notNull().default('open'),
    complaintId: bigint('complaint_id', { mode: 'number' }).references(() => complaints.id, { onDelete: 'set null' }),
    closedAt: epochMs('closed_at'),
    closedById: bigint('closed_by_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    /** Epoch ms: when the sweep may next have something to say about it (src/domain/sweep.ts); 0 after any change. */
    nextCheckAt: bigint('next_check_at', { mode: 'number' }).notNull().default(0),
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
export const promiseMoves = pgTable(
  'promise_moves',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    promiseId: bigint('promise_id', { mode: 'number' })
      .notNull()
      .references(() => promises.id, { onDelete: 'cascade' }),
    /** `YYYY-MM-DD`, as `promises.due_on`. */
    fromOn: text('from_on').notNull(),
    toOn: text('to_on').notNull(),
    reason: text('reason').notNull(),
    byId: bigint('by_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    movedAt: epochMs('moved_at').notNull(),
  },
  (t) => [index('promise_moves_promise').on(t.promiseId, t.id)],
);

/** Leadership pairing (高层结对子): an executive of ours and a strategic account. */
export const pairings = pgTable(
  'pairings',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    execId: bigint('exec_id', { mode: 'number' })
      .notNull()
      .references(() => members.id),
    cadenceDays: bigint('cadence_days', { mode: 'number' }).notNull().default(90),
    active: flag('active').notNull().default(1),
    createdAt: createdAt(),
    endedAt: epochMs('ended_at'),
  },
  (t) => [index('pairings_account').on(t.accountId), index('pairings_exec').on(t.execId)],
);

/** A pre-Q4 supplier-review item (R-<number>) for one account and season. */
export const reviewItems = pgTable(
  'review_items',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    number: bigint('number', { mode: 'number' }).notNull(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    ownerId: bigint('owner_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    /** The year of the review season. */
    season: bigint('season', { mode: 'number' }).notNull(),
    dueOn: text('due_on').notNull(),
    status: text('status', { enum: REVIEW_STATUSES }).notNull().default('open'),
    /** The preparation checklist: `{ key, done, tickedBy?: member id, tickedAt?: epoch ms }` per item (src/domain/review.ts). */
    checklist: jsonText('checklist').notNull().default('[]'),
    note: text('note'),
    preparedAt: epochMs('prepared_at'),
    heldAt: epochMs('held_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('review_items_tenant_number').on(t.tenantId, t.number), uniqueIndex('review_items_account_season').on(t.accountId, t.season)],
);

export const churnSignals = pgTable(
  'churn_signals',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: SIGNAL_KINDS }).notNull(),
    detail: text('detail').notNull().default(''),
    reporterId: bigint('reporter_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    /** The contact concerned, for a decision-maker change. */
    contactId: bigint('contact_id', { mode: 'number' }).references(() => contacts.id, { onDelete: 'set null' }),
    /** `manual`, or what recorded it (e.g. `contact-left`). */
    source: text('source').notNull().default('manual'),
    occurredAt: epochMs('occurred_at').notNull(),
  },
  (t) => [index('churn_signals_account_time').on(t.accountId, t.occurredAt)],
);

/** Checklists that become nudges: handover meetings, a lost account's last conversation. */
export const tasks = pgTable(
  'tasks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    kind: text('kind', { enum: TASK_KINDS }).notNull(),
    accountId: bigint('account_id', { mode: 'number' }).references(() => accounts.id, { onDelete: 'cascade' }),
    contactId: bigint('contact_id', { mode: 'number' }).references(() => contacts.id, { onDelete: 'set null' }),
    ownerId: bigint('owner_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    /** A catalog key, so the checklist reads in the owner's language. */
    itemKey: text('item_key').notNull(),
    detail: text('detail'),
    dueOn: text('due_on'),
    doneAt: epochMs('done_at'),
    createdAt: createdAt(),
  },
  (t) => [index('tasks_owner_open').on(t.ownerId, t.doneAt), index('tasks_account').on(t.accountId)],
);

/** Why and when an account was lost, and whether it was won back. */
export const accountLosses = pgTable(
  'account_losses',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    reason: text('reason', { enum: LOST_REASONS }).notNull(),
    competitor: text('competitor'),
    lesson: text('lesson').notNull().default(''),
    /** Annual revenue at the time of loss, for churn by revenue. */
    revenue: doublePrecision('revenue'),
    lostAt: epochMs('lost_at').notNull(),
    wonBackAt: epochMs('won_back_at'),
    recordedById: bigint('recorded_by_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
  },
  (t) => [index('account_losses_tenant_time').on(t.tenantId, t.lostAt)],
);

/** Snoozes and "not needed" answers to a nudge. */
export const nudgeSnoozes = pgTable(
  'nudge_snoozes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    kind: text('kind').notNull(),
    subjectId: bigint('subject_id', { mode: 'number' }).notNull(),
    memberId: bigint('member_id', { mode: 'number' }).references(() => members.id, { onDelete: 'cascade' }),
    until: epochMs('until').notNull(),
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
export const nudges = pgTable(
  'nudges',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    dedupeKey: text('dedupe_key').notNull(),
    kind: text('kind').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: bigint('subject_id', { mode: 'number' }).notNull(),
    recipientId: bigint('recipient_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    period: text('period').notNull(),
    /** A channel to post in instead of a person's DM (escalation threads). */
    channel: text('channel'),
    /** The message, composed in the recipient's language when the nudge was decided. */
    payload: jsonText('payload'),
    /** Not to be delivered before this instant (the recipient's working hours). */
    notBefore: epochMs('not_before'),
    /** Where it was posted, once it was. */
    postedChannel: text('posted_channel'),
    postedTs: text('posted_ts'),
    status: text('status', { enum: NUDGE_STATUSES }).notNull().default('pending'),
    /** When a delivery claimed it (status `sending`): a claim older than the lease was lost with its process. */
    claimedAt: epochMs('claimed_at'),
    attempts: bigint('attempts', { mode: 'number' }).notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: epochMs('sent_at'),
  },
  (t) => [
    uniqueIndex('nudges_tenant_dedupe').on(t.tenantId, t.dedupeKey),
    index('nudges_status').on(t.status),
    // A subject's nudges (the complaint_card_redraw trigger's check for a card's notice, on every change of a complaint).
    index('nudges_subject').on(t.subjectType, t.subjectId, t.kind),
  ],
);

/** Inbound platform events already processed (Slack retries, Lark redelivery). */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    platform: text('platform', { enum: PLATFORMS }).notNull(),
    eventId: text('event_id').notNull(),
    receivedAt: epochMs('received_at').notNull(),
  },
  (t) => [uniqueIndex('inbound_events_pk').on(t.platform, t.eventId), index('inbound_events_time').on(t.receivedAt)],
);

/**
 * Signed requests already accepted, kept until their signature's timestamp is
 * out of the platform's window: the same signed request sent again (a replay)
 * is refused. In the database every instance shares, so a replay sent to
 * another instance is refused too.
 */
export const seenRequests = pgTable(
  'seen_requests',
  {
    key: text('key').primaryKey(),
    expiresAt: epochMs('expires_at').notNull(),
  },
  (t) => [index('seen_requests_expiry').on(t.expiresAt)],
);

/**
 * The health an account's owner and manager were last told of (or, after a recovery, the better state
 * remembered silently), and the workspace day it was last checked: the sweep looks once a day.
 */
export const healthTold = pgTable(
  'health_told',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    tenantId: tenantId(),
    band: text('band').notNull(),
    score: bigint('score', { mode: 'number' }).notNull(),
    /** `YYYY-MM-DD` in the workspace's zone. */
    checkedOn: text('checked_on').notNull(),
  },
  (t) => [index('health_told_checked').on(t.tenantId, t.checkedOn)],
);

/** Weekly health score per account, for trends. */
export const healthSnapshots = pgTable(
  'health_snapshots',
  {
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    tenantId: tenantId(),
    /** `YYYY-MM-DD` of the snapshot. */
    day: text('day').notNull(),
    score: bigint('score', { mode: 'number' }).notNull(),
    band: text('band').notNull(),
  },
  (t) => [uniqueIndex('health_snapshots_pk').on(t.accountId, t.day)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    actorId: bigint('actor_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: bigint('entity_id', { mode: 'number' }),
    detail: jsonText('detail'),
    at: epochMs('at').notNull(),
  },
  (t) => [index('audit_log_tenant_time').on(t.tenantId, t.at)],
);

/** A batched handover's progress (db/schema.ts's handover_jobs). */
export const handoverJobs = pgTable(
  'handover_jobs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    tenantId: tenantId(),
    fromId: bigint('from_id', { mode: 'number' })
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    toId: bigint('to_id', { mode: 'number' })
      .notNull()
      .references(() => members.id, { onDelete: 'cascade' }),
    actorId: bigint('actor_id', { mode: 'number' }).references(() => members.id, { onDelete: 'set null' }),
    accountIds: jsonText('account_ids').notNull(),
    named: flag('named').notNull(),
    pairs: flag('pairs').notNull(),
    cursor: bigint('cursor', { mode: 'number' }).notNull().default(0),
    dueOn: text('due_on').notNull(),
    at: epochMs('at').notNull(),
    doneAt: epochMs('done_at'),
  },
  (t) => [index('handover_jobs_open').on(t.doneAt)],
);

/** Slack installations (db/schema.ts's slack_installations). */
export const slackInstallations = pgTable('slack_installations', {
  key: text('key').primaryKey(),
  teamId: text('team_id'),
  enterpriseId: text('enterprise_id'),
  orgWide: flag('org_wide').notNull(),
  installation: jsonText('installation').notNull(),
  installedAt: createdAt(),
  updatedAt: epochMs('updated_at').notNull(),
});
