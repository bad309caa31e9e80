// The functions bake files may call (docs/bake-stdlib.md of docker/buildx): go-cty's stdlib and the
// functions buildx adds, all by name. `can`, `try` and `convert` are special forms of the evaluator.
import type { HclFunction } from './evaluate.js';
import { collectionFunctions } from './stdlib-collections.js';
import { encodingFunctions } from './stdlib-encoding.js';
import { stringFunctions } from './stdlib-strings.js';
import { timeFunctions } from './stdlib-time.js';

export const stdlib: ReadonlyMap<string, HclFunction> = new Map(
  Object.entries({ ...stringFunctions, ...collectionFunctions, ...encodingFunctions, ...timeFunctions }),
);

/** Names the evaluator handles itself (their arguments are not plain values). */
export const specialForms = ['can', 'try', 'convert'] as const;
