// A reply's charts as one PNG for Slack, which has no chart block: the SVG is Steward's own
// (src/engine/render-chart.ts), rasterised by resvg (a Rust SVG renderer shipped as a prebuilt
// binary in the npm package: no browser, no network). Its text is numbers and dates only, drawn with
// whatever sans-serif font the machine has (DejaVu on Debian); the words go in the message beside it.
import { Resvg } from '@resvg/resvg-js';
import { chartsSvg } from '../../engine/render-chart.js';
import type { Chart } from '../../engine/reply.js';

/** Pixels per SVG unit: sharp on high-density screens, which Slack scales down for the rest. */
export const PICTURE_SCALE = 2;

export interface Picture {
  png: Buffer;
  width: number;
  height: number;
}

export function chartsPicture(charts: Chart[]): Picture {
  const resvg = new Resvg(chartsSvg(charts), {
    fitTo: { mode: 'zoom', value: PICTURE_SCALE },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  const img = resvg.render();
  return { png: img.asPng(), width: img.width, height: img.height };
}
