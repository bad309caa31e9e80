// Build-check warnings as buildx shows them after a build (`N warnings found:` and one short line per
// warning: `Rule: message (line N)`), shared by the plain and TTY views.
import type { CheckWarningEvent } from '../../engine/events.js';

export function checkWarningLines(warnings: readonly CheckWarningEvent[]): string[] {
  if (warnings.length === 0) return [];
  const count = warnings.length === 1 ? '1 warning found' : `${warnings.length} warnings found`;
  return [
    '',
    `${count} (build checks; \`msbuild check\` shows where):`,
    ...warnings.map((w) => ` - ${w.rule}: ${w.message} (${w.file === 'Dockerfile' ? '' : `${w.file} `}line ${w.line})`),
  ];
}
