// Byte sizes as users write them on the command line: `512m`, `2g`, `1.5GB`, `100000`.
import { UsageError } from './user-error.js';

const multipliers: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const multiplier = match ? multipliers[match[2].toLowerCase()] : undefined;
  if (!match || multiplier === undefined) throw new UsageError(`invalid size ${JSON.stringify(text)}: use e.g. 512m, 2g or 10GB`);
  return Math.floor(Number(match[1]) * multiplier);
}
