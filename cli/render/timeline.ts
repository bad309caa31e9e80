// The build as a Gantt picture (`--timeline build.svg|.html`): a row per stage, a bar per step placed by
// when it ran, coloured by how it ended, the critical path outlined. Standalone SVG, no scripts.
import type { BuildEvent } from '../../engine/events.js';
import { formatSeconds } from './format.js';
import { stepLabel } from './plain.js';
import { recordBuild, type BuildRecord, type SpanStatus, type StepSpan } from './spans.js';

const width = 960;
const plotLeft = 170;
const plotRight = width - 30;
const rowsTop = 64;
const rowHeight = 28;
const barHeight = 18;
/** Rough width of a character at the bar label's size: decides whether a name fits in its bar. */
const labelCharWidth = 6.2;

const colours: Record<SpanStatus, string> = {
  run: '#3b82f6',
  cached: '#9ca3af',
  failed: '#dc2626',
  cancelled: '#f59e0b',
};
const statusWords: Record<SpanStatus, string> = {
  run: 'ran',
  cached: 'cached',
  failed: 'failed',
  cancelled: 'cancelled',
};
const criticalStroke = '#111827';

/** Text made safe for XML content and attribute values; characters XML 1.0 forbids are dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function shorten(text: string, chars: number): string {
  const all = [...text];
  return all.length <= chars ? text : `${all.slice(0, Math.max(0, chars - 1)).join('')}…`;
}

/** A tick spacing of 1, 2 or 5 times a power of ten giving about `count` ticks over `span` seconds. */
export function tickStep(span: number, count = 8): number {
  const rough = Math.max(span, 0.001) / count;
  const exponent = Math.floor(Math.log10(rough));
  // Dividing by a power of ten keeps 0.2 exact where multiplying by 0.1 would not.
  const scaled = (factor: number) => (exponent < 0 ? factor / 10 ** -exponent : factor * 10 ** exponent);
  const factor = [1, 2, 5, 10].find((f) => scaled(f) >= rough) ?? 10;
  return scaled(factor);
}

