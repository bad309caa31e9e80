// The OCI distribution API for one repository: blobs (HEAD, GET, upload, cross-repository mount) and
// manifests (GET, PUT), authenticated per request through the host's Authorizer. Registry errors are
// reported by registry, repository and the API's own error code.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Authorizer } from './auth.js';
import { findCredentials, type CredentialOptions, type Credentials } from './credentials.js';
import { RegistryError } from './errors.js';
import { defaultCertsDir, HostConnection, readBody, type HttpRequest, type HttpResponse } from './http.js';
import { apiHost, type ImageReference } from './reference.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface Manifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export const mediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

const manifestAccept = [mediaTypes.ociIndex, mediaTypes.ociManifest, mediaTypes.dockerList, mediaTypes.dockerManifest];

export interface RegistryOptions extends CredentialOptions {
  /** Docker's certs.d layout: CERTS_D/HOST/ca.crt (default MSBUILD_REGISTRY_CERTS_D, else /etc/docker/certs.d). */
  certsDir?: string;
}

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Connections and authorizers shared by every repository of a host: one set per build. */
export class Registries {
  private readonly hosts = new Map<string, { connection: HostConnection; authorizer: Authorizer }>();
  constructor(private readonly options: RegistryOptions = {}) {}

  /** The credentials msbuild would send to `domain` (for the daemon's X-Registry-Auth). */
  credentials(domain: string): Promise<Credentials | undefined> {
    return findCredentials(apiHost(domain) === domain ? domain : domain, this.options);
  }

  host(domain: string): { connection: HostConnection; authorizer: Authorizer } {
    const host = apiHost(domain);
    let entry = this.hosts.get(host);
    if (!entry) {
      const connection = new HostConnection(host, this.options.certsDir ?? defaultCertsDir(this.options.env));
      entry = { connection, authorizer: new Authorizer(connection, () => findCredentials(domain, this.options)) };
      this.hosts.set(host, entry);
    }
    return entry;
  }

  repository(ref: ImageReference): Repository {
    return new Repository(this.host(ref.domain), ref);
  }

  close(): void {
    for (const { connection } of this.hosts.values()) connection.close();
    this.hosts.clear();
  }
}

interface ApiError {
  code?: string;
  message?: string;
}

export class Repository {
  readonly name: string;
  constructor(
    private readonly host: { connection: HostConnection; authorizer: Authorizer },
    readonly ref: ImageReference,
  ) {
    this.name = `${host.connection.host}/${ref.path}`;
  }

  private scope(actions: string, path = this.ref.path): string {
    return `repository:${path}:${actions}`;
  }

  /** A request with the scope's credentials, repeated once after a challenge. `body` is made per try. */
  async send(
    request: Omit<HttpRequest, 'body'> & { body?: () => Buffer | Readable },
    actions: string,
    extraScopes: string[] = [],
  ): Promise<HttpResponse> {
    const scope = [this.scope(actions), ...extraScopes].join(' ');
    for (let attempt = 0; ; attempt++) {
      const auth = await this.host.authorizer.headers(scope);
      const { body, ...rest } = request;
      const response = await this.host.connection.request({
        ...rest,
        headers: { ...(request.headers ?? {}), ...auth },
        ...(body ? { body: body() } : {}),
      });
      if (response.status !== 401) {
        if (response.status === 403) {
          response.body.resume();
          throw new RegistryError(
            `registry ${this.host.connection.host} denied access to ${this.ref.path} (${actions}): the credentials lack the permission`,
            'denied',
          );
        }
        return response;
      }
      response.body.resume();
      const retry =
        attempt === 0 &&
        (await this.host.authorizer.onUnauthorized(
          headerOf(response, 'www-authenticate'),
          scope,
          auth.Authorization !== undefined,
        ));
      if (!retry) throw await this.host.authorizer.refused();
    }
  }

