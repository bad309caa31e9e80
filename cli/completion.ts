// `msbuild completion bash|zsh|fish`: a completion script made from the command tree and the option
// table (every command's subcommands and flags), so it never lists a flag the CLI does not parse.
import type { Command } from 'commander';
import { UsageError } from './user-error.js';

interface Node {
  path: string[];
  subcommands: string[];
  flags: string[];
}

/** Every command with its subcommands and flags (hidden ones too: they parse). */
function nodesOf(command: Command, path: string[] = []): Node[] {
  const flags = command.options.flatMap((option) =>
    [option.long, option.short].filter((flag): flag is string => !!flag),
  );
  const subcommands = command.commands.map((sub) => sub.name());
  return [{ path, subcommands, flags }, ...command.commands.flatMap((sub) => nodesOf(sub, [...path, sub.name()]))];
}

function bash(nodes: Node[]): string {
  const cases = nodes
    .map((node) => `    "${node.path.join(' ')}") words="${[...node.subcommands, ...node.flags].join(' ')}" ;;`)
    .join('\n');
  return `# msbuild completion for bash: source <(msbuild completion bash)
_msbuild() {
  local cur path="" word i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "\${path:+$path }$word" in
${nodes
  .filter((node) => node.path.length > 0)
  .map((node) => `      "${node.path.join(' ')}") path="${node.path.join(' ')}" ;;`)
  .join('\n')}
    esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  if [[ "$cur" == -* || -z "$words" ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); fi
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  [[ "$cur" != -* ]] && COMPREPLY+=($(compgen -W "$words" -- "$cur"))
}
complete -o filenames -F _msbuild msbuild
`;
}

function zsh(nodes: Node[]): string {
  return `#compdef msbuild
# msbuild completion for zsh: source <(msbuild completion zsh)
_msbuild() {
  local -a words_
  local path_="" w
  for w in \${words[2,CURRENT-1]}; do
    [[ "$w" == -* ]] && continue
    case "\${path_:+$path_ }$w" in
${nodes
  .filter((node) => node.path.length > 0)
  .map((node) => `      "${node.path.join(' ')}") path_="${node.path.join(' ')}" ;;`)
  .join('\n')}
    esac
  done
  case "$path_" in
${nodes.map((node) => `    "${node.path.join(' ')}") words_=(${[...node.subcommands, ...node.flags].join(' ')}) ;;`).join('\n')}
  esac
  compadd -a words_
  _files
}
compdef _msbuild msbuild
`;
}

function fish(nodes: Node[]): string {
  const lines = ['# msbuild completion for fish: msbuild completion fish | source', 'complete -c msbuild -f'];
  for (const node of nodes) {
    const condition =
      node.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${node.path[node.path.length - 1]}`;
    for (const sub of node.subcommands) lines.push(`complete -c msbuild -n '${condition}' -a ${sub}`);
    for (const flag of node.flags) {
      const option = flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
      lines.push(`complete -c msbuild -n '${condition}' ${option}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: string, program: Command): string {
  const nodes = nodesOf(program);
  if (shell === 'bash') return bash(nodes);
  if (shell === 'zsh') return zsh(nodes);
  if (shell === 'fish') return fish(nodes);
  throw new UsageError(`unknown shell ${JSON.stringify(shell)}: use bash, zsh or fish`);
}