function tickLabel(seconds: number, step: number): string {
  if (seconds === 0) return '0s';
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
  return `${seconds.toFixed(decimals)}s`;
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function titleText(record: BuildRecord): string {
  const seconds = formatSeconds(record.summary?.seconds ?? (record.end - record.start) / 1000);
  const image = record.summary
    ? record.summary.tags.length > 0
      ? record.summary.tags.join(', ')
      : record.summary.imageId.replace(/^sha256:/, '').slice(0, 12) || `target ${record.target}`
    : `target ${record.target}`;
  if (record.error) return `msbuild: ${image} failed after ${seconds}`;
  if (!record.summary) return `msbuild: ${image} stopped after ${seconds}`;
  return `msbuild: ${image} built in ${seconds}`;
}

function barSvg(span: StepSpan, x: (time: number) => number, y: number, critical: boolean): string {
  const left = x(span.start);
  // A cached step takes milliseconds: it still gets a visible sliver.
  const barWidth = Math.max(2, x(span.end) - left);
  const seconds = formatSeconds((span.end - span.start) / 1000);
  const saved = span.savedSeconds !== undefined ? `, saved ${formatSeconds(span.savedSeconds)}` : '';
  const tooltip = `${stepLabel(span.step)} (${span.step.id}): ${statusWords[span.status]}, ${seconds}${saved}${critical ? ', on the critical path' : ''}`;
  const outline = critical ? `stroke="${criticalStroke}" stroke-width="2.5"` : 'stroke="#ffffff" stroke-width="1"';
  const classes = `step ${span.status}${critical ? ' critical' : ''}`;
  const parts = [
    `<rect class="${classes}" data-step="${xmlEscape(span.step.id)}" x="${round(left)}" y="${round(y)}" width="${round(barWidth)}" height="${barHeight}" rx="2" fill="${colours[span.status]}" ${outline}><title>${xmlEscape(tooltip)}</title></rect>`,
  ];
  const chars = Math.floor((barWidth - 8) / labelCharWidth);
  if (chars >= 6) {
    const fill = span.status === 'cached' || span.status === 'cancelled' ? '#111827' : '#ffffff';
    parts.push(
      `<text class="bar-label" x="${round(left + 4)}" y="${round(y + barHeight / 2 + 4)}" font-size="11" fill="${fill}" pointer-events="none">${xmlEscape(shorten(span.step.name, chars))}</text>`,
    );
  }
  return parts.join('');
}

function legendSvg(y: number): string {
  const entries: Array<[string, string, string]> = [
    [colours.run, 'ran', 'stroke="#ffffff"'],
    [colours.cached, 'cached', 'stroke="#ffffff"'],
    [colours.failed, 'failed', 'stroke="#ffffff"'],
    [colours.cancelled, 'cancelled', 'stroke="#ffffff"'],
    ['#ffffff', 'critical path', `stroke="${criticalStroke}" stroke-width="2.5"`],
  ];
  let x = plotLeft;
  const parts: string[] = [];
  for (const [fill, label, stroke] of entries) {
    parts.push(`<rect class="swatch" x="${x}" y="${y}" width="14" height="12" rx="2" fill="${fill}" ${stroke}/>`);
    parts.push(`<text x="${x + 20}" y="${y + 10}" font-size="12">${label}</text>`);
    x += 30 + label.length * 7;
  }
  return `<g class="legend">${parts.join('')}</g>`;
}

export function timelineSvg(events: BuildEvent[]): string {
  const record = recordBuild(events);
  const end = Math.max(record.end, record.start + 1);
  const spanSeconds = (end - record.start) / 1000;
  const x = (time: number) => plotLeft + ((time - record.start) / (end - record.start)) * (plotRight - plotLeft);
  const critical = new Set(record.summary?.criticalPath ?? []);
  const rowOf = new Map(record.stages.map((stage, row) => [stage.index, row]));
  const rowsBottom = rowsTop + record.stages.length * rowHeight;
  const height = rowsBottom + 56;
  const parts: string[] = [];

  parts.push(
    `<text class="title" x="12" y="26" font-size="16" font-weight="bold">${xmlEscape(titleText(record))}</text>`,
  );
  record.stages.forEach((stage, row) => {
    const top = rowsTop + row * rowHeight;
    parts.push(
      `<rect class="row" x="0" y="${top}" width="${width}" height="${rowHeight}" fill="${row % 2 === 0 ? '#f9fafb' : '#ffffff'}"/>`,
    );
    parts.push(
      `<text class="stage" x="${plotLeft - 10}" y="${top + rowHeight / 2 + 4}" font-size="12" text-anchor="end">${xmlEscape(shorten(stage.name, 24))}<title>${xmlEscape(`stage ${stage.index}: ${stage.name}`)}</title></text>`,
    );
  });
  const step = tickStep(spanSeconds);
  const axis: string[] = [];
  for (let n = 0; n * step <= spanSeconds + step * 1e-9; n++) {
    const tick = n * step;
    const tx = round(x(record.start + tick * 1000));
    axis.push(`<line x1="${tx}" y1="${rowsTop - 6}" x2="${tx}" y2="${rowsBottom}" stroke="#e5e7eb"/>`);
    axis.push(
      `<text x="${tx}" y="${rowsTop - 10}" font-size="11" text-anchor="middle" fill="#4b5563">${tickLabel(tick, step)}</text>`,
    );
  }
  parts.push(
    `<g class="axis">${axis.join('')}<line x1="${plotLeft}" y1="${rowsBottom}" x2="${plotRight}" y2="${rowsBottom}" stroke="#9ca3af"/></g>`,
  );
  const bars = record.spans.map((span) =>
    barSvg(
      span,
      x,
      rowsTop + (rowOf.get(span.step.stageIndex) ?? 0) * rowHeight + (rowHeight - barHeight) / 2,
      critical.has(span.step.id),
    ),
  );
  parts.push(`<g class="steps">${bars.join('')}</g>`);
  parts.push(legendSvg(rowsBottom + 22));

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** The timeline in a page of its own, for `--timeline build.html`. */
export function timelineHtml(events: BuildEvent[]): string {
  const title = xmlEscape(titleText(recordBuild(events)));
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${title}</title>`,
    '<style>body { margin: 16px; background: #f3f4f6; } svg { max-width: 100%; height: auto; box-shadow: 0 1px 3px rgba(0,0,0,.15); }</style>',
    '</head>',
    '<body>',
    timelineSvg(events).trimEnd(),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
