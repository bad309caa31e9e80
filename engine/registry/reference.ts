// Image references as Docker reads them (distribution/reference's normalization): the registry host,
// the repository path on it, and a tag or digest. `golang` is `docker.io/library/golang:latest`;
// `127.0.0.1:5000/app` names the registry on 127.0.0.1:5000.
import { RegistryError } from './errors.js';

export interface ImageReference {
  /** Registry host as written (`docker.io` for Docker Hub), with its port. */
  domain: string;
  /** Repository path on the registry, e.g. `library/golang`. */
  path: string;
  tag?: string;
  digest?: string;
}

const dockerHub = 'docker.io';

/** Parses a reference; a missing tag (and no digest) is `latest`. */
export function parseReference(text: string): ImageReference {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest))
      throw new RegistryError(`invalid reference ${JSON.stringify(text)}: bad digest`, 'reference');
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag))
      throw new RegistryError(`invalid reference ${JSON.stringify(text)}: bad tag`, 'reference');
  }
  const components = rest.split('/');
  const first = components[0];
  let domain = dockerHub;
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    components.shift();
  }
  if (domain === 'index.docker.io') domain = dockerHub;
  if (domain === dockerHub && components.length === 1) components.unshift('library');
  const path = components.join('/');
  if (path === '' || !components.every((c) => /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/.test(c)))
    throw new RegistryError(`invalid reference ${JSON.stringify(text)}: bad repository name`, 'reference');
  return {
    domain,
    path,
    ...(tag === undefined && digest === undefined ? { tag: 'latest' } : tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** The host the registry API is reached at (Docker Hub's API is not at docker.io). */
export function apiHost(domain: string): string {
  return domain === dockerHub ? 'registry-1.docker.io' : domain;
}

/** `domain/path`, as Docker writes the repository of a reference (Hub's `library/` kept). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `domain/path:tag` or `domain/path@digest`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The same reference with another tag (no digest). */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  return { domain: ref.domain, path: ref.path, tag };
}

/** Whether `host` (with or without a port) is this machine: Docker trusts such registries over plain HTTP. */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
