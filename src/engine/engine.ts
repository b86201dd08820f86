// One command in, one Reply out: tokenize, find the command and form, resolve
// who is speaking and whom they mention, then bind and run the handler inside a
// single transaction. A user's mistake rolls everything back and answers with
// the usage; an internal failure is logged once here and answered politely.
import { and, count, eq, max, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { changes, retryable, transact, transaction, type Db, type Tx } from '../../db/index.js';
import { prepared } from '../../db/prepared.js';
import { auditLog, inboundEvents, members, nudges, seenRequests, tenants, type Locale, type Platform, type Role } from '../../db/schema.js';
import { catalog, type Catalog } from '../../prompts/index.js';
import { personName } from '../domain/format.js';
import { matchIn } from '../domain/match.js';
import { handoverBatch } from '../domain/handovers.js';
import { recordNudge } from '../domain/nudges.js';
import { normalize } from '../domain/text.js';
import type { Member, Tenant } from '../domain/types.js';
import { bind, selectForm } from './bind.js';
import { refusalError, UserError } from './errors.js';
import { Refusal } from '../domain/refusal.js';
import { ensureTenant } from '../domain/tenants.js';
import { Registry, usageLine } from './registry.js';
import { inLocale, reply, text, type MentionRef, type Reply, type Section } from './reply.js';
import type { CommandSpec, Ctx, FormSpec, Notice } from './spec.js';
import { tokenize, type Token } from './tokenize.js';

/** Who someone is on their platform, as the adapter learned it. */
export interface UserRef {
  platformUserId: string;
  name: string;
  timezone?: string;
  locale?: Locale;
  /** The platform says they were deactivated: seen for the first time, they are a member who has left. */
  gone?: boolean;
  /**
   * Only what the request carried (the platform's lookup was too slow to wait
   * for): it names someone Steward meets for the first time, and changes
   * nothing about a member it knows (Engine.learned does, once the lookup lands).
   */
  provisional?: boolean;
  /** The platform gave no name at all (it does not know them, or did not answer): `name` is their id, shown as someone not known to it. */
  unnamed?: boolean;
}

export interface Incoming {
  platform: Platform;
  workspaceId: string;
  user: UserRef;
  text: string;
  /** A link back to the chat message, when there is one. */
  sourceRef?: string;
  /** The conversation the command was typed in (a channel or group chat id), when there is one. */
  chatId?: string;
  /** Trusted local setting: the shell's configured role for its user. */
  assumeRole?: Role;
  /** Locale for a tenant seen for the first time (zh-CN for Lark). */
  tenantLocale?: Locale;
  /**
   * The platform's id for the event carrying the command: recorded in the
   * command's transaction, so the command runs once however often the event is
   * delivered, and again if it never committed.
   */
  dedupeKey?: string;
  /**
   * The form submission this command is (Slack's view id and hash): recorded in
   * the command's transaction only when the command is saved, so a form sent
   * again after it was saved (the platform's answer lost, the rep submitting
   * twice) runs once, and a refused one can be corrected and sent again.
   */
  formKey?: string;
}

export interface Outcome {
  reply: Reply;
  notices: Notice[];
  /** False when the command was refused or failed and nothing was written. */
  ok: boolean;
  /** The reader's locale, for whatever the adapter adds around the reply. */
  locale: Locale;
  /** It left messages in the outbox to deliver (its notices, or what a sweep or digest it ran recorded). */
  deliver?: boolean;
  /** Only the free text was missing (a button like Resolve): what to ask the user for. */
  needsText?: string;
  /** The argument, option or `text` the refusal is about, for forms that show errors on fields. */
  field?: string;
  /** Its event (`Incoming.dedupeKey`) was run before: nothing ran, and there is nothing to answer. */
  duplicate?: boolean;
  /** The command it ran (the spec's name), when the text named one: the label of its metrics. */
  command?: string;
  /** It failed on Steward's side (an internal error), rather than being refused for the user's mistake. */
  failed?: boolean;
}

/** How a command went, as its metrics count it: done, refused (the user's mistake, a permission), or failed on Steward's side. */
export type CommandResult = 'ok' | 'refused' | 'error';

/** How an outcome counts; undefined for a duplicate, which ran nothing. */
export function resultOf(out: Pick<Outcome, 'ok' | 'failed' | 'duplicate'>): CommandResult | undefined {
  if (out.duplicate) return undefined;
  return out.ok ? 'ok' : out.failed ? 'error' : 'refused';
}

/** Where commands are counted (src/metrics.ts): by the process's main thread, which sees every command's answer. */
export interface CommandMetrics {
  command(name: string | undefined, result: CommandResult, seconds: number): void;
}

export interface EngineOptions {
  db: Db;
  commands: readonly CommandSpec[];
  defaults: { locale: Locale; timezone: string };
  clock?: () => Date;
  logger?: Logger;
  /**
   * Large handovers (src/domain/handovers.ts): accounts per transaction, and (tests: a crash between
   * batches) how many batches after the command this engine runs before it stops.
   */
  handover?: { batch?: number; stopAfter?: number };
  /** Counts each command `handle` runs, with its latency (not the engine thread's: its caller counts those). */
  metrics?: CommandMetrics;
}

export type MentionResolver = (raw: string) => Promise<UserRef | undefined>;

const STEWARD = 'steward';

class Rollback extends Error {
  constructor(readonly outcome: Outcome) {
    super('rollback');
  }
}

export class Engine {
  readonly registry: Registry;
  private readonly clock: () => Date;
  /** A command committed work left to finish in batches (a large handover): see finishStep. */
  private unfinished = false;
  /** Batches run by finishStep, for EngineOptions.handover.stopAfter. */
  private batches = 0;

  constructor(private readonly opts: EngineOptions) {
    this.registry = new Registry(opts.commands);
    this.clock = opts.clock ?? (() => new Date());
  }

  async handle(incoming: Incoming, resolveMention?: MentionResolver): Promise<Outcome> {
    const started = performance.now();
    const out = this.localized(await this.outcome(incoming, resolveMention));
    const result = this.opts.metrics && resultOf(out);
    if (result) this.opts.metrics!.command(out.command, result, (performance.now() - started) / 1000);
    // The rest of a large handover, a batch per transaction, before the answer: other work on this
    // thread (and other connections) takes turns between batches.
    if (this.takeUnfinished()) await this.finish();
    return out;
  }

  /** Where this engine's commands are counted: an engine thread its adapter starts counts there too. */
  get metrics(): CommandMetrics | undefined {
    return this.opts.metrics;
  }

  /** Whether a command since the last call committed work left to finish (handleAll's caller then runs finishStep until false). */
  takeUnfinished(): boolean {
    const was = this.unfinished;
    this.unfinished = false;
    return was;
  }

  /**
   * One batch of an unfinished handover (the rest of a large one, or one a crash or restart
   * interrupted), in its own IMMEDIATE transaction. False when none is left (or this engine was
   * told to stop: EngineOptions.handover.stopAfter), or the batch failed (logged; it is redone
   * at the next start).
   */
  async finishStep(): Promise<boolean> {
    const { batch, stopAfter } = this.opts.handover ?? {};
    if (stopAfter !== undefined && this.batches >= stopAfter) return false;
    try {
      // In turn with the commands on this connection (db/transaction.ts).
      const more = await transaction(this.opts.db, (tx) => handoverBatch(tx, this.clock(), batch));
      if (more) this.batches++;
      return more;
    } catch (e) {
      this.opts.logger?.error({ err: e, ref: errorRef() }, 'a batch of a handover failed');
      return false;
    }
  }

  /** Finishes every unfinished handover, a batch at a time, leaving the event loop a turn between batches (at start: what a crash left). */
  async finish(): Promise<void> {
    while (await this.finishStep()) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * What `incoming` would answer, run and then undone whatever it answers:
   * nothing is written and nobody is told. For a button whose command still
   * needs its text, to ask for the text only when the rest would pass.
   */
  async trial(incoming: Incoming, resolveMention?: MentionResolver): Promise<Outcome> {
    return this.localized(await this.outcome(incoming, resolveMention, false));
  }

  /**
   * Commands whose mentions the adapter has already resolved (`mentions`, by
   * their raw text; one missing is unknown), run in one immediate transaction,
   * each in a savepoint of its own: what one refuses or fails to do is undone
   * alone, and one commit stands for all of them (committing is a large share
   * of a small command's cost). If that commit fails, nothing was saved, and
   * every outcome says so.
   */
  async handleAll(items: readonly { incoming: Incoming; mentions: Readonly<Record<string, UserRef>> }[]): Promise<Outcome[]> {
    return (await this.handleGroup(items, [])).outs;
  }

  /**
   * handleAll, with signed requests to record in the replay store
   * (firstRequests) in the same transaction, before the commands: one commit
   * for both (the engine thread's group). `firsts` is undefined when that
   * transaction failed: no request was recorded, and every command failed.
   */
  async handleGroup(
    items: readonly { incoming: Incoming; mentions: Readonly<Record<string, UserRef>> }[],
    seen: readonly { key: string; expiresAt: Date; now: Date }[],
  ): Promise<{ outs: Outcome[]; firsts: boolean[] | undefined }> {
    const one = async ({ incoming, mentions }: (typeof items)[number], tx?: Tx) => {
      const parsed = read(incoming.text);
      return this.localized(await this.decide(incoming, parsed, refsFrom(parsed.tokens, mentions), true, tx));
    };
    // One command alone needs no savepoint: its own transaction is the group's.
    if (items.length === 1 && seen.length === 0) return { outs: [await one(items[0]!)], firsts: [] };
    let firsts: boolean[] = [];
    try {
      const outs = await transact(this.opts.db, async (tx) => {
        firsts = seen.length ? await this.seeRequests(tx, seen) : [];
        // In turn, each in its savepoint (decide).
        const outs: Outcome[] = [];
        for (const item of items) outs.push(await one(item, tx));
        return outs;
      });
      return { outs, firsts };
    } catch (e) {
      const ref = errorRef();
      this.opts.logger?.error({ err: e, ref, commands: items.length, requests: seen.length }, 'commit of a group of commands failed');
      return { outs: items.map(({ incoming }) => this.localized(failed(incoming.user.locale ?? this.opts.defaults.locale, ref))), firsts: undefined };
    }
  }

  /** The reply says which language it is in, so a renderer words its own additions (cut markers) alike. */
  private localized(out: Outcome): Outcome {
    return { ...out, reply: inLocale(out.reply, out.locale) };
  }

  private async outcome(incoming: Incoming, resolveMention?: MentionResolver, keep = true): Promise<Outcome> {
    const parsed = read(incoming.text);
    // Mentions are resolved before the transaction: a platform lookup may take a network round trip.
    const refs = new Map<string, UserRef>();
    for (const raw of mentionsOf(parsed.tokens)) {
      const ref = resolveMention ? await resolveMention(raw) : undefined;
      if (ref) refs.set(raw, ref);
    }
    return this.decide(incoming, parsed, refs, keep);
  }

  /**
   * Runs a command in one immediate transaction (a savepoint of `within`, the group's, when given), rolled back
   * unless it succeeds and is to be kept.
   */
  private async decide(incoming: Incoming, { text, tokenized, tokens }: ReturnType<typeof read>, refs: Map<string, UserRef>, keep = true, within?: Tx): Promise<Outcome> {
    let ctx: Ctx | undefined;
    const attempt = async (tx: Tx): Promise<Outcome> => {
      // Rolled back with a refusal, so only a saved submission is seen.
      if (keep && incoming.formKey && !(await this.seeFirst(tx, incoming.platform, `form:${incoming.formKey}`)))
        return duplicate(incoming.user.locale ?? this.opts.defaults.locale);
      const c = await this.context(tx, incoming);
      ctx = c;
      let outcome: Outcome;
      try {
        outcome = await this.run(c, tokens, refs, text, tokenized.ok ? undefined : tokenized.quote);
      } catch (thrown) {
        const e = thrown instanceof Refusal ? refusalError(thrown, c.t) : thrown;
        if (e instanceof UserError) {
          throw new Rollback({ ok: false, notices: [], locale: c.locale, reply: errorReply(c, e, this.current), needsText: e.missingText, field: e.field });
        }
        throw e;
      }
      if (!outcome.ok || !keep) throw new Rollback(outcome);
      // Set before the commit: a commit that fails leaves no job, and finishing one then finds nothing.
      if (c.unfinished) this.unfinished = true;
      return outcome;
    };
    const dedupe = keep ? incoming.dedupeKey : undefined;
    const db = within ?? this.opts.db;
    // The command it ran, for its metrics (this.current, until the finally below).
    const named = (out: Outcome): Outcome => {
      const command = this.current?.spec.name;
      return command ? { ...out, command } : out;
    };
    try {
      if (!dedupe) return named(await transact(db, attempt));
      // The event is seen in the command's own transaction: a crash before its commit leaves it unseen, so its
      // redelivery runs it; a refusal undoes only the command (a savepoint), and the event stays seen.
      return named(
        await transact(db, async (tx) => {
          if (!(await this.seeFirst(tx, incoming.platform, dedupe))) return duplicate(incoming.user.locale ?? this.opts.defaults.locale);
          try {
            return await transact(tx, attempt);
          } catch (e) {
            if (e instanceof Rollback) return e.outcome;
            throw e;
          }
        }),
      );
    } catch (e) {
      if (e instanceof Rollback) return named(e.outcome);
      // PostgreSQL gave up the group's transaction (a serialization failure): the whole group runs again.
      if (within && retryable(e)) throw e;
      const ref = errorRef();
      this.opts.logger?.error({ err: e, ref, text: incoming.text.slice(0, 200) }, 'command failed');
      return named(failed(ctx?.locale ?? incoming.user.locale ?? this.opts.defaults.locale, ref));
    } finally {
      this.current = undefined;
    }
  }

  /**
   * Runs `fn` with a command context for `who` in one transaction, for what an
   * adapter shows without a command (App Home, type-ahead).
   */
  async view<T>(who: Pick<Incoming, 'platform' | 'workspaceId' | 'user' | 'tenantLocale'>, fn: (ctx: Ctx) => T | Promise<T>): Promise<T> {
    return transact(this.opts.db, async (tx) => fn(await this.context(tx, { ...who, text: '' })));
  }

  /**
   * Something the platform reports about a person (deactivated, say), handled by
   * `fn` in one transaction with that person as the subject; they do not speak,
   * so nothing about them is revived. Returns the notices to deliver, or none
   * when Steward has never seen the workspace or the person, or the event
   * `dedupeKey` was handled before.
   */
  async aboutMember(platform: Platform, workspaceId: string, platformUserId: string, fn: (ctx: Ctx, member: Member) => Promise<void>, dedupeKey?: string): Promise<Notice[]> {
    return transact(this.opts.db, async (tx) => {
      // The event that reported it is seen in the same transaction (see Incoming.dedupeKey).
      if (dedupeKey && !(await this.seeFirst(tx, platform, dedupeKey))) return [];
      const tenant = await tenantByWorkspace(tx).get({ platform, workspaceId });
      const member = tenant && (await memberByUser(tx).get({ tenantId: tenant.id, platformUserId }));
      if (!tenant || !member) return [];
      const ctx = await this.context(tx, { platform, workspaceId, user: { platformUserId, name: member.name }, text: '' }, false);
      await fn(ctx, member);
      await this.recordNotices(ctx);
      return ctx.notices;
    });
  }

  /**
   * What a platform's lookup said about someone after their request was
   * answered without it (Inbound.who): their member, if Steward has one,
   * follows it (name, time zone, language), as it would have on the request.
   */
  async learned(platform: Platform, workspaceId: string, ref: UserRef): Promise<void> {
    if (ref.provisional) return;
    await transact(this.opts.db, async (tx) => {
      const tenant = await tenantByWorkspace(tx).get({ platform, workspaceId });
      if (tenant && (await memberByUser(tx).get({ tenantId: tenant.id, platformUserId: ref.platformUserId }))) await ensureMember(tx, tenant, ref, 'rep', undefined, false);
    });
  }

  /**
   * Records an inbound event id; false when it was already seen (a platform
   * retry or redelivery), so each event is processed once, across restarts.
   */
  async firstSight(platform: Platform, eventId: string): Promise<boolean> {
    return await transact(this.opts.db, (tx) => this.seeFirst(tx, platform, eventId));
  }

  /**
   * Records an inbound event id in `tx`; false when it was already seen. Ids are kept longer than any
   * platform redelivers, and forgotten by the sweep (EVENT_RETENTION_DAYS, src/domain/retention.ts).
   */
  private async seeFirst(tx: Tx, platform: Platform, eventId: string): Promise<boolean> {
    return changes(await seeEvent(tx).run({ platform, eventId, receivedAt: this.clock() })) === 1;
  }

  /**
   * Records a signed request (by its signature) until `expiresAt`; false when it
   * was already recorded and has not expired: the same request sent again, a
   * replay. `now` is the wall clock the platform signed with, not Steward's.
   */
  async firstRequest(key: string, expiresAt: Date, now: Date = new Date()): Promise<boolean> {
    return (await this.firstRequests([{ key, expiresAt, now }]))[0]!;
  }

  /** firstRequest for several requests in one transaction, in order (as many calls would record them). */
  async firstRequests(requests: readonly { key: string; expiresAt: Date; now: Date }[]): Promise<boolean[]> {
    return await transact(this.opts.db, (tx) => this.seeRequests(tx, requests));
  }

  /** firstRequests in `tx`. */
  private async seeRequests(tx: Tx, requests: readonly { key: string; expiresAt: Date; now: Date }[]): Promise<boolean[]> {
    // Expired signatures are forgotten by the sweep (src/domain/retention.ts): one still here is refused by its timestamp first.
    const firsts: boolean[] = [];
    for (const { key, expiresAt } of requests) firsts.push(changes(await seeRequest(tx).run({ key, expiresAt })) === 1);
    return firsts;
  }

  /** The command and form being run, so an error can show the right usage. */
  private current: { spec: CommandSpec; form?: FormSpec } | undefined;

  private async run(ctx: Ctx, tokens: Token[], refs: Map<string, UserRef>, source: string, unclosedQuote?: string): Promise<Outcome> {
    const t = ctx.t;
    // Someone recorded as having left (/leave, or gone from the platform) takes no part until an admin brings them back.
    if (!ctx.actor.active) throw UserError.refusal(t.errors.youLeft);
    let words = [...tokens];
    const first = words[0];
    if (!first) return this.run(ctx, [{ kind: 'word', value: `/${STEWARD}`, raw: `/${STEWARD}`, start: 0, end: 0 }], refs, source);
    let spec = first.kind === 'word' ? this.registry.get(first.value) : undefined;
    words = words.slice(1);
    // A /steward subcommand on its own (`help`, `帮助`, `whoami`) is that subcommand: on Lark there is no slash menu to find /steward.
    const steward = this.registry.get(STEWARD)!;
    if (!spec && first.kind === 'word' && isSub(steward, first.value)) {
      spec = steward;
      words = [{ ...first, value: first.value.replace(/^\//, '') }, ...words];
    }
    // `/steward touch ...` is `/touch ...`, unless the word is one of /steward's own subcommands.
    if (spec?.name === STEWARD && words[0]?.kind === 'word') {
      const inner = this.registry.get(words[0].value);
      const own = isSub(spec, words[0].value);
      if (inner && !own) {
        spec = inner;
        words = words.slice(1);
      }
    }
    if (!spec) {
      const typed = first.kind === 'word' ? first.value.replace(/^\//, '') : first.raw;
      const near = matchIn(this.registry.commands as CommandSpec[], typed, (c) => [c.name, ...(c.aliases ?? [])]);
      const names = near.kind === 'none' ? near.suggestions : near.kind === 'found' ? [near.item.name] : near.candidates.map((c) => c.name);
      // One suggestion per command, by its main name, even when several of its aliases are close.
      const suggestions = [...new Set(names.map((n) => this.registry.get(n)).map((c, i) => (c ? t.help.commandName(c.name, c.aliases ?? []) : `/${names[i]}`)))];
      throw UserError.refusal(t.errors.unknownCommand(typed, suggestions));
    }
    this.current = { spec };
    const { form, rest } = selectForm(spec, words);
    this.current = { spec, form };
    if (unclosedQuote) throw UserError.usage(t.errors.unclosedQuote(unclosedQuote));
    // Someone is created on first mention only when the command uses them, not for an @ inside a note.
    const mentioned = async (raw: string): Promise<{ member: Member; isNew: boolean } | undefined> => {
      const ref = refs.get(raw);
      if (!ref) return undefined;
      const isNew = !(await memberByUser(ctx.db).get({ tenantId: ctx.tenant.id, platformUserId: ref.platformUserId }));
      return { member: await ensureMember(ctx.db, ctx.tenant, ref, 'rep', undefined, false), isNew };
    };
    const input = await bind(ctx, form, rest, mentioned, source);
    const before = await lastNudge(ctx.db);
    const out = await form.run(ctx, input);
    await this.recordNotices(ctx);
    // What the database recorded on its own counts too (a complaint's card to redraw after it changed).
    const queued = ctx.queued || (await lastNudge(ctx.db)) !== before;
    return { ok: out.tone !== 'error', reply: out, notices: ctx.notices, locale: ctx.locale, deliver: ctx.notices.length > 0 || queued };
  }

  /** What a command tells other people goes through the outbox, in the same transaction. */
  private async recordNotices(ctx: Ctx): Promise<void> {
    for (const n of ctx.notices) {
      await recordNudge(ctx.db, {
        tenantId: ctx.tenant.id,
        dedupeKey: `notice:${randomUUID()}`,
        kind: 'notice',
        subjectType: n.complaintId ? 'complaint' : 'none',
        subjectId: n.complaintId ?? 0,
        recipientId: 'member' in n.to ? n.to.member.id : null,
        channel: 'channel' in n.to ? n.to.channel : null,
        period: ctx.now.toISOString(),
        // A notice to someone is written in their language (viewFor); one to a channel in the workspace's.
        payload: inLocale(n.reply, 'member' in n.to ? (n.to.member.locale ?? ctx.tenant.locale) : ctx.tenant.locale),
        notBefore: ctx.now,
        createdAt: ctx.now,
      });
    }
  }

  private async context(tx: Tx, incoming: Incoming, speaking = true): Promise<Ctx> {
    const now = this.clock();
    const tenant = await ensureTenant(tx, incoming, { locale: incoming.tenantLocale ?? this.opts.defaults.locale, timezone: this.opts.defaults.timezone });
    const actor = await ensureMember(tx, tenant, incoming.user, 'rep', incoming.assumeRole, speaking);
    const locale = actor.locale ?? tenant.locale;
    return {
      db: tx,
      tenant,
      actor,
      locale,
      zone: actor.timezone ?? tenant.timezone,
      t: catalog(locale),
      now,
      platform: incoming.platform,
      sourceRef: incoming.sourceRef,
      chatId: incoming.chatId,
      notices: [],
      queued: false,
      commands: this.opts.commands,
      ...(this.opts.handover?.batch ? { handoverBatch: this.opts.handover.batch } : {}),
      mention: (m: Member): MentionRef => ({ platformUserId: m.platformUserId, name: personName(catalog(locale), incoming.platform, m) }),
      audit: async (action, entity, entityId, detail) => {
        const row = { tenantId: tenant.id, actorId: actor.id, action, entity, entityId: entityId ?? null, at: now };
        if (detail === undefined) await auditWithoutDetail(tx).run(row);
        else await auditWithDetail(tx).run({ ...row, detail });
      },
    };
  }
}

/** The newest outbox row's id, to tell whether a command left anything to deliver. */
async function lastNudge(db: Tx): Promise<number> {
  return (await lastNudgeId(db).get())?.id ?? 0;
}

const MENTION = /^(?:@\S+|<@[^>]+>)$/u;

/** Whether `word` names one of `spec`'s subcommands. */
function isSub(spec: CommandSpec, word: string): boolean {
  const w = normalize(word.replace(/^\//, ''));
  return spec.forms.some((f) => f.sub && [f.sub, ...(f.subAliases ?? [])].some((n) => normalize(n) === w));
}

function mentionsIn(tok: Token): string[] {
  return (tok.kind === 'mention' || tok.kind === 'option') && MENTION.test(tok.value) ? [tok.value] : [];
}

/** Command text as the engine reads it: NFC, then tokens (up to an unclosed quote, whose words still say which usage to show). */
function read(raw: string) {
  const text = raw.normalize('NFC');
  const tokenized = tokenize(text);
  const tokens = tokenized.ok ? tokenized.tokens : (tokenize(text.slice(0, tokenized.at)) as { tokens: Token[] }).tokens;
  return { text, tokenized, tokens };
}

const mentionsOf = (tokens: Token[]): string[] => [...new Set(tokens.flatMap(mentionsIn))];

/** A short reference that ties what a user is told about a failure to its log line. */
export const errorRef = (): string => Math.random().toString(36).slice(2, 8);

/** A command whose event was already run (a redelivery): no reply is shown, nothing ran. */
function duplicate(locale: Locale): Outcome {
  return { ok: false, duplicate: true, notices: [], locale, reply: reply('info', '') };
}

/** A command that failed on Steward's side: nothing was saved, or, with `saved`, it was but the answer was lost. */
export function failed(locale: Locale, ref: string, saved = false): Outcome {
  const t = catalog(locale).errors;
  return { ok: false, failed: true, notices: [], locale, reply: reply('error', saved ? t.unanswered(ref) : t.internal(ref)) };
}

/** The mentions in `tokens` that `resolved` knows. */
function refsFrom(tokens: Token[], resolved: Readonly<Record<string, UserRef>>): Map<string, UserRef> {
  const refs = new Map<string, UserRef>();
  for (const raw of mentionsOf(tokens)) if (resolved[raw]) refs.set(raw, resolved[raw]);
  return refs;
}

/**
 * The mentions `handle` will ask its MentionResolver about for this text, in
 * that order: an adapter that runs the engine elsewhere resolves them first.
 */
export function mentionsInText(raw: string): string[] {
  return mentionsOf(read(raw).tokens);
}

// The queries every command runs, prepared once per connection (see db/prepared.ts).
const ph = sql.placeholder;
const tenantByWorkspace = (tx: Tx) =>
  prepared(tx, 'engine.tenant', (db) =>
    db
      .select()
      .from(tenants)
      .where(and(eq(tenants.platform, ph('platform')), eq(tenants.workspaceId, ph('workspaceId'))))
      .prepare(),
  );
const memberByUser = (tx: Tx) =>
  prepared(tx, 'engine.member', (db) =>
    db
      .select()
      .from(members)
      .where(and(eq(members.tenantId, ph('tenantId')), eq(members.platformUserId, ph('platformUserId'))))
      .prepare(),
  );
const adminCount = (tx: Tx) =>
  prepared(tx, 'engine.admins', (db) =>
    db
      .select({ n: count() })
      .from(members)
      // Only admins still here: a workspace whose admins have all left gets one again from whoever speaks next.
      .where(and(eq(members.tenantId, ph('tenantId')), eq(members.role, 'admin'), eq(members.active, true)))
      .prepare(),
  );
const lastNudgeId = (tx: Tx) =>
  prepared(tx, 'engine.lastNudge', (db) =>
    db
      .select({ id: max(nudges.id) })
      .from(nudges)
      .prepare(),
  );
// Inbound event ids and signed requests, seen once (Engine.seeFirst, Engine.firstRequest). A placeholder compared
// with a column is bound as given (only inserted values go through the column's mapping), so times go in as ms.
const seeEvent = (tx: Tx) =>
  prepared(tx, 'engine.events.see', (db) =>
    db
      .insert(inboundEvents)
      .values({ platform: ph('platform'), eventId: ph('eventId'), receivedAt: ph('receivedAt') })
      .onConflictDoNothing()
      .prepare(),
  );
const seeRequest = (tx: Tx) =>
  prepared(tx, 'engine.requests.see', (db) =>
    db
      .insert(seenRequests)
      .values({ key: ph('key'), expiresAt: ph('expiresAt') })
      .onConflictDoNothing()
      .prepare(),
  );
const auditRow = { tenantId: ph('tenantId'), actorId: ph('actorId'), action: ph('action'), entity: ph('entity'), entityId: ph('entityId'), at: ph('at') };
// Without detail the column is NULL, as drizzle writes an undefined value (a placeholder would encode it as the JSON text `null`).
const auditWithoutDetail = (tx: Tx) => prepared(tx, 'engine.audit', (db) => db.insert(auditLog).values(auditRow).prepare());
const auditWithDetail = (tx: Tx) =>
  prepared(tx, 'engine.audit.detail', (db) =>
    db
      .insert(auditLog)
      .values({ ...auditRow, detail: ph('detail') })
      .prepare(),
  );

/**
 * Finds or creates a member. The first person to speak in a workspace that has
 * never had an admin becomes its admin (people an import or a mention created
 * before anyone spoke do not count).
 */
export async function ensureMember(tx: Tx, tenant: Tenant, ref: UserRef, role: Role, assumeRole?: Role, speaking = true): Promise<Member> {
  const found = await memberByUser(tx).get({ tenantId: tenant.id, platformUserId: ref.platformUserId });
  const firstAdmin = async () => speaking && !assumeRole && (await adminCount(tx).get({ tenantId: tenant.id }))!.n === 0;
  if (found) {
    const patch: Partial<Member> = {};
    // What a request carried while the platform's lookup was slow is no news about someone Steward knows.
    if (!ref.provisional) {
      if (ref.name && !ref.unnamed && (ref.name !== found.name || !found.nameKnown)) Object.assign(patch, { name: ref.name, nameKnown: true });
      // Their platform's time zone and language follow them (a move, a new setting), unless they chose their own.
      if (ref.timezone && ref.timezone !== found.timezone && !found.ownTimezone) patch.timezone = ref.timezone;
      if (ref.locale && ref.locale !== found.locale && !found.ownLocale) patch.locale = ref.locale;
    }
    if (assumeRole && assumeRole !== found.role) patch.role = assumeRole;
    else if (found.role !== 'admin' && (await firstAdmin())) patch.role = 'admin';
    if (Object.keys(patch).length === 0) return found;
    return await tx.update(members).set(patch).where(eq(members.id, found.id)).returning().get();
  }
  return await tx
    .insert(members)
    .values({
      tenantId: tenant.id,
      platformUserId: ref.platformUserId,
      name: ref.name,
      nameKnown: !ref.unnamed,
      role: assumeRole ?? ((await firstAdmin()) ? 'admin' : role),
      timezone: ref.timezone,
      locale: ref.locale,
      function: (assumeRole ?? role) === 'exec' ? 'executive' : 'sales',
      ...(ref.gone ? { active: false, leftAt: new Date() } : {}),
    })
    .returning()
    .get();
}

function errorReply(ctx: Ctx, e: UserError, current: { spec: CommandSpec; form?: FormSpec } | undefined): Reply {
  const t: Catalog = ctx.t;
  const sections: Section[] = [];
  if (e.items.length) sections.push({ type: 'list', items: e.items });
  if (e.showUsage && current) {
    const forms = current.form ? [current.form] : current.spec.forms;
    sections.push({ type: 'usage', heading: t.help.usage, lines: forms.map((f) => localizeUsage(t, usageLine(current.spec, f), f)) });
    sections.push(text(t.help.more(t.help.helpFor(current.spec.name, current.spec.aliases ?? []))));
  }
  return { ...reply('error', e.detail, ...sections) };
}

/**
 * Replaces `<account>` and the like with the reader's words for them; given the form, also
 * its option words (`level:`), flags (`[mine]`) and enum values (`open|kept`) with the words
 * the binder accepts in the reader's language (`级别:`, `[我的]`, `待兑现|已兑现`).
 */
export function localizeUsage(t: Catalog, line: string, form?: FormSpec): string {
  const placeholder = (name: string) => (t.placeholders as Record<string, string>)[name];
  let out = line;
  if (form) {
    const valueWord = (v: string, aliases: Readonly<Record<string, string>> | undefined) =>
      t.help.word(
        v,
        Object.keys(aliases ?? {}).filter((k) => aliases![k] === v),
      );
    // `name:` at the start of a word (after a space, `[`, `(` or `|`), and the enum values that follow it.
    for (const o of form.options ?? []) {
      const re = new RegExp(`(^|[\\s\\[(|])${escapeRe(o.name)}:([^\\s\\]]*)`, 'g');
      out = out.replace(re, (_all, before: string, rest: string) => {
        const values =
          o.type === 'enum' && rest && !rest.startsWith('<')
            ? rest
                .split('|')
                .map((v) => (o.values?.includes(v) ? valueWord(v, o.valueAliases) : v))
                .join('|')
            : rest;
        return `${before}${t.help.word(o.name, o.aliases ?? [])}:${values}`;
      });
    }
    const flags = new Map((form.flags ?? []).map((f) => [f.name, f]));
    // Alternatives (`[mine|all]`, `@someone|me`, `rep|manager|exec|admin`): each flag, and each value of an enum argument, in the reader's words.
    const argValues = new Map((form.args ?? []).flatMap((a) => (a.type === 'enum' ? (a.values ?? []).map((v) => [v, a.valueAliases] as const) : [])));
    out = out.replace(/(^|[\s[(])([^\s[\]()]*\|[^\s[\]()]*)/g, (_all, before: string, alternatives: string) => {
      const words = alternatives.split('|').map((w) => {
        const flag = flags.get(w);
        if (flag) return t.help.word(flag.name, flag.aliases ?? []);
        return argValues.has(w) ? valueWord(w, argValues.get(w)) : w;
      });
      return `${before}${words.join('|')}`;
    });
    // A bracketed bare word: a flag, or an optional argument's placeholder.
    out = out.replace(/\[([a-z][a-z-]*)\]/g, (whole, name: string) => {
      const flag = flags.get(name);
      if (flag) return `[${t.help.word(flag.name, flag.aliases ?? [])}]`;
      const word = placeholder(name);
      return word ? `[${word}]` : whole;
    });
  }
  return out
    .replace(/<([a-z-]+)>/g, (whole, name: string) => {
      const word = placeholder(name);
      return word ? `<${word}>` : whole;
    })
    .replace(/@someone\b/g, t.placeholders.someone)
    .replace(/@([a-z]+)\b/g, (whole, name: string) => t.mentions[name] ?? whole);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
