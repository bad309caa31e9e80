// RUN's dispatch: the argv (shell form through SHELL, heredocs as BuildKit runs them), its mounts
// expanded in the stage's scope, the environment and visible ARGs, and BuildKit's history wording.
import { ExpansionError } from '../expand/errors.js';
import { goList } from '../go/quote.js';
import { parseRunMount, RunMountError } from '../instructions/run-mount.js';
import type { RunInstruction } from '../instructions/types.js';
import { isProxyArg } from './args.js';
import { layerStepSuffix, withShellIfNeeded, type StepHelpers, type StepWithoutConfig } from './dispatch.js';
import { namedContextFor } from './named-contexts.js';
import type { RunAction } from './step.js';

export function dispatchRun(instruction: RunInstruction, helpers: StepHelpers): StepWithoutConfig {
  const { state, context, displayText, commit, fail } = helpers;
  const command = instruction.command;
  let args = [...command.args];
  let script: RunAction['script'];
  if (command.files.length > 0) {
    if (args.length !== 1 || !command.prependShell)
      throw fail(`parsing produced an invalid run command: ${goList(args)}`);
    const single = /^<<-?\s*(["']?)([^"'\s]+)\1$/.exec(args[0]);
    if (single) {
      const file = command.files[0];
      const data = file.chomp ? file.content.replace(/^\t+/gm, '') : file.content;
      if (data.startsWith('#!')) {
        script = { name: file.name, data };
        args = [`/dev/pipes/${file.name}`];
      } else {
        args = [data];
      }
    } else {
      let joined = args[0];
      for (const file of command.files) joined += `\n${file.content}${file.name}`;
      args = [joined];
    }
  }
  const argv = command.prependShell ? withShellIfNeeded(state.config, { ...command, args }) : args;
  const mounts = instruction.mountSpecs.map((spec, i) => {
    try {
      return parseRunMount(spec, (word) => helpers.expandWith(word, {}), instruction.mountPositions[i]);
    } catch (error) {
      if (error instanceof RunMountError) throw fail(error.message, error.position);
      if (error instanceof ExpansionError) throw fail(error.message, instruction.mountPositions[i]);
      throw error;
    }
  });
  // `from=` names a --build-context replaces: the image or stage it stands for.
  mounts.forEach((mount, i) => {
    const named = mount.from === '' ? undefined : namedContextFor(context.namedContexts, mount.from);
    if (!named) return;
    if (named.kind === 'dir')
      throw fail(
        `RUN --mount=from=${mount.from}: a directory --build-context is not supported for mounts by msbuild (FROM and COPY --from read it)`,
        instruction.mountPositions[i],
      );
    mounts[i] = { ...mount, from: named.kind === 'image' ? named.ref : named.stage };
  });
  // ssh mounts as BuildKit's llb places them: /run/buildkit/ssh_agent.N unless a target is given, and
  // SSH_AUTH_SOCK pointing at the first unless the environment sets it.
  let sshCount = 0;
  mounts.forEach((mount, i) => {
    if (mount.type !== 'ssh') return;
    if (mount.source !== '') throw fail('ssh does not support source', instruction.mountPositions[i]);
    if (mount.target === '') mounts[i] = { ...mount, target: `/run/buildkit/ssh_agent.${sshCount}` };
    sshCount++;
  });
  const env = new Map(state.env);
  const firstSsh = mounts.find((mount) => mount.type === 'ssh');
  if (firstSsh && !env.has('SSH_AUTH_SOCK')) env.set('SSH_AUTH_SOCK', firstSsh.target);
  const proxies: string[] = [];
  for (const [key, value] of context.buildArgs) {
    if (isProxyArg(key)) {
      env.set(key, value);
      proxies.push(key);
    }
  }
  const visibleArgs: Array<[string, string]> = [];
  const seen = new Map<string, number>();
  for (const arg of state.declaredArgs) {
    const value = state.env.get(arg.key) ?? arg.value ?? '';
    const index = seen.get(arg.key);
    if (index !== undefined) visibleArgs[index] = [arg.key, value];
    else {
      seen.set(arg.key, visibleArgs.length);
      visibleArgs.push([arg.key, value]);
    }
  }
  const argPrefix =
    visibleArgs.length > 0 ? [`|${visibleArgs.length}`, ...visibleArgs.map(([k, v]) => `${k}=${v}`)] : [];
  const history = commit(`RUN ${[...argPrefix, ...argv].join(' ')}${layerStepSuffix}`, true);
  return {
    instruction,
    action: {
      kind: 'run',
      argv: argv,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      user: state.config.config.User ?? '',
      workdir: state.config.config.WorkingDir || '/',
      network: instruction.network,
      security: instruction.security,
      mounts,
      ...(script ? { script } : {}),
      args: [...visibleArgs, ...proxies.map((key): [string, string] => [key, context.buildArgs.get(key) ?? ''])],
    },
    counted: true,
    displayText,
    history,
  };
}
