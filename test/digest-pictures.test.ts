// The weekly digest's trends as pictures where the platform can (issue #20 part 7): the eight-week
// series the domain reads (src/domain/digest.ts digestTrends), a chart component in the Lark card, a
// PNG uploaded to Slack with files.uploadV2 beside the message that keeps its tables, and sparklines
// in the shell. The digests are composed from a real book; Slack and Lark are their local fakes.
import { Writable } from 'node:stream';
import * as lark from '@larksuiteoapi/node-sdk';
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Locale } from '../db/schema.js';
import { LarkPort } from '../src/chat/lark/port.js';
import { ShellPort } from '../src/chat/shell/port.js';
import { PICTURE_SCALE } from '../src/chat/slack/picture.js';
import { SlackPort } from '../src/chat/slack/port.js';
import { digestTrends, digestWeek } from '../src/domain/digest.js';
import { healthOf } from '../src/domain/health.js';
import { SVG_WIDTH, svgHeight } from '../src/engine/render-chart.js';
import { renderText } from '../src/engine/render-text.js';
import type { Chart, Reply } from '../src/engine/reply.js';
import { digestFor } from '../src/views/digest.js';
import { chartProblem, FakeLark, FAKE_APP } from './fake-lark.js';
import { FakeSlack } from './fake-slack.js';
import { harness, type Harness } from './harness.js';
import { cst, DAY, kit } from './kit.js';
import { transact } from '../db/index.js';

/** Monday 12 October 2026, 10:00 in Shanghai: the digest's time. */
const D = cst('2026-10-12T10:00');

let h: Harness;
afterEach(() => h?.close());
const { ok, tenant, member } = kit(() => h);

/**
 * li manages zhang. Acme and Beta from 1 September, Gamma from 29 September. Complaints: C-1 opened 10 Sep and resolved 24 Sep, C-2
 * opened 30 Sep and still open, C-3 opened 8 Oct and resolved 9 Oct.
 */
async function book(locale?: Locale) {
  h = harness({ now: cst('2026-09-01T10:00'), ...(locale ? { locale } : {}) });
  const at = async (local: string, ...commands: string[]) => {
    h.now = cst(local);
    for (const c of commands) await ok(c, 'zhang');
  };
  await ok('/steward team @zhang manager:@li');
  await at(
    '2026-09-01T10:00',
    '/account add Acme tier:strategic owner:@zhang',
    '/account add Beta tier:key owner:@zhang',
    '/touch Acme visit Kick-off',
    '/touch Beta visit Kick-off',
  );
  await at('2026-09-10T10:00', '/complaint Acme severity:high category:damage 3 pallets crushed');
  await at('2026-09-24T10:00', '/resolve C-1 Claim paid');
  await at('2026-09-29T10:00', '/account add Gamma tier:standard owner:@zhang');
  await at('2026-09-30T10:00', '/complaint Beta severity:critical category:delay Line stopped');
  await at('2026-10-08T10:00', '/complaint Gamma severity:low category:billing Invoice typo');
  await at('2026-10-09T10:00', '/resolve C-3 Fixed');
  h.now = D;
}

const compose = async (name = 'li'): Promise<Reply> => await transact(h.db, async (tx) => digestFor(tx, await tenant(), await member(name), D));
const charts = (r: Reply): Chart[] => r.sections.flatMap((s) => (s.type === 'chart' ? [s.chart] : []));

