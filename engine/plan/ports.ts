// EXPOSE port specs (`80`, `8080/tcp`, `53/udp`, `7000-7002`) → `port/proto` keys, as BuildKit parses them.

function portNumber(text: string): number {
  if (text === '') throw new Error('value is empty');
  if (!/^[+-]?\d+$/.test(text)) throw new Error('invalid syntax');
  const port = Number(text);
  if (port < 0 || port > 65535) throw new Error('value out of range (0–65535)');
  return port;
}

function portRange(text: string): [number, number] {
  if (text === '') throw new Error('empty string specified for ports');
  const dash = text.indexOf('-');
  const start = dash < 0 ? text : text.slice(0, dash);
  const end = dash < 0 ? undefined : text.slice(dash + 1);
  const first = portNumber(start);
  if (end === undefined || end === start) return [first, first];
  const last = portNumber(end);
  if (last < first) throw new Error(`invalid port range: ${text}`);
  return [first, last];
}

/** One spec `[ip:][hostPort:]containerPort[/proto]` → its `port/proto` keys. */
export function parsePort(raw: string): string[] {
  let rest = raw;
  // Docker accepts (and ignores) an IP and host port; only the container side is exposed.
  const lastColon = rest.lastIndexOf(':');
  if (lastColon >= 0) rest = rest.slice(lastColon + 1);
  const slash = rest.indexOf('/');
  const port = slash < 0 ? rest : rest.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : rest.slice(slash + 1);
  if (port === '') throw new Error(`invalid port: ${JSON.stringify(raw)}: no port specified: ${rest}<empty>`);
  if (proto === '' || !['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) {
    throw new Error(`invalid port: ${JSON.stringify(raw)}: invalid proto: ${proto}`);
  }
  let range: [number, number];
  try {
    range = portRange(port);
  } catch {
    throw new Error(`invalid containerPort: ${port}`);
  }
  const keys: string[] = [];
  for (let p = range[0]; p <= range[1]; p++) keys.push(`${p}/${proto.toLowerCase()}`);
  return keys;
}

export function parsePorts(specs: readonly string[]): string[] {
  return specs.flatMap(parsePort);
}
