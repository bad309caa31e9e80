// `--security-opt` on the OCI worker, parsed as dockerd parses a container's (daemon/create.go,
// parseSecurityOpt): `no-new-privileges[=BOOL]`, `seccomp=unconfined|builtin`, `apparmor=PROFILE`
// (`unconfined` for none). What needs the daemon itself (a seccomp profile of its own, which dockerd
// compiles from its own format; SELinux labels; writable cgroups) is refused by name.
import { OciError } from './errors.js';

export interface SecurityOverrides {
  noNewPrivileges: boolean;
  /** `unconfined`: no seccomp filter; `default`: the daemon's profile. */
  seccomp: 'default' | 'unconfined';
  /** An AppArmor profile instead of the daemon's; `unconfined` for none. */
  apparmor?: string;
}

const booleans: Record<string, boolean> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true };
for (const word of ['0', 'f', 'F', 'FALSE', 'false', 'False']) booleans[word] = false;

/** The settings `options` ask for, or why the OCI worker cannot give them (`unsupported`). */
export function parseSecurityOpts(options: readonly string[]): SecurityOverrides | { unsupported: string } {
  const result: SecurityOverrides = { noNewPrivileges: false, seccomp: 'default' };
  for (const option of options) {
    if (option === 'no-new-privileges') {
      result.noNewPrivileges = true;
      continue;
    }
    const separator = option.includes('=') ? '=' : ':';
    const at = option.indexOf(separator);
    if (at < 0) return { unsupported: `invalid --security-opt 1: ${JSON.stringify(option)}` };
    const [key, value] = [option.slice(0, at), option.slice(at + 1)];
    if (key === 'no-new-privileges' && value in booleans) result.noNewPrivileges = booleans[value];
    else if (key === 'seccomp' && (value === 'unconfined' || value === 'builtin'))
      result.seccomp = value === 'unconfined' ? 'unconfined' : 'default';
    else if (key === 'apparmor' && value !== '') result.apparmor = value;
    else if (key === 'seccomp' || key === 'label' || key === 'writable-cgroups')
      return { unsupported: `--security-opt ${key}=…: needs the Docker worker` };
    else return { unsupported: `invalid --security-opt 2: ${JSON.stringify(option)}` };
  }
  return result;
}

/** The overrides of a RUN's options (checked when the worker was chosen: a refusal here is internal). */
export function securityOverrides(options: readonly string[] | undefined): SecurityOverrides {
  const parsed = parseSecurityOpts(options ?? []);
  if ('unsupported' in parsed) throw new OciError('OCI_UNAVAILABLE', parsed.unsupported);
  return parsed;
}