describe('the eight weeks the digest reads', () => {
  beforeEach(() => book());

  it('counts complaints opened and resolved in the week each happened', async () => {
    const t = await transact(h.db, async (tx) =>
      digestTrends(
        tx,
        await tenant(),
        (await digestWeek(tx, await tenant(), await member('li'), D, 'Asia/Shanghai')).book.map((b) => b.a.id),
        D,
        'Asia/Shanghai',
      ),
    );
    // Weeks end on the Mondays at 10:00, 24 Aug … 12 Oct; each holds the seven days before its end.
    expect(t.weeks.map((w) => w.day)).toEqual(['2026-08-24', '2026-08-31', '2026-09-07', '2026-09-14', '2026-09-21', '2026-09-28', '2026-10-05', '2026-10-12']);
    expect(t.opened).toEqual([0, 0, 0, 1, 0, 0, 1, 1]);
    expect(t.resolved).toEqual([0, 0, 0, 0, 0, 1, 0, 1]);
  });

  it("reads each week's bands as the score did then: this week and four weeks ago agree with healthOf, and an account counts from its creation", async () => {
    const { t, scores } = await transact(h.db, async (tx) => {
      const ids = (await digestWeek(tx, await tenant(), await member('li'), D, 'Asia/Shanghai')).book.map((b) => b.a.id);
      return { t: await digestTrends(tx, await tenant(), ids, D, 'Asia/Shanghai'), scores: [...(await healthOf(tx, await tenant(), ids, D)).values()] };
    });
    const at = (i: number) => ({ healthy: t.bands.healthy[i], watch: t.bands.watch[i], 'at-risk': t.bands['at-risk'][i] });
    const count = (key: 'now' | 'before') => ({
      healthy: scores.filter((s) => s[key].band === 'healthy').length,
      watch: scores.filter((s) => s[key].band === 'watch').length,
      'at-risk': scores.filter((s) => s[key].band === 'at-risk').length,
    });
    expect(at(7)).toEqual(count('now'));
    // Four weeks before the digest (14 September): Gamma did not exist yet, so two accounts, not three.
    expect(at(3)).toMatchObject({ ...count('before'), healthy: count('before').healthy - 1 });
    const totals = t.weeks.map((_, i) => t.bands.healthy[i]! + t.bands.watch[i]! + t.bands['at-risk'][i]!);
    expect(totals).toEqual([0, 0, 2, 2, 2, 2, 3, 3]);
    // Acme slips to watch while C-1 is open past its deadline (21 September) and is healthy again once it is
    // resolved; Beta is on watch from the week the critical C-2 opened on it.
    expect(t.bands).toEqual({ healthy: [0, 0, 2, 2, 1, 2, 2, 2], watch: [0, 0, 0, 0, 1, 0, 1, 1], 'at-risk': [0, 0, 0, 0, 0, 0, 0, 0] });
  });
});

describe('the shell', () => {
  beforeEach(() => book());

  it('prints a sparkline line per series', async () => {
    let out = '';
    const port = new ShellPort(
      new Writable({
        write(chunk, _enc, done) {
          out += String(chunk);
          done();
        },
      }),
    );
    await port.post({ dm: { platformUserId: 'li', name: 'li' } }, await compose());
    const lines = out.split('\n');
    const i = lines.indexOf('  Complaints opened and resolved per week, last 8 weeks (08-24 – 10-12)');
    expect(lines.slice(i, i + 3)).toEqual([
      '  Complaints opened and resolved per week, last 8 weeks (08-24 – 10-12)',
      '    opened    ▁▁▁█▁▁██  0 0 0 1 0 0 1 1',
      '    resolved  ▁▁▁▁▁█▁█  0 0 0 0 0 1 0 1',
    ]);
    expect(out).toContain('  Accounts by health, last 8 weeks (08-24 – 10-12)\n    healthy  ');
    expect(out).toMatch(/\n {4}at risk {2}[▁▂▃▄▅▆▇█]{8} {2}(\d+ ){7}\d+\n/);
  });
});

describe('the shell, for a Chinese reader', () => {
  it('lines the sparklines up under Chinese labels, which take two columns a character', async () => {
    await book('zh-CN');
    const lines = renderText(await compose()).split('\n');
    const i = lines.indexOf('近8周客户健康分布 (08-24 – 10-12)');
    expect(lines.slice(i, i + 4)).toEqual([
      '近8周客户健康分布 (08-24 – 10-12)',
      '  健康    ▁▁██▅███  0 0 2 2 1 2 2 2',
      '  关注    ▁▁▁▁▅▁▅▅  0 0 0 0 1 0 1 1',
      '  高风险  ▁▁▁▁▁▁▁▁  0 0 0 0 0 0 0 0',
    ]);
  });
});

