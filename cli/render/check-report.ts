// The report of `msbuild check` / `build --check`, as buildx prints a check: the count, then each
// warning with its rule, URL, message and the Dockerfile lines around it (`>>>` on the instruction).
import type { LintWarning } from '../../engine/lint/linter.js';

/** BuildKit's errdefs Source.Print: a few lines around the range, the range's lines marked. */
export function sourceExcerpt(file: string, source: string, range: LintWarning['range']): string[] {
  const lines = source.split('\n');
  let start = range.start.line;
  let end = Math.min(Math.max(range.end.line, start), lines.length);
  if (start < 1 || start > lines.length) return [];
  const first = start;
  const pad = end === start ? 4 : 2;
  for (let p = 0; p < pad;) {
    if (start > 1) {
      start--;
      p++;
    }
    if (end !== lines.length) {
      end++;
      p++;
    }
    p++;
  }
  const out = [`${file}:${first}`, '--------------------'];
  for (let i = start; i <= end; i++) {
    const marked = i >= range.start.line && i <= Math.max(range.end.line, range.start.line);
    out.push(` ${String(i).padStart(3)} | ${marked ? '>>>' : '   '} ${lines[i - 1].replace(/\r$/, '')}`);
  }
  out.push('--------------------');
  return out;
}

export function checkReportLines(result: { file: string; source: string; warnings: readonly LintWarning[] }): string[] {
  const count = result.warnings.length;
  if (count === 0) return ['Check complete, no warnings found.'];
  const lines = [`Check complete, ${count === 1 ? '1 warning has' : `${count} warnings have`} been found!`];
  for (const warning of result.warnings) {
    lines.push('', `WARNING: ${warning.rule}${warning.url ? ` - ${warning.url}` : ''}`, warning.message);
    lines.push(...sourceExcerpt(result.file, result.source, warning.range));
  }
  return lines;
}
