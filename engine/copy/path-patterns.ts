// moby/patternmatcher, which BuildKit's file copier applies to COPY --exclude and to COPY --parents'
// include patterns: filepath.Match wildcards plus `**` (any number of directories), a path matching
// when it or one of its parent directories matches, `!pattern` exceptions, each pattern's result
// carried from a directory to what is under it.

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

const escaped = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

class Pattern {
  readonly exclusion: boolean;
  readonly cleaned: string;
  private type: MatchType = 'exact';
  private regexp: RegExp | undefined;

  constructor(text: string) {
    this.exclusion = text.startsWith('!');
    this.cleaned = this.exclusion ? text.slice(1) : text;
    this.compile();
  }

  private compile(): void {
    let source = '^';
    let type: MatchType = 'exact';
    const chars = [...this.cleaned];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === '*') {
        if (chars[i + 1] === '*') {
          const start = i;
          i++;
          if (chars[i + 1] === '/') i++;
          if (i + 1 >= chars.length) {
            if (type === 'exact') type = 'prefix';
            else {
              source += '.*';
              type = 'regexp';
            }
          } else {
            source += '(.*/)?';
            type = 'regexp';
          }
          // `**` first: the rest may match at any depth.
          if (start === 0) type = 'suffix';
        } else {
          source += '[^/]*';
          type = 'regexp';
        }
      } else if (ch === '?') {
        source += '[^/]';
        type = 'regexp';
      } else if (escaped.has(ch)) source += `\\${ch}`;
      else if (ch === '\\') {
        if (i + 1 < chars.length) {
          source += `\\${chars[++i]}`;
          type = 'regexp';
        } else source += '\\\\';
      } else if (ch === '[' || ch === ']') {
        source += ch;
        type = 'regexp';
      } else source += ch;
    }
    this.type = type;
    if (type === 'regexp') {
      try {
        this.regexp = new RegExp(`${source}$`, 'u');
      } catch {
        this.regexp = undefined;
      }
    }
  }

  match(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.regexp?.test(path) ?? false;
    }
  }
}

/** Go's filepath.Clean for a relative pattern. */
function cleanPattern(text: string): string {
  const parts: string[] = [];
  for (const part of text.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  const joined = parts.join('/');
  return text.startsWith('/') ? `/${joined}` : joined === '' ? '.' : joined;
}

/** Which patterns matched a directory (or one above it): what its entries inherit. */
export type ParentMatches = readonly boolean[] | undefined;

export class PathPatterns {
  private readonly patterns: Pattern[];
  /** Some pattern is an `!exception`: an excluded directory may still hold included entries. */
  readonly exclusions: boolean;

  constructor(texts: readonly string[]) {
    this.patterns = [];
    for (const raw of texts) {
      const text = raw.trim();
      if (text === '') continue;
      const negated = text.startsWith('!');
      this.patterns.push(new Pattern(`${negated ? '!' : ''}${cleanPattern(negated ? text.slice(1) : text)}`));
    }
    this.exclusions = this.patterns.some((p) => p.exclusion);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /**
   * MatchesUsingParentResults: whether `path` (relative, `/`-separated) matches, given what matched its
   * directory; returns what its own entries inherit. Without parent results the parent directories of
   * `path` are tried as well.
   */
  matches(path: string, parent: ParentMatches): { matched: boolean; inherited: boolean[] } {
    let matched = false;
    const inherited: boolean[] = [];
    this.patterns.forEach((pattern, i) => {
      let match = parent?.[i] ?? false;
      if (!match) {
        if (pattern.exclusion !== matched) {
          inherited.push(false);
          return;
        }
        match = pattern.match(path);
        if (!match && parent === undefined) {
          const dirs = path.split('/').slice(0, -1);
          for (let j = 1; j <= dirs.length && !match; j++) match = pattern.match(dirs.slice(0, j).join('/'));
        }
      }
      inherited.push(match);
      if (match) matched = !pattern.exclusion;
    });
    return { matched, inherited };
  }
}
