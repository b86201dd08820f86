// The simulator's own record of what happened in the season: who is who, which
// account was visited, snoozed or lost, which complaint and promise is open. It
// is written as the commands succeed, from what the user did, and is what the
// invariants judge Steward's messages against (never Steward's own tables).
import { DAY, HOUR, TENANT_ZONE, local } from './time.js';

export type Role = 'admin' | 'exec' | 'manager' | 'rep';
export type Tier = 'strategic' | 'key' | 'standard';
export type Severity = 'critical' | 'high' | 'medium' | 'low';

export interface Person {
  name: string;
  role: Role;
  zone: string;
  locale: 'en' | 'zh-CN';
  manager?: string;
  leftAt?: number;
}

export interface Account {
  name: string;
  tier: Tier;
  owner: string;
  createdAt: number;
  /** Visits, meetings and reviews by anyone of ours (README: they reset the revisit clock). */
  visits: number[];
  snoozedUntil: number;
  lostAt?: number;
  /** How often its owner visits: 0 never (it drifts), 1 on cadence. */
  diligence: number;
  exec?: { name: string; every: number; since: number; touches: number[] };
  reviewHeldAt?: number;
  /** When it last changed hands: `owner` is who has it since. */
  handedOverAt?: number;
}

export interface Complaint {
  number: number;
  account: string;
  severity: Severity;
  openedAt: number;
  resolvedAt?: number;
  /** Bounced between regions: nobody resolves it (DOMAIN: "a complaint unresolved for months"). */
  stuck: boolean;
}

export interface Promise_ {
  number: number;
  account: string;
  owner: string;
  /** YYYY-MM-DD, in the owner's zone. */
  dueOn: string;
  /** When it was recorded: no reminder is owed by a sweep before it. */
  madeAt: number;
  /** When it last changed hands: `owner` is who has it since. */
  handedOverAt?: number;
  closedAt?: number;
  /** Forgotten: nobody marks it kept. */
  forgotten: boolean;
}

/** README clock table: strategic 14 days, key 30, standard 90. */
export const CADENCE_DAYS: Record<Tier, number> = { strategic: 14, key: 30, standard: 90 };
/** README: escalations "at the complaint's deadline, then every period (its severity's deadline span)". */
export const SPAN_HOURS: Record<Severity, number> = { critical: 4, high: 24, medium: 72, low: 168 };

/** Admin, two executives, two managers and their reps, in both languages and four zones. */
export const BOOK: Person[] = [
  { name: 'alice', role: 'admin', zone: TENANT_ZONE, locale: 'en' },
  { name: 'chen', role: 'exec', zone: 'Asia/Shanghai', locale: 'zh-CN' },
  { name: 'emma', role: 'exec', zone: 'Europe/London', locale: 'en' },
  { name: 'li', role: 'manager', zone: 'Asia/Shanghai', locale: 'zh-CN', manager: 'chen' },
  { name: 'mark', role: 'manager', zone: 'America/New_York', locale: 'en', manager: 'emma' },
  { name: 'zhang', role: 'rep', zone: 'Asia/Shanghai', locale: 'zh-CN', manager: 'li' },
  { name: 'wang', role: 'rep', zone: 'Asia/Tokyo', locale: 'zh-CN', manager: 'li' },
  { name: 'bob', role: 'rep', zone: 'America/New_York', locale: 'en', manager: 'mark' },
  { name: 'carol', role: 'rep', zone: 'Europe/London', locale: 'en', manager: 'mark' },
];

export const ACCOUNT_NAMES = ['Acme', 'Borealis', 'Cobalt', 'Delta', 'Ember', 'Fjord', 'Granite', 'Harbor', 'Indigo', 'Juniper', 'Kestrel', 'Lumen'];

export class World {
  people = new Map<string, Person>();
  accounts = new Map<string, Account>();
  complaints = new Map<number, Complaint>();
  promises = new Map<number, Promise_>();

  constructor() {
    for (const p of BOOK) this.people.set(p.name, { ...p });
  }

  person(name: string): Person {
    return this.people.get(name)!;
  }
  here(name: string, at: number): boolean {
    const p = this.people.get(name);
    return p !== undefined && (p.leftAt === undefined || p.leftAt > at);
  }
  reps(at: number): Person[] {
    return [...this.people.values()].filter((p) => p.role === 'rep' && this.here(p.name, at));
  }
  /** Whoever is above `name`, nearest first. */
  chain(name: string): string[] {
    const out: string[] = [];
    for (let m = this.people.get(name)?.manager; m && !out.includes(m); m = this.people.get(m)?.manager) out.push(m);
    return out;
  }
  active(a: Account, at: number): boolean {
    return a.lostAt === undefined || a.lostAt > at;
  }

  /** When the account falls due for a revisit as of `at`: a cadence after the last visit (or its creation), or when its snooze ends. */
  revisitDue(a: Account, at: number): number {
    const last = Math.max(a.createdAt, ...a.visits.filter((v) => v <= at));
    return Math.max(last + CADENCE_DAYS[a.tier] * DAY, a.snoozedUntil);
  }
  pairingDue(a: Account, at: number): number | undefined {
    if (!a.exec) return undefined;
    return Math.max(a.exec.since, ...a.exec.touches.filter((v) => v <= at)) + a.exec.every * DAY;
  }
  open(c: Complaint, at: number): boolean {
    return c.resolvedAt === undefined || c.resolvedAt > at;
  }
  /**
   * Issue 16: a deadline span counts the workspace's working time (critical stays on the wall clock):
   * every 24 hours of a span is one working day (09:00-18:00, Monday to Friday, in the workspace's zone),
   * counted from the first working moment at or after the complaint was opened.
   */
  deadline(c: Complaint): number {
    return this.spanEnd(c.openedAt, c.severity);
  }
  /** `from` plus a severity's span, on the working clock as for the deadline; each rung waits one such span after the last. */
  spanEnd(from: number, severity: Severity): number {
    if (severity === 'critical') return from + SPAN_HOURS[severity] * HOUR;
    let left = (SPAN_HOURS[severity] / 24) * 9 * HOUR;
    for (let day = local(from, TENANT_ZONE).startOf('day'); ; day = day.plus({ days: 1 })) {
      if (day.weekday > 5) continue;
      const start = Math.max(day.set({ hour: 9 }).toMillis(), from);
      const room = day.set({ hour: 18 }).toMillis() - start;
      if (room <= 0) continue;
      if (left <= room) return start + left;
      left -= room;
    }
  }
  promiseOpen(p: Promise_, at: number): boolean {
    return p.closedAt === undefined || p.closedAt > at;
  }
}
