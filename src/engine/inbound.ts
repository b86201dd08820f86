// The inbound service every adapter calls (DESIGN.md: adapter (verify, parse)
// -> inbound service (identity, dedupe, deadline) -> Command -> handler). What
// the platform waits for (an ack, a card callback's answer, a trigger id that
// expires in 3 seconds) never waits on a user lookup: who someone is comes
// from what the payload carries when the platform's lookup is slow, and the
// lookup, when it lands, updates their member afterwards.
import type { Logger } from 'pino';
import type { Locale, Platform } from '../../db/schema.js';
import { catalog } from '../../prompts/index.js';
import { bareForm, buttonForm, TEXT_PROBE, withText, type FormCommand } from './forms.js';
import { accountChoices, accountNameById, type AccountChoice } from '../domain/choices.js';
import { recordLeave } from '../domain/leavers.js';
import { memberById } from '../domain/permissions.js';
import { sharedCard } from '../views/complaint.js';
import { homeReply } from '../views/home.js';
import { askHandover } from '../views/leavers.js';
import { errorRef, failed, localizeUsage, type Engine, type Incoming, type MentionResolver, type Outcome, type UserRef } from './engine.js';
import { usageLine } from './registry.js';
import { headline } from './render-text.js';
import { inLocale, reply, type About, type Reply } from './reply.js';
import type { FormSpec } from './spec.js';
import { AnswerFailed } from './thread.js';

/**
 * How long a user lookup (Slack's users.info, Lark's contact API) may hold up
 * an answer: a fast one (the usual case) still names a newcomer and speaks their
 * language at once; a slow one is not waited for.
 */
export const LOOKUP_BUDGET_MS = 500;

/**
 * How long an ack (Slack's slash command, Lark's HTTP answer to an event or a
 * card callback) waits for its answer, to carry it: well inside the 3 seconds
 * either platform gives, network included (Lark delivers an event again when
 * it is not answered in time). A slower answer goes after the ack (Slack's
 * response_url, a Lark message).
 */
export const ACK_BUDGET_MS = 2000;

/** Who is who, on which platform and in which workspace, for what an adapter shows without a command. */
export type Who = Pick<Incoming, 'platform' | 'workspaceId' | 'user' | 'tenantLocale' | 'chatId'>;

/** What a button (or a card's action) comes to. */
export type ActionResult =
  /** It stands for a form: open it, with `account` chosen if given. */
  | { kind: 'form'; form: FormCommand; account?: string }
  /** Its command needs only its free text (Resolve asks what was done): ask for `what`, then run `command <text>`. */
  | { kind: 'ask'; command: string; what: string; locale: Locale }
  /** It ran (or was refused, or was run before: `outcome.duplicate`). */
  | { kind: 'done'; outcome: Outcome };

/**
 * A command (or an event carrying one) the platform waits for: its answer goes
 * in the ack when ready within the ack budget, else after it.
 */
export interface Budgeted<T> {
  /** The event's id (or any key a redelivery repeats): a redelivery while the first is still running is not run again. */
  key?: string;
  /** Runs it and renders its answer as the platform shows it. */
  answer: () => Promise<T>;
  /** What the user is told when `answer` failed on Steward's side (`err`: why; `told`: the service's sentence for it). */
  failed: (err: unknown, told: Outcome) => T;
  /** The language of that sentence. */
  locale: Locale;
  /** Sends an answer that was not ready in time (Slack's response_url, a Lark message); never called for what went in the ack. */
  respondLater: (answer: T) => Promise<unknown>;
  /** For the log line of a failure. */
  about?: Record<string, unknown>;
}

/** What a form's submission came to, for the adapter to show on the form or after it. */
export type SubmitResult =
  /** Saved already (the same view sent again): the form closes, the confirmation went with the first. */
  | { kind: 'duplicate' }
  /** Refused: shown on the form, on `field`'s block (the command's `text` when it names none), as `headline` says. */
  | { kind: 'refused'; field: string; headline: string; outcome: Outcome }
  /** Saved: the form closes, and `outcome.reply` is the confirmation. */
  | { kind: 'saved'; outcome: Outcome };

/** What `work` resolves with if it does so within `ms`; undefined after that (or if it fails: the caller awaits it again). */
export function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

export interface InboundOptions {
  /** Delivers what a command left in the outbox, without holding its answer. */
  afterCommand?: () => void;
  logger?: Logger;
  /** How long a lookup may hold up an answer; LOOKUP_BUDGET_MS unless a test says otherwise. */
  lookupBudgetMs?: number;
  /** How long an ack waits to carry its answer; ACK_BUDGET_MS unless a test says otherwise. */
  ackBudgetMs?: number;
  /** A lookup that landed late and could not be recorded. */
  onError?: (err: unknown) => void;
}

