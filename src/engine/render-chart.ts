// A Chart (reply.ts) where no chart component exists: as a table (Slack's message, which the picture
// only accompanies), as sparklines (the shell, every message's plain text), and as an SVG that a
// platform adapter rasterises (Slack's picture). Pure: the same chart always gives the same output.
import { clean, columns, pad, scaleMax } from './render-text.js';
import type { Chart, ChartTone } from './reply.js';

/** Each tone's colour, on every platform that draws the chart. */
export const TONE_COLOUR: Record<ChartTone, string> = { good: '#2e9e5b', warn: '#f0a030', bad: '#d64545', accent: '#3b73d9' };

/** The chart as a table of monospaced lines: the x labels across, a row per series. */
export function chartTable(c: Chart): string[] {
  const label = Math.max(0, ...c.series.map((s) => columns(clean(s.label))));
  const cell = Math.max(2, ...c.x.map((x) => x.length), ...c.series.flatMap((s) => s.values.map((v) => String(v).length)));
  const row = (head: string, cells: string[]) => `${pad(head, label)}  ${cells.map((x) => x.padStart(cell)).join(' ')}`.trimEnd();
  return [
    row(
      '',
      c.x.map((x) => clean(x)),
    ),
    ...c.series.map((s) =>
      row(
        clean(s.label),
        s.values.map((v) => String(v)),
      ),
    ),
  ];
}

// The picture's geometry (px at scale 1).
export const SVG_WIDTH = 720;
const PANEL = 250;
const LEFT = 44;
const RIGHT = 16;
const TOP = 22;
const BOTTOM = 34;
const FONT = 'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif"';

/** A round ceiling for the y axis: 1, 2 or 5 times a power of ten, at least 1. */
function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const f1 = (n: number) => (Math.round(n * 10) / 10).toString();

function panel(c: Chart, y0: number): string {
  const plotW = SVG_WIDTH - LEFT - RIGHT;
  const plotH = PANEL - TOP - BOTTOM;
  const top = y0 + TOP;
  const base = top + plotH;
  const max = niceMax(scaleMax(c));
  const y = (v: number) => base - (v / max) * plotH;
  const out: string[] = [];
  // Grid lines and their values at 0, half and the top.
  for (const v of [0, max / 2, max]) {
    if (!Number.isInteger(v)) continue;
    out.push(`<line x1="${LEFT}" y1="${f1(y(v))}" x2="${SVG_WIDTH - RIGHT}" y2="${f1(y(v))}" stroke="#d9dce1" stroke-width="1"/>`);
    out.push(`<text x="${LEFT - 6}" y="${f1(y(v) + 4)}" text-anchor="end" font-size="12" fill="#5f6670" ${FONT}>${v}</text>`);
  }
  const step = plotW / Math.max(1, c.x.length);
  c.x.forEach((label, i) => {
    const cx = LEFT + step * (i + 0.5);
    out.push(`<text x="${f1(cx)}" y="${base + 20}" text-anchor="middle" font-size="12" fill="#5f6670" ${FONT}>${escapeXml(label)}</text>`);
    if (c.kind === 'stacked') {
      const w = step * 0.6;
      let acc = 0;
      for (const s of c.series) {
        const v = s.values[i] ?? 0;
        if (v > 0) out.push(`<rect x="${f1(cx - w / 2)}" y="${f1(y(acc + v))}" width="${f1(w)}" height="${f1(y(acc) - y(acc + v))}" fill="${TONE_COLOUR[s.tone]}"/>`);
        acc += v;
      }
      out.push(`<text x="${f1(cx)}" y="${f1(y(acc) - 5)}" text-anchor="middle" font-size="12" fill="#2b2f36" ${FONT}>${acc}</text>`);
    } else {
      const n = Math.max(1, c.series.length);
      const w = (step * 0.7) / n;
      c.series.forEach((s, k) => {
        const v = s.values[i] ?? 0;
        const x = cx - (step * 0.7) / 2 + k * w;
        if (v > 0) out.push(`<rect x="${f1(x)}" y="${f1(y(v))}" width="${f1(w - 2)}" height="${f1(base - y(v))}" fill="${TONE_COLOUR[s.tone]}"/>`);
        out.push(`<text x="${f1(x + (w - 2) / 2)}" y="${f1(y(v) - 4)}" text-anchor="middle" font-size="11" fill="#2b2f36" ${FONT}>${v}</text>`);
      });
    }
  });
  out.push(`<line x1="${LEFT}" y1="${base}" x2="${SVG_WIDTH - RIGHT}" y2="${base}" stroke="#9aa0a8" stroke-width="1"/>`);
  return out.join('');
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The picture's height for `n` charts. */
export const svgHeight = (n: number) => n * PANEL;

/**
 * Charts one above the other as an SVG. Only numbers and the x labels (dates) are drawn: the series'
 * names and the headings go in the message beside the picture, so a machine without a CJK font
 * still draws a Chinese reader's picture whole.
 */
export function chartsSvg(charts: Chart[]): string {
  const h = svgHeight(charts.length);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${h}" viewBox="0 0 ${SVG_WIDTH} ${h}"><rect width="100%" height="100%" fill="#ffffff"/>${charts
    .map((c, i) => panel(c, i * PANEL))
    .join('')}</svg>`;
}
