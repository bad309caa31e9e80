// Registry authentication as Docker clients do it: the first 401's WWW-Authenticate challenge says
// how. `Basic`: user and password on every request. `Bearer`: a token from the challenge's realm for
// the scope asked (`repository:NAME:pull,push`), got with the user and password (GET, basic auth) or
// an identity token (POST, OAuth2 refresh_token), cached until it expires. Credentials are read once
// per host, on the first challenge, and never appear in an error.
import type { Credentials } from './credentials.js';
import { RegistryError } from './errors.js';
import { readBody, type HostConnection } from './http.js';

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"` → a challenge. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const pattern = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let m = pattern.exec(match[2]); m; m = pattern.exec(match[2]))
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  return { scheme, params };
}

/** What a wrong or missing credential is told: which registry, which user, where it came from. */
export function authenticationFailed(host: string, credentials: Credentials | undefined): RegistryError {
  if (!credentials)
    return new RegistryError(
      `registry ${host} requires authentication and no credentials were found for it: log in with \`docker login ${host}\` (or set DOCKER_CONFIG)`,
      'unauthorized',
    );
  const who = credentials.username ? `user ${JSON.stringify(credentials.username)}` : 'the identity token';
  return new RegistryError(
    `registry ${host} refused the credentials of ${who} (from ${credentials.source}): wrong user name or password?`,
    'unauthorized',
  );
}

interface CachedToken {
  token: string;
  expires: number;
}

/** The Authorization headers for one registry host, per scope. */
export class Authorizer {
  private challenge: Challenge | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly connection: HostConnection,
    private readonly lookup: (host: string) => Promise<Credentials | undefined>,
  ) {}

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.lookup(this.connection.host);
    return this.credentials;
  }

  /** Headers for a request in `scope`; none before the registry asked for any. */
  async headers(scope: string): Promise<Record<string, string>> {
    const challenge = this.challenge;
    if (!challenge) return {};
    const credentials = await this.creds();
    if (credentials?.registryToken) return { Authorization: `Bearer ${credentials.registryToken.reveal()}` };
    if (challenge.scheme === 'basic') {
      if (!credentials?.username || !credentials.password) return {};
      const basic = Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString('base64');
      return { Authorization: `Basic ${basic}` };
    }
    const cached = this.tokens.get(scope);
    if (cached && cached.expires > Date.now()) return { Authorization: `Bearer ${cached.token}` };
    const token = await this.fetchToken(challenge, scope, credentials);
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /**
   * Takes a 401's challenge. True when the request is worth repeating (a new challenge, or a token
   * to renew); false when these credentials were already refused.
   */
  async onUnauthorized(header: string | undefined, scope: string, hadAuthorization: boolean): Promise<boolean> {
    const challenge = parseChallenge(header);
    if (!challenge) return false;
    const known = this.challenge;
    this.challenge = challenge;
    if (!hadAuthorization) return true;
    if (challenge.scheme === 'bearer' && this.tokens.has(scope)) {
      // An expired or too narrow token: one more try with a new one.
      this.tokens.delete(scope);
      return known?.scheme === 'bearer' && challenge.params.error === 'invalid_token';
    }
    return false;
  }

  /** The error for a request refused although its credentials were sent. */
  async refused(): Promise<RegistryError> {
    return authenticationFailed(this.connection.host, await this.creds());
  }

  private async fetchToken(
    challenge: Challenge,
    scope: string,
    credentials: Credentials | undefined,
  ): Promise<string | undefined> {
    const realm = challenge.params.realm;
    if (!realm)
      throw new RegistryError(`registry ${this.connection.host}: a Bearer challenge without a realm`, 'protocol');
    const service = challenge.params.service;
    const scopes = [...new Set([scope, ...(challenge.params.scope ? challenge.params.scope.split(' ') : [])])].filter(
      (s) => s !== '',
    );
    let response;
    if (credentials?.identityToken) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.identityToken.reveal(),
        client_id: 'msbuild',
        ...(service ? { service } : {}),
        scope: scopes.join(' '),
      });
      response = await this.connection.request({
        method: 'POST',
        url: realm,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
      });
    } else {
      const query = new URLSearchParams();
      if (service) query.set('service', service);
      for (const s of scopes) query.append('scope', s);
      if (credentials?.username) query.set('account', credentials.username);
      const headers: Record<string, string> = {};
      if (credentials?.username && credentials.password)
        headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString('base64')}`;
      response = await this.connection.request({
        method: 'GET',
        url: `${realm}${realm.includes('?') ? '&' : '?'}${query.toString()}`,
        headers,
      });
    }
    const body = await readBody(response);
    if (response.status === 401 || response.status === 403)
      throw authenticationFailed(this.connection.host, credentials);
    if (response.status !== 200)
      throw new RegistryError(
        `registry ${this.connection.host}: the token service ${new URL(realm).host} answered HTTP ${response.status}`,
        'unauthorized',
      );
    const answer = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string; expires_in?: number };
    const token = answer.access_token ?? answer.token;
    if (!token)
      throw new RegistryError(`registry ${this.connection.host}: the token service sent no token`, 'protocol');
    const seconds = Math.max(60, answer.expires_in ?? 60);
    this.tokens.set(scope, { token, expires: Date.now() + (seconds - 10) * 1000 });
    return token;
  }
}