describe('Lark: the chart component of card JSON 2.0', () => {
  let fake: FakeLark;
  beforeEach(async () => {
    fake = new FakeLark();
    await fake.start();
    fake.addUser({ open_id: 'ou_li', name: 'li' } as never);
  });
  afterEach(() => fake.stop());

  const send = async (reply: Reply, locale: Locale = 'en') => {
    const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };
    const client = new lark.Client({ ...FAKE_APP, domain: fake.url, loggerLevel: lark.LoggerLevel.error, logger: quiet });
    const port = new LarkPort(client, { locale });
    const ref = await port.post({ dm: { platformUserId: 'ou_li', name: 'li' } }, reply);
    return fake.messages.get(ref.ts)!.content;
  };
  const chartsIn = (card: Record<string, any>) => (card.body.elements as Record<string, any>[]).filter((e) => e.tag === 'chart');

  it('the digest card carries both charts, with the weeks’ numbers, and Lark takes it', async () => {
    await book();
    const reply = await compose();
    const card = await send(reply);
    expect(chartProblem(card)).toBeUndefined();
    const [bands, complaints] = chartsIn(card);
    expect(bands).toMatchObject({ tag: 'chart', chart_spec: { type: 'bar', stack: true, xField: 'x', yField: 'value', seriesField: 'series' } });
    expect(complaints!.chart_spec).toMatchObject({ type: 'bar', stack: false, xField: ['x', 'series'], title: { text: 'Complaints opened and resolved per week, last 8 weeks' } });
    const series = (el: Record<string, any>, name: string) => (el.chart_spec.data[0].values as { x: string; series: string; value: number }[]).filter((v) => v.series === name);
    expect(series(complaints!, 'opened').map((v) => v.value)).toEqual([0, 0, 0, 1, 0, 0, 1, 1]);
    expect(series(complaints!, 'resolved').map((v) => [v.x, v.value])).toEqual([
      ['08-24', 0],
      ['08-31', 0],
      ['09-07', 0],
      ['09-14', 0],
      ['09-21', 0],
      ['09-28', 1],
      ['10-05', 0],
      ['10-12', 1],
    ]);
    const [model] = charts(reply);
    for (const s of model!.series) expect(series(bands!, s.label).map((v) => v.value)).toEqual(s.values);
    expect(bands!.chart_spec.color).toEqual({ type: 'ordinal', domain: ['healthy', 'watch', 'at risk'], range: ['#2e9e5b', '#f0a030', '#d64545'] });
  });

  it('a Chinese reader’s chart is labelled in Chinese (Lark draws the words itself)', async () => {
    await book('zh-CN');
    const card = await send(await compose(), 'zh-CN');
    const [bands] = chartsIn(card);
    expect(bands!.chart_spec.title.text).toBe('近8周客户健康分布');
    expect(bands!.chart_spec.color.domain).toEqual(['健康', '关注', '高风险']);
  });

  it('the fake refuses a chart that is no VChart spec, as Lark does', () => {
    expect(chartProblem({ body: { elements: [{ tag: 'chart', chart_spec: { type: 'bar', data: [{ values: [{ x: 1 }] }], xField: 'x', yField: 'value' } }] } })).toBe(
      'chart value without field value',
    );
    expect(chartProblem({ body: { elements: [{ tag: 'chart', chart_spec: {} }] } })).toBe('chart_spec needs a type');
  });
});

