// Entitlements (`--allow`), as BuildKit checks them: a RUN with `--network=host` needs network.host
// and one with `--security=insecure` needs security.insecure, granted by the build request. Every
// reachable RUN is checked before anything runs, cached or not (BuildKit checks a vertex when it
// loads it, before any cache lookup).
import { BuildError } from '../build-error.js';
import { syntaxErrorAt } from '../dockerfile/errors.js';
import type { BuildPlan } from './plan.js';

export const entitlementNames = ['network.host', 'security.insecure', 'device'] as const;
export type Entitlement = (typeof entitlementNames)[number];

/** `--allow` values → entitlements; `device=NAME` grants `device` as BuildKit parses it. */
export function parseEntitlements(values: readonly string[]): Set<Entitlement> {
  const granted = new Set<Entitlement>();
  for (const value of values) {
    const name = value.startsWith('device=') ? 'device' : value;
    if (!(entitlementNames as readonly string[]).includes(name))
      throw new BuildError(`unknown entitlement ${value} (known: ${entitlementNames.join(', ')})`);
    granted.add(name as Entitlement);
  }
  return granted;
}

/** What a build with `--network host` is granted besides `--allow`, as buildx grants it. */
export function grantedFor(allow: readonly string[], buildNetwork: string | undefined): Set<Entitlement> {
  const granted = parseEntitlements(allow);
  if (buildNetwork === 'host') granted.add('network.host');
  return granted;
}

/** Throws at the first reachable RUN that needs an entitlement the build was not granted. */
export function checkEntitlements(plan: BuildPlan, granted: ReadonlySet<Entitlement>): void {
  const where = { file: plan.ast.file, source: plan.ast.source };
  for (const stage of plan.stages) {
    for (const step of stage.steps) {
      const action = step.action;
      if (action.kind !== 'run') continue;
      const at = step.instruction.range.start;
      if (action.network === 'host' && !granted.has('network.host')) {
        throw syntaxErrorAt(
          where,
          at,
          'network.host is not allowed: RUN --network=host needs the network.host entitlement (--allow network.host, or --network host)',
        );
      }
      if (action.security === 'insecure' && !granted.has('security.insecure')) {
        throw syntaxErrorAt(
          where,
          at,
          'security.insecure is not allowed: RUN --security=insecure needs the security.insecure entitlement (--allow security.insecure)',
        );
      }
    }
  }
}
