// Image references with distribution/reference's grammar (what the daemon applies to tags, and what
// ParseNormalizedNamed accepts as a base name): `name[:tag]` split for the tag API, the tag a bare
// name means, and why a string cannot be a tag or a reference. Pure string functions, no daemon.

/** `name:tag` → repo and tag as the tag API wants them (a registry port is not a tag). */
export function splitReference(reference: string): { repo: string; tag: string } {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { repo: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repo: reference, tag: 'latest' };
}

/** `name` → `name:latest`, as the daemon stores a tag given without one (a registry port is not a tag). */
export function normalizedTag(reference: string): string {
  const { repo, tag } = splitReference(reference);
  return `${repo}:${tag}`;
}

// The reference grammar of distribution/reference, which the daemon applies to tags.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainPattern = new RegExp(`^${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?$`);
const pathComponentPattern = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;

/** Why `reference` cannot be a tag (`docker build -t` refuses it before building), or undefined. */
export function tagProblem(reference: string): string | undefined {
  if (reference.includes('@')) return 'a tag cannot contain a digest';
  const { repo, tag } = splitReference(reference);
  if (reference.lastIndexOf(':') > reference.lastIndexOf('/') && !tagPattern.test(tag))
    return 'invalid reference format';
  if (repo.length > 255) return 'repository name must not be more than 255 characters';
  const components = repo.split('/');
  // As in the grammar: a first component with a dot, a port or `localhost` names a registry.
  const first = components[0];
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!domainPattern.test(first)) return 'invalid reference format';
    components.shift();
  }
  for (const component of components) {
    if (pathComponentPattern.test(component)) continue;
    return pathComponentPattern.test(component.toLowerCase())
      ? 'repository name must be lowercase'
      : 'invalid reference format';
  }
  return undefined;
}

const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Why `reference` is no image reference ParseNormalizedNamed accepts (`name[:tag][@digest]`), or undefined. */
export function referenceProblem(reference: string): string | undefined {
  let name = reference;
  const at = reference.indexOf('@');
  if (at >= 0) {
    if (!digestPattern.test(reference.slice(at + 1))) return 'invalid reference format';
    name = reference.slice(0, at);
  }
  if (/^[a-f0-9]{64}$/.test(name)) return 'cannot specify 64-byte hexadecimal strings';
  return tagProblem(name);
}