  private async failure(response: HttpResponse, what: string): Promise<RegistryError> {
    const body = await readBody(response).catch(() => Buffer.alloc(0));
    let detail = `HTTP ${response.status}`;
    try {
      const errors = (JSON.parse(body.toString('utf8')) as { errors?: ApiError[] }).errors ?? [];
      if (errors.length > 0) detail = errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`).join('; ');
    } catch {
      // Not the API's JSON: the status says it.
    }
    return new RegistryError(
      `registry ${this.host.connection.host}: ${what} ${this.ref.path} failed: ${detail}`,
      response.status === 404 ? 'not-found' : 'protocol',
    );
  }

  async ping(): Promise<void> {
    const response = await this.send({ method: 'GET', url: '/v2/' }, 'pull');
    response.body.resume();
    if (response.status !== 200) throw await this.failure(response, 'checking');
  }

  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.send({ method: 'HEAD', url: `/v2/${this.ref.path}/blobs/${digest}` }, 'pull');
    response.body.resume();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await this.failure(response, `checking blob ${digest} in`);
  }

  /** The blob's bytes as a stream, checked against its digest at the end (an error then). */
  async blob(digest: string): Promise<Readable> {
    const response = await this.send({ method: 'GET', url: `/v2/${this.ref.path}/blobs/${digest}` }, 'pull');
    if (response.status !== 200) throw await this.failure(response, `reading blob ${digest} of`);
    const hash = createHash('sha256');
    const body = response.body;
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    body.on('end', () => {
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest)
        body.destroy(
          new RegistryError(`registry ${this.host.connection.host}: blob ${digest} arrived as ${got}`, 'protocol'),
        );
    });
    return body;
  }

  async blobBytes(digest: string): Promise<Buffer> {
    const response = await this.send({ method: 'GET', url: `/v2/${this.ref.path}/blobs/${digest}` }, 'pull');
    if (response.status !== 200) throw await this.failure(response, `reading blob ${digest} of`);
    const bytes = await readBody(response, 256 << 20);
    if (sha256Digest(bytes) !== digest)
      throw new RegistryError(
        `registry ${this.host.connection.host}: blob ${digest} arrived with other content`,
        'protocol',
      );
    return bytes;
  }

  /** Mounts a blob from another repository of this registry; false when the registry would not. */
  async mountBlob(digest: string, from: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from });
    const response = await this.send(
      { method: 'POST', url: `/v2/${this.ref.path}/blobs/uploads/?${query.toString()}` },
      'pull,push',
      [this.scope('pull', from)],
    );
    response.body.resume();
    if (response.status === 201) return true;
    if (response.status === 202) {
      // The registry started an upload instead: dropped, the caller uploads.
      const location = headerOf(response, 'location');
      if (location)
        await this.send({ method: 'DELETE', url: this.absolute(location) }, 'pull,push').then(
          (r) => r.body.resume(),
          () => undefined,
        );
      return false;
    }
    return false;
  }

  private absolute(location: string): string {
    return location.startsWith('http') ? location : location.startsWith('/') ? location : `/${location}`;
  }

  /** Uploads a blob in one PUT (`body` makes the stream; called again if authentication must be repeated). */
  async uploadBlob(digest: string, size: number, body: () => Buffer | Readable): Promise<void> {
    const start = await this.send({ method: 'POST', url: `/v2/${this.ref.path}/blobs/uploads/` }, 'pull,push');
    start.body.resume();
    const location = headerOf(start, 'location');
    if (start.status !== 202 || !location) throw await this.failure(start, 'starting an upload to');
    const url = this.absolute(location);
    const separator = url.includes('?') ? '&' : '?';
    const response = await this.send(
      {
        method: 'PUT',
        url: `${url}${separator}digest=${encodeURIComponent(digest)}`,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body,
      },
      'pull,push',
    );
    if (response.status !== 201) throw await this.failure(response, `uploading blob ${digest} to`);
    response.body.resume();
  }

  /** The manifest at a tag or digest; undefined when there is none. */
  async manifest(reference: string, accept: readonly string[] = manifestAccept): Promise<Manifest | undefined> {
    const response = await this.send(
      { method: 'GET', url: `/v2/${this.ref.path}/manifests/${reference}`, headers: { Accept: accept.join(', ') } },
      'pull',
    );
    if (response.status === 404) {
      response.body.resume();
      return undefined;
    }
    if (response.status !== 200) throw await this.failure(response, `reading manifest ${reference} of`);
    const bytes = await readBody(response);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new RegistryError(
        `registry ${this.host.connection.host}: manifest ${reference} arrived with other content`,
        'protocol',
      );
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    const mediaType = declared ?? headerOf(response, 'content-type') ?? mediaTypes.ociManifest;
    return { mediaType, digest, bytes };
  }

  /** Puts a manifest under a tag (or its digest); returns its digest. */
  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const response = await this.send(
      {
        method: 'PUT',
        url: `/v2/${this.ref.path}/manifests/${reference}`,
        headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
        body: () => bytes,
      },
      'pull,push',
    );
    if (response.status !== 201) throw await this.failure(response, `putting manifest ${reference} to`);
    response.body.resume();
    return headerOf(response, 'docker-content-digest') ?? sha256Digest(bytes);
  }
}

function headerOf(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