describe('Slack: a PNG through files.uploadV2, the tables kept in the message', () => {
  let fake: FakeSlack;
  let port: SlackPort;
  let warned: unknown[];
  beforeEach(async () => {
    fake = new FakeSlack();
    await fake.start();
    warned = [];
    const client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    port = new SlackPort(client, { warn: (...a: unknown[]) => void warned.push(a) } as never);
    await book();
  });
  afterEach(() => fake.close());

  const li = { dm: { platformUserId: 'U0LI', name: 'li' } };
  const messageText = () => JSON.stringify(fake.callsTo('chat.postMessage')[0]!.body.blocks);
  const TABLE = ['opened        0     0     0     1     0     0     1     1'];

  it('posts the digest with its tables, then the picture in three calls to the same conversation', async () => {
    const posted = await port.post(li, await compose());
    expect(fake.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
    // The message reads whole without the picture: each chart as a table in a code block.
    expect(messageText()).toContain('*Complaints opened and resolved per week, last 8 weeks*');
    expect(messageText()).toContain(TABLE[0]);
    const [file] = [...fake.files.values()];
    expect(file).toMatchObject({ filename: 'trends.png', channel: posted.channel });
    expect(posted.channel).toBe('D0LI');
    // A PNG: its signature, then the IHDR chunk's width and height.
    const png = file!.data!;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([SVG_WIDTH * PICTURE_SCALE, svgHeight(2) * PICTURE_SCALE]);
    expect(png.length).toBe(file!.length);
    // The picture draws numbers and dates; its key is the comment beside it, in the reader's words.
    expect(file!.initialComment).toBe(
      'Accounts by health, last 8 weeks: 🟩 healthy · 🟧 watch · 🟥 at risk\nComplaints opened and resolved per week, last 8 weeks: 🟥 opened · 🟩 resolved',
    );
    expect(file!.altText).toContain('opened    ▁▁▁█▁▁██  0 0 0 1 0 0 1 1');
    expect(warned).toEqual([]);
  });

  it('without the files:write scope the digest is still delivered, with its tables', async () => {
    fake.fail('files.getUploadURLExternal', { error: 'missing_scope', needed: 'files:write' });
    const posted = await port.post(li, await compose());
    expect(posted.channel).toBe('D0LI');
    expect(messageText()).toContain(TABLE[0]);
    expect(fake.callsTo('files.completeUploadExternal')).toEqual([]);
    expect(warned).toHaveLength(1);
  });

  it('an upload the file server refuses still leaves the digest delivered, and nothing shared', async () => {
    fake.failUploads = 1;
    const posted = await port.post(li, await compose());
    expect(posted.ts).toBeTruthy();
    expect(messageText()).toContain(TABLE[0]);
    expect(fake.callsTo('files.completeUploadExternal')).toEqual([]);
    expect([...fake.files.values()].every((f) => f.channel === undefined)).toBe(true);
    expect(warned).toHaveLength(1);
  });

  it("a Chinese reader's picture has no words to draw: its key, in Chinese, is the comment beside it", async () => {
    h.close();
    await book('zh-CN');
    await port.post(li, await compose());
    const [file] = [...fake.files.values()];
    expect(file!.initialComment).toBe('近8周客户健康分布：🟩 健康 · 🟧 关注 · 🟥 高风险\n近8周每周投诉（新增与解决）：🟥 新增 · 🟩 已解决');
    expect([file!.data!.readUInt32BE(16), file!.data!.readUInt32BE(20)]).toEqual([SVG_WIDTH * PICTURE_SCALE, svgHeight(2) * PICTURE_SCALE]);
  });

  it('a reply without charts uploads nothing', async () => {
    const r = await compose();
    await port.post(li, { ...r, sections: r.sections.filter((s) => s.type !== 'chart') });
    expect(fake.calls.map((c) => c.method)).toEqual(['chat.postMessage']);
  });

  it('a digest a week later reads the new week at the right end', async () => {
    h.now = new Date(D.getTime() + 7 * DAY);
    const r = await transact(h.db, async (tx) => digestFor(tx, await tenant(), await member('li'), h.now));
    expect(charts(r)[1]!.x.at(-1)).toBe('10-19');
    expect(charts(r)[1]!.series[0]!.values).toEqual([0, 0, 1, 0, 0, 1, 1, 0]);
  });
});