export class Inbound {
  private readonly budget: number;
  private readonly ackBudget: number;
  /** Answers still being worked on (or sent) after their ack went: drain() waits for them. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Keys of the events running now: a redelivery of one (the platform's retry of a slow ack) is not run twice. */
  private readonly running = new Set<string>();

  constructor(
    readonly engine: Engine,
    private readonly opts: InboundOptions = {},
  ) {
    this.budget = opts.lookupBudgetMs ?? LOOKUP_BUDGET_MS;
    this.ackBudget = opts.ackBudgetMs ?? ACK_BUDGET_MS;
  }

  /**
   * A slash command (Slack's `/touch acme visit`): its answer, when ready within
   * the ack budget, is returned to go in the ack; a slower one returns nothing
   * (ack empty) and goes to `respondLater` when done. A failure is never a
   * silent timeout: the user hears that something failed, and whether it was saved.
   */
  processSlashCommand<T>(command: Budgeted<T>): Promise<T | undefined> {
    return this.budgeted(command);
  }

  /**
   * An event that carries a command, or a card's action (Lark's message events,
   * bot menu and card callbacks): the same budget as a slash command, so the
   * platform has its answer before it gives up and delivers the event again. A
   * redelivery while the first is still running returns nothing and runs
   * nothing; one after it committed is a duplicate (its key is seen in the
   * command's transaction).
   */
  processEvent<T>(event: Budgeted<T>): Promise<T | undefined> {
    return this.budgeted(event);
  }

  private async budgeted<T>(b: Budgeted<T>): Promise<T | undefined> {
    const key = b.key;
    if (key !== undefined && this.running.has(key)) return undefined;
    if (key !== undefined) this.running.add(key);
    const answer = (async () => b.answer())()
      .catch((err: unknown) => b.failed(err, this.failure(err, b.locale, err instanceof AnswerFailed && err.saved, b.about)))
      .finally(() => key !== undefined && this.running.delete(key));
    const track = (p: Promise<unknown>) => {
      const q = p.catch((err: unknown) => this.opts.logger?.error({ err, ...b.about }, 'could not send an answer after its ack')).finally(() => this.pending.delete(q));
      this.pending.add(q);
    };
    track(answer);
    const ready = await within(answer, this.ackBudget);
    if (ready !== undefined) return ready;
    track(answer.then((late) => b.respondLater(late)));
    return undefined;
  }

  /** Waits for every answer still being worked on or sent after its ack (shutdown: commands already taken finish). */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /**
   * A form's submission (a Slack modal): run as its command, keyed by the form
   * as it was submitted (`incoming.formKey`: the same form sent twice is saved
   * once).
   */
  async processModalSubmit(incoming: Incoming, resolve?: MentionResolver): Promise<SubmitResult> {
    const out = await this.run(incoming, resolve);
    if (out.duplicate) return { kind: 'duplicate' };
    if (!out.ok) return { kind: 'refused', field: out.field ?? 'text', headline: headline(out.reply), outcome: out };
    return { kind: 'saved', outcome: out };
  }

  /**
   * Who is speaking: what the platform's `lookup` says, if it says it within the
   * budget; otherwise what the payload carries (`carried`, provisional: it
   * names a newcomer but renames nobody), and the lookup, when it lands,
   * updates their member in `workspaceId`.
   */
  async who(platform: Platform, workspaceId: string | undefined, carried: { platformUserId: string; name?: string }, lookup: Promise<UserRef>): Promise<UserRef> {
    const known = await within(lookup, this.budget);
    if (known) return known;
    if (workspaceId) {
      void lookup.then((ref) => this.engine.learned(platform, workspaceId, ref)).catch((err: unknown) => this.opts.onError?.(err));
    }
    return { platformUserId: carried.platformUserId, name: carried.name || carried.platformUserId, provisional: true, ...(carried.name ? {} : { unnamed: true }) };
  }

  /** What `lookup` resolves with within the budget, or undefined (for names in a message a form is prefilled with). */
  inTime<T>(lookup: Promise<T>): Promise<T | undefined> {
    return within(lookup, this.budget);
  }

  /**
   * Runs command text as `incoming` says (its event or form key seen in the
   * command's transaction); with `trial`, only tried and undone. What it left
   * to tell others is delivered after.
   */
  async run(incoming: Incoming, resolve?: MentionResolver, trial = false): Promise<Outcome> {
    if (trial) return this.engine.trial(incoming, resolve);
    const out = await this.engine.handle(incoming, resolve);
    if (out.ok && out.deliver) this.opts.afterCommand?.();
    return out;
  }

  /** The form typed command text stands for when it is only a form command's name (`/touch`, `拜访`, `/steward complaint`). */
  formOf(text: string): FormCommand | undefined {
    return bareForm(this.engine.registry, text);
  }

