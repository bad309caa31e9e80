// COPY/ADD source wildcards with Go's filepath.Match rules (BuildKit matches them against whole
// relative paths: `*` and `?` never cross `/`, `[...]` classes, `\` escapes).

export function hasWildcard(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '*' || c === '?' || c === '[') return true;
    if (c === '\\') i++;
  }
  return false;
}

/** filepath.Match(pattern, name); a malformed pattern matches nothing. */
export function matchPath(pattern: string, name: string): boolean {
  try {
    return matchFrom(pattern, 0, name, 0);
  } catch {
    return false;
  }
}

function matchFrom(pattern: string, p: number, name: string, n: number): boolean {
  while (p < pattern.length) {
    const c = pattern[p];
    if (c === '*') {
      while (pattern[p] === '*') p++;
      if (p === pattern.length) return !name.slice(n).includes('/');
      for (let i = n; i <= name.length; i++) {
        if (i > n && name[i - 1] === '/') break;
        if (matchFrom(pattern, p, name, i)) return true;
      }
      return false;
    }
    if (n >= name.length) return false;
    if (c === '?') {
      if (name[n] === '/') return false;
      p++;
      n++;
      continue;
    }
    if (c === '[') {
      const end = classEnd(pattern, p);
      if (name[n] === '/' || !matchClass(pattern.slice(p + 1, end), name[n])) return false;
      p = end + 1;
      n++;
      continue;
    }
    if (c === '\\') {
      p++;
      if (p >= pattern.length) throw new Error('bad pattern');
    }
    if (pattern[p] !== name[n]) return false;
    p++;
    n++;
  }
  return n === name.length;
}

function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  let first = true;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      i++;
      continue;
    }
    if (pattern[i] === ']' && !first) return i;
    first = false;
  }
  throw new Error('bad pattern');
}

function matchClass(body: string, char: string): boolean {
  let negated = false;
  let i = 0;
  if (body[0] === '^') {
    negated = true;
    i = 1;
  }
  let matched = false;
  while (i < body.length) {
    let low = body[i];
    if (low === '\\') low = body[++i];
    i++;
    let high = low;
    if (body[i] === '-' && i + 1 < body.length) {
      high = body[i + 1];
      if (high === '\\') high = body[i + 2] ?? '';
      i += high === body[i + 1] ? 2 : 3;
      if (high === '') throw new Error('bad pattern');
    }
    if (low <= char && char <= high) matched = true;
  }
  return matched !== negated;
}
