// What a typed command costs must not grow with the size of the team or the
// book: every statement the everyday commands run, from the speaker's member
// row to the account by its name, is an index search, never a scan of a
// tenant's members, accounts, touchpoints or complaints. Checked on the
// statements themselves (EXPLAIN QUERY PLAN), as SQLite would run them.
import { describe, expect, it } from 'vitest';
import { harness } from './harness.js';

const TENANT_WIDE = '(members|accounts|account_aliases|touchpoints|complaints|promises)';
/** A read of every row a tenant has in a table: a scan, or an index search narrowed by the tenant alone. */
const WHOLE = new RegExp(`^(SCAN ${TENANT_WIDE}\\b(?!.*USING (COVERING )?INDEX)|SEARCH ${TENANT_WIDE} USING (COVERING )?INDEX \\w+ \\(tenant_id=\\?\\)$)`);

describe('the statements of everyday commands', () => {
  it('an admin adding an account and naming a rep, the rep logging a touchpoint, a complaint and a promise, looking the account up: index searches only', async () => {
    const h = harness();
    // Every statement the commands below prepare, from the first on.
    const prepared = new Set<string>();
    const client = h.db.$client;
    const prepare = client.prepare.bind(client);
    client.prepare = ((source: string) => {
      prepared.add(source);
      return prepare(source);
    }) as typeof client.prepare;
    try {
      for (const [text, user] of [
        ['/account add "Acme Logistics" tier:key', 'alice'],
        ['/steward role @bob rep', 'alice'],
        ['/touch Acme Logistics visit Walked the warehouse', 'bob'],
        ['/complaint Acme Logistics high Late deliveries on the Chengdu lane', 'bob'],
        ['/promise Acme Logistics due:friday Send the cold-chain quote', 'bob'],
        ['/account show Acme Logistics', 'bob'],
      ] as const) {
        expect((await h.run(text, user)).ok, text).toBe(true);
      }
      // Each select that reads a tenant's whole table, with SQLite's plan for it.
      const whole: string[] = [];
      for (const source of prepared) {
        if (!/^\s*(select|with)\b/i.test(source)) continue;
        // The largest (or smallest) value of an index's next column is one row away, however many there are.
        if (/^select (max|min)\("\w+"\) from "\w+" where "\w+"\."tenant_id" = \?$/.test(source)) continue;
        // drizzle binds every value as `?`; a plan does not depend on them.
        const params = Array.from(source.matchAll(/\?/g), () => null);
        const plan = (prepare(`explain query plan ${source}`).all(...params) as { detail: string }[]).map((r) => r.detail);
        if (plan.some((d) => WHOLE.test(d))) whole.push(`${source}\n  ${plan.join('\n  ')}`);
      }
      expect(prepared.size).toBeGreaterThan(10);
      expect(whole).toEqual([]);
    } finally {
      h.close();
    }
  });
});

// A trigger's condition runs on every change of its table's rows, a sweep's too (each rung
// of the escalation ladder updates its complaint): its subqueries must search by the row's
// own keys, never read a tenant's whole table nor every pending nudge (a book of 100 000
// accounts has 100 000 pending revisits after its first sweep).
describe('the statements of the triggers', () => {
  it("every subquery in a trigger's condition or body is an index search by the changed row's keys", () => {
    const h = harness();
    try {
      const client = h.db.$client;
      const triggers = client.prepare("select name, sql from sqlite_master where type = 'trigger'").all() as { name: string; sql: string }[];
      /** Each parenthesised SELECT of a trigger, its NEW./OLD. columns as parameters. */
      const subqueries = (sql: string): string[] => {
        const out: string[] = [];
        for (let i = sql.indexOf('(SELECT'); i >= 0; i = sql.indexOf('(SELECT', i + 1)) {
          let depth = 0;
          let j = i;
          for (; j < sql.length; j++) {
            if (sql[j] === '(') depth++;
            else if (sql[j] === ')' && --depth === 0) break;
          }
          out.push(sql.slice(i + 1, j).replace(/\b(NEW|OLD)\.`\w+`/g, '?'));
        }
        return out;
      };
      const BIG = /^(SCAN (members|accounts|touchpoints|complaints|promises|nudges)\b(?!.*USING (COVERING )?INDEX)|SEARCH nudges USING (COVERING )?INDEX nudges_status\b)/;
      const checked: string[] = [];
      const whole: string[] = [];
      for (const t of triggers) {
        for (const q of subqueries(t.sql)) {
          const params = Array.from(q.matchAll(/\?/g), () => null);
          const plan = (client.prepare(`explain query plan ${q}`).all(...params) as { detail: string }[]).map((r) => r.detail);
          checked.push(t.name);
          if (plan.some((d) => BIG.test(d))) whole.push(`${t.name}: ${q}\n  ${plan.join('\n  ')}`);
        }
      }
      expect(checked).toContain('complaint_card_redraw');
      expect(whole).toEqual([]);
    } finally {
      h.close();
    }
  });
});
