// "Did you mean ...?" hints for misspelt flag, stage and instruction names, as BuildKit's suggest package gives.

/** Levenshtein distance between two strings (small inputs only: names and flags). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The closest candidate within a distance that makes it a plausible typo, or undefined. */
export function closestMatch(value: string, candidates: Iterable<string>, caseSensitive = true): string | undefined {
  const needle = caseSensitive ? value : value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, caseSensitive ? candidate : candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(needle.length / 3) + 1));
  return bestDistance > 0 && bestDistance <= limit ? best : undefined;
}

/** `message` followed by ` (did you mean X?)` when a close candidate exists. */
export function withSuggestion(
  message: string,
  value: string,
  candidates: Iterable<string>,
  caseSensitive = true,
): string {
  const match = closestMatch(value, candidates, caseSensitive);
  return match === undefined ? message : `${message} (did you mean ${match}?)`;
}

/**
 * BuildKit's suggest.Search: the first candidate at the smallest edit distance below 3, or undefined
 * (also when one is equal: then the value was not misspelt). Used for build-check hints.
 */
export function searchSuggestion(
  value: string,
  candidates: Iterable<string>,
  caseSensitive = true,
): string | undefined {
  const needle = caseSensitive ? value : value.toLowerCase();
  let match: string | undefined;
  let least = 3;
  for (const candidate of candidates) {
    const option = caseSensitive ? candidate : candidate.toLowerCase();
    if (option === needle) return undefined;
    const distance = editDistance(needle, option);
    if (distance < least) {
      match = candidate;
      least = distance;
    }
  }
  return match;
}