  /**
   * A button's command (`incoming.text`): a form to open, the free text to ask
   * for (only when the rest would pass: a Resolve on a closed complaint, or by
   * someone who may not, says so at once), or what running it answered.
   * `submitted`: it is a form's submission, which never opens a form again.
   */
  async processAction(incoming: Incoming, resolve?: MentionResolver, submitted = false): Promise<ActionResult> {
    const command = incoming.text;
    const opens = submitted ? undefined : buttonForm(this.engine.registry, command);
    if (opens) {
      // A form writes nothing: its event is seen at once.
      if (incoming.dedupeKey && !(await this.engine.firstSight(incoming.platform, incoming.dedupeKey)))
        return { kind: 'done', outcome: { ok: false, duplicate: true, notices: [], locale: incoming.user.locale ?? 'en', reply: reply('info', '') } };
      return { kind: 'form', form: opens.kind, ...(opens.account === undefined ? {} : { account: opens.account }) };
    }
    const out = await this.run(incoming, resolve);
    if (!out.needsText) return { kind: 'done', outcome: out };
    const would = await this.run({ ...incoming, text: withText(command, TEXT_PROBE), dedupeKey: undefined }, resolve, true);
    return would.ok || would.field === 'text' ? { kind: 'ask', command, what: out.needsText, locale: out.locale } : { kind: 'done', outcome: would };
  }

  /** What the user is told when running their command failed on Steward's side (logged once here, with the reference they see). */
  failure(err: unknown, locale: Locale, saved = false, about?: Record<string, unknown>): Outcome {
    const ref = errorRef();
    this.opts.logger?.error({ err, ref, ...about }, 'a command failed');
    return failed(locale, ref, saved);
  }

  /** A form that could not open (an expired trigger, any error): what the user is told, with the command to type instead. */
  formFailed(locale: Locale, platform: 'slack' | 'lark', typed: string, form?: FormSpec): Reply {
    const t = catalog(locale);
    return inLocale(reply('warning', t[platform].formFailed, { type: 'usage', heading: t.help.usage, lines: [localizeUsage(t, typed, form)] }), locale);
  }

  /** A form command as typed: its usage line (what `formFailed` shows), and the form (whose option words a reader's language may spell otherwise). */
  typedForm(kind: FormCommand): { typed: string; form: FormSpec } {
    const spec = this.engine.registry.get(kind)!;
    const form = spec.forms.find((f) => !f.sub) ?? spec.forms[0]!;
    return { typed: usageLine(spec, form), form };
  }

  /** The chat's shared card of what `about` names (a complaint), as it is now, in the workspace's language: what a click redraws. */
  sharedCard(who: Who, about: About): Promise<Reply | undefined> {
    return this.engine.view(who, (ctx) => sharedCard(ctx, about));
  }

  /** The reader's language. */
  locale(who: Who): Promise<Locale> {
    return this.engine.view(who, (ctx) => ctx.locale);
  }

  /** The accounts matching what was typed in a form's account picker. */
  accounts(who: Who, typed: string, limit: number): Promise<AccountChoice[]> {
    return this.engine.view(who, (ctx) => accountChoices(ctx, typed, limit));
  }

  /** What a form opens with: the reader's language and the accounts its picker offers first, read at once. */
  formPicker(who: Who, limit: number): Promise<{ locale: Locale; accounts: string[] }> {
    return this.engine.view(who, async (ctx) => ({ locale: ctx.locale, accounts: (await accountChoices(ctx, '', limit)).map((a) => a.name) }));
  }

  /** The name of the account a picker chose by its id (a name too long to be the picker's value). */
  accountName(who: Who, id: number): Promise<string | undefined> {
    return this.engine.view(who, (ctx) => accountNameById(ctx, id));
  }

  /** Someone's home: their accounts and what is due, in their language. */
  home(who: Who): Promise<Reply> {
    return this.engine.view(who, async (ctx) => inLocale(await homeReply(ctx), ctx.locale));
  }

  /**
   * The platform reporting someone gone (deactivated, resigned) is their
   * leaving: accounts flagged, their manager asked to hand them over; once per
   * event. Delivers what it left to tell.
   */
  async memberLeft(platform: Platform, workspaceId: string, platformUserId: string, platformName: string, eventId?: string): Promise<void> {
    const notices = await this.engine.aboutMember(
      platform,
      workspaceId,
      platformUserId,
      async (ctx, member) => {
        if (member.active) askHandover(ctx, await recordLeave(ctx, member, await memberById(ctx, member.managerId)), platformName);
      },
      eventId,
    );
    if (notices.length) this.opts.afterCommand?.();
  }
}
