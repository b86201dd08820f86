// What a handler file declares: its command's name, aliases, forms (subcommands),
// arguments and options, beside the function that runs each form.
import type { DomainCtx } from '../domain/context.js';
import type { ParsedDate } from '../domain/dates.js';
import type { Locale, Platform } from '../../db/schema.js';
import type { Catalog } from '../../prompts/index.js';
import type { Account, Member } from '../domain/types.js';
import type { MentionRef, Reply } from './reply.js';

export type OptionType = 'enum' | 'date' | 'text' | 'mention' | 'amount' | 'days' | 'hours' | 'zone' | 'locale';

interface Named {
  name: string;
  /** Other words for the same thing, Chinese included (`拜访` for touch). */
  aliases?: readonly string[];
}

export interface OptionSpec extends Named {
  type: OptionType;
  /** For enums: the canonical values, and other words that mean them. */
  values?: readonly string[];
  valueAliases?: Readonly<Record<string, string>>;
  /** For dates: which way a bare weekday points. */
  direction?: 'past' | 'future';
  required?: boolean;
  /** May be given more than once (`with:@a with:@b`). */
  repeat?: boolean;
}

export interface ArgSpec extends Named {
  type: 'account' | 'enum' | 'ref' | 'mention' | 'word';
  values?: readonly string[];
  valueAliases?: Readonly<Record<string, string>>;
  /** For refs: the letter before the number (`C` in C-12). */
  prefix?: 'C' | 'P' | 'R' | 'T';
  optional?: boolean;
}

export type FlagSpec = Named;

export interface FormSpec {
  /** Absent for the command's default form. */
  sub?: string;
  subAliases?: readonly string[];
  /** Syntax after the command name, with `<placeholders>` the catalog translates. */
  usage: string;
  args?: readonly ArgSpec[];
  options?: readonly OptionSpec[];
  flags?: readonly FlagSpec[];
  /** Free text after the arguments: its placeholder name, and whether it is required. */
  text?: { name: string; required: boolean; max?: number };
  /** Runs in the command's transaction; a promise it returns is awaited there (db/transaction.ts). */
  run(ctx: Ctx, input: Input): Reply | Promise<Reply>;
}

export interface CommandSpec extends Named {
  /** Catalog key of the one-line summary shown in help. */
  summary: keyof Catalog['summaries'];
  forms: readonly FormSpec[];
  examples: Readonly<Record<Locale, readonly string[]>>;
}

export type { ParsedDate };

export type Value = string | number | ParsedDate | Member | Member[] | Account | boolean;

/** The bound arguments, options, flags and text of one command. */
export class Input {
  constructor(
    readonly values: ReadonlyMap<string, Value>,
    readonly text: string,
  ) {}
  has(name: string): boolean {
    return this.values.has(name);
  }
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  num(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
  date(name: string): ParsedDate | undefined {
    const v = this.values.get(name);
    return v && typeof v === 'object' && 'day' in v ? v : undefined;
  }
  member(name: string): Member | undefined {
    const v = this.values.get(name);
    if (Array.isArray(v)) return v[0];
    return v && typeof v === 'object' && 'platformUserId' in v ? v : undefined;
  }
  members(name: string): Member[] {
    const v = this.values.get(name);
    if (Array.isArray(v)) return v;
    const one = this.member(name);
    return one ? [one] : [];
  }
  account(name = 'account'): Account {
    const v = this.values.get(name);
    if (v && typeof v === 'object' && 'nameKey' in v) return v;
    throw new Error(`no account bound as ${name}`);
  }
  optionalAccount(name = 'account'): Account | undefined {
    return this.values.has(name) ? this.account(name) : undefined;
  }
}

/** A message for somebody other than the actor, delivered after the command commits. */
export interface Notice {
  to: { member: Member } | { channel: string };
  reply: Reply;
  /** Thread the message belongs to, and what to record once it is posted. */
  complaintId?: number;
}

export interface Ctx extends DomainCtx {
  /** The actor's IANA time zone. */
  zone: string;
  platform: Platform;
  sourceRef?: string;
  /** The conversation the command was typed in, when the platform has one. */
  chatId?: string;
  notices: Notice[];
  /** Set when the command put messages in the outbox itself (a run of the sweep or the digest), besides its notices. */
  queued: boolean;
  /** Every command, for help. */
  commands: readonly CommandSpec[];
  mention(member: Member): MentionRef;
  /** Accounts a large handover moves per transaction (EngineOptions.handover), when not the domain's own. */
  handoverBatch?: number;
}
