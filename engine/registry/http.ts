// HTTP(S) to registries: one keep-alive agent per host; the trust of each host (system CAs plus
// `CERTS_D/HOST/*.crt`, a client certificate from `*.cert` + `*.key`, Docker's certs.d layout; CERTS_D is
// MSBUILD_REGISTRY_CERTS_D, else /etc/docker/certs.d); plain HTTP only for loopback registries that do
// not speak TLS (Docker trusts 127.0.0.0/8 that way); redirects followed (credentials only to the same
// host); connection failures turned into one RegistryError naming the registry.
import { readdir, readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { RegistryError } from './errors.js';
import { isLoopbackHost } from './reference.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query on the host, e.g. `/v2/`. Or a full URL (a Location header). */
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** The URL answered (after redirects). */
  url: string;
}

export function defaultCertsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MSBUILD_REGISTRY_CERTS_D && env.MSBUILD_REGISTRY_CERTS_D !== ''
    ? env.MSBUILD_REGISTRY_CERTS_D
    : '/etc/docker/certs.d';
}

interface Trust {
  ca?: string[];
  cert?: Buffer;
  key?: Buffer;
}

async function readTrust(certsDir: string, host: string): Promise<Trust> {
  const dir = join(certsDir, host);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return {};
  }
  const trust: Trust = {};
  const cas = await Promise.all(names.filter((n) => n.endsWith('.crt')).map((n) => readFile(join(dir, n), 'utf8')));
  if (cas.length > 0) trust.ca = [...rootCertificates, ...cas];
  const cert = names.find((n) => n.endsWith('.cert'));
  if (cert) {
    const keyName = `${cert.slice(0, -'.cert'.length)}.key`;
    if (names.includes(keyName)) {
      trust.cert = await readFile(join(dir, cert));
      trust.key = await readFile(join(dir, keyName));
    }
  }
  return trust;
}

const tlsProtocolErrors = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);
const certificateErrors = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/;

/** One registry host's connection: scheme, trust, agent. */
export class HostConnection {
  private scheme: Promise<'https' | 'http'> | undefined;
  private trust: Promise<Trust> | undefined;
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 8 });
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });

  constructor(
    /** `host[:port]` as in references (the API host). */
    readonly host: string,
    private readonly certsDir: string = defaultCertsDir(),
  ) {}

  /** The base URL, `https://host` or (a loopback registry without TLS) `http://host`. */
  async baseUrl(): Promise<string> {
    this.scheme ??= this.probeScheme();
    return `${await this.scheme}://${this.host}`;
  }

  private async probeScheme(): Promise<'https' | 'http'> {
    if (!isLoopbackHost(this.host)) return 'https';
    try {
      const response = await this.send('https', { method: 'GET', url: '/v2/' });
      response.body.resume();
      return 'https';
    } catch (error) {
      const cause = (error as RegistryError).cause as NodeJS.ErrnoException | undefined;
      if (
        cause &&
        (tlsProtocolErrors.has(cause.code ?? '') || /wrong version number|packet length/i.test(cause.message))
      )
        return 'http';
      throw error;
    }
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    let current = request;
    let base = await this.baseUrl();
    for (let hop = 0; hop < 5; hop++) {
      const url = current.url.startsWith('http') ? current.url : `${base}${current.url}`;
      const response = await this.send(url.startsWith('https:') ? 'https' : 'http', { ...current, url });
      const location = response.headers.location;
      const redirect = [301, 302, 303, 307, 308].includes(response.status) && location !== undefined;
      if (!redirect || (current.method !== 'GET' && current.method !== 'HEAD')) return response;
      response.body.resume();
      const next = new URL(location, url);
      const sameHost = next.host === this.host;
      const headers = { ...(current.headers ?? {}) };
      if (!sameHost) delete headers.Authorization;
      current = { ...current, url: next.toString(), headers };
      base = `${next.protocol}//${next.host}`;
    }
    throw new RegistryError(`registry ${this.host}: too many redirects for ${request.url}`, 'protocol');
  }

  private async send(scheme: 'https' | 'http', request: HttpRequest): Promise<HttpResponse> {
    const url = request.url.startsWith('http') ? request.url : `${scheme}://${this.host}${request.url}`;
    const secure = url.startsWith('https:');
    const trust = secure ? await (this.trust ??= readTrust(this.certsDir, this.host)) : {};
    return new Promise<HttpResponse>((resolve, reject) => {
      const options = {
        method: request.method,
        headers: { 'User-Agent': 'msbuild', ...(request.headers ?? {}) },
        ...(request.signal ? { signal: request.signal } : {}),
        ...(secure ? { agent: this.httpsAgent, ...trust } : { agent: this.httpAgent }),
      };
      const onResponse = (response: IncomingMessage) =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response, url });
      const req = secure ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
      req.on('error', (error: NodeJS.ErrnoException) => reject(this.connectionError(error, secure)));
      const body = request.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (error) => req.destroy(error));
        body.pipe(req);
      }
    });
  }

  private connectionError(error: NodeJS.ErrnoException, secure: boolean): Error {
    if (error.name === 'AbortError') return error;
    const code = error.code ?? '';
    if (secure && certificateErrors.test(code))
      return new RegistryError(
        `cannot verify the TLS certificate of registry ${this.host} (${error.message}): put the CA that signed it in ${join(this.certsDir, this.host, 'ca.crt')}`,
        'tls',
        { cause: error },
      );
    const why: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ENOTFOUND: 'no such host',
      EAI_AGAIN: 'the host name does not resolve',
      ETIMEDOUT: 'the connection timed out',
      ECONNRESET: 'the connection was reset',
      EHOSTUNREACH: 'the host is unreachable',
    };
    return new RegistryError(`registry ${this.host} is unreachable: ${why[code] ?? error.message}`, 'unreachable', {
      cause: error,
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}

/** The whole body (bounded: manifests and JSON answers, not blobs). */
export async function readBody(response: HttpResponse, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      response.body.destroy();
      throw new RegistryError(`answer from ${response.url} is larger than ${limit} bytes`, 'protocol');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
