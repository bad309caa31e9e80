// The /etc/hosts and /etc/resolv.conf a RUN sees, as BuildKit writes them (executor/oci/hosts.go,
// resolvconf.go): hosts names localhost and the sandbox; resolv.conf is the host's, from
// systemd-resolved's file when the host's names only its stub resolver, and outside host
// networking without loopback (or IPv6) name servers, falling back to Google's when none is left.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

export const sandboxHostname = 'buildkitsandbox';

export function hostsFile(hostname = sandboxHostname, extraHosts: ReadonlyArray<{ host: string; ip: string }> = []) {
  let text = `127.0.0.1\tlocalhost ${hostname || sandboxHostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  for (const { host, ip } of extraHosts) text += `${ip}\t${host}\n`;
  return text;
}

interface ParsedResolvConf {
  nameServers: string[];
  search: string[];
  options: string[];
  other: string[];
}

/** resolv.conf lines as BuildKit's parser keeps them (comments and blank lines dropped). */
export function parseResolvConf(text: string): ParsedResolvConf {
  const parsed: ParsedResolvConf = { nameServers: [], search: [], options: [], other: [] };
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '') continue;
    switch (fields[0]) {
      case 'nameserver':
        if (fields.length >= 2 && isIP(fields[1].replace(/%.*$/, ''))) parsed.nameServers.push(fields[1]);
        break;
      case 'domain':
      case 'search':
        if (fields.length >= 2) parsed.search = fields.slice(1);
        break;
      case 'options':
        if (fields.length >= 2) parsed.options.push(...fields.slice(1));
        break;
      default:
        parsed.other.push(line);
    }
  }
  return parsed;
}

function isLoopback(address: string): boolean {
  const bare = address.replace(/%.*$/, '');
  return isIP(bare) === 4 ? bare.startsWith('127.') : bare === '::1';
}

/** The resolv.conf for a RUN: `host` networking keeps the host's file as it is. */
export function resolvConfFor(hostText: string, network: 'host' | 'other'): string {
  const parsed = parseResolvConf(hostText);
  if (network !== 'host' || parsed.nameServers.length === 0) {
    // BuildKit's TransformForLegacyNw(ipv6 = true): loopback addresses only answer in the host's namespace.
    parsed.nameServers = parsed.nameServers.filter((address) => !isLoopback(address));
    if (parsed.nameServers.length === 0)
      parsed.nameServers = ['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844'];
  }
  let text = parsed.nameServers.map((address) => `nameserver ${address}\n`).join('');
  if (parsed.search.length > 0) text += `search ${parsed.search.join(' ')}\n`;
  if (parsed.options.length > 0) text += `options ${parsed.options.join(' ')}\n`;
  for (const line of parsed.other) text += `${line}\n`;
  return text;
}

/** The host's resolver file BuildKit starts from: systemd-resolved's own when the stub is all there is. */
export async function readHostResolvConf(network: 'host' | 'other'): Promise<string> {
  const main = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (network === 'host') return main;
  const servers = parseResolvConf(main).nameServers;
  if (servers.length === 1 && servers[0] === '127.0.0.53')
    return readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => main);
  return main;
}
