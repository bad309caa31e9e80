// Go's time.ParseDuration, which HEALTHCHECK options use (`30s`, `1m30s`, `1.5h`, `300ms`).

const unitNanoseconds: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds in `text`, or an Error with Go's message. */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    if (!number || (number[1] === '' && (number[2] === undefined || number[2] === ''))) throw invalid();
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]+/.exec(rest);
    if (!unit) throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
    const scale = unitNanoseconds[unit[0]];
    if (scale === undefined)
      throw new Error(`time: unknown unit ${JSON.stringify(unit[0])} in duration ${JSON.stringify(text)}`);
    rest = rest.slice(unit[0].length);
    const whole = number[1] === '' ? 0 : Number(number[1]);
    const fraction = number[2] ? Number(`0.${number[2]}`) : 0;
    total += whole * scale + Math.floor(fraction * scale);
  }
  if (total > 9223372036854775807) throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  return sign * total;
}
