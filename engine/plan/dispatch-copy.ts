// COPY and ADD's dispatch: sources, destination and flags expanded in the stage's scope, checked as
// BuildKit checks them (chmod, checksum, URLs), and BuildKit's history wording.
import { goQuote } from '../go/quote.js';
import type { AddInstruction, CopyInstruction } from '../instructions/types.js';
import { checksumProblem } from './checksum.js';
import { layerStepSuffix, type StepHelpers, type StepWithoutConfig } from './dispatch.js';
import { GitRefError, parseGitRef } from './git-ref.js';
import { normalizePath } from './paths.js';
import type { CopySource } from './step.js';

export function dispatchCopy(instruction: CopyInstruction | AddInstruction, helpers: StepHelpers): StepWithoutConfig {
  const { state, context, displayText, expand, commit, fail } = helpers;
  const add = instruction.kind === 'ADD';
  const chown = expand(instruction.chown);
  const chmod = expand(instruction.chmod);
  const sources = instruction.paths.sources.map(expand);
  const destWritten = expand(instruction.paths.dest);
  const inline = instruction.paths.inlineSources.map((source) => ({
    ...source,
    data: source.expand ? helpers.expandWith(source.data, { escapeToken: '\\', skipProcessQuotes: true }) : source.data,
  }));
  const workdir = state.config.config.WorkingDir || '/';
  const dest = normalizePath(workdir, destWritten === '.' || destWritten === '' ? './' : destWritten, true);
  if (chmod !== '') {
    if (/^[0-9]+$/.test(chmod)) {
      if (!/^[0-7]+$/.test(chmod) || parseInt(chmod, 8) > 0o7777) {
        throw fail(`invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`);
      }
    } else if (!/^([ugoa]*[-+=]([rwxXst]*|[ugo]))(,[ugoa]*[-+=]([rwxXst]*|[ugo]))*$/.test(chmod)) {
      throw fail(`invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`);
    }
  }
  const gitRefs = sources.map((src) => {
    try {
      return parseGitRef(src);
    } catch (error) {
      if (error instanceof GitRefError) throw fail(error.message, instruction.node.argsPosition);
      throw error;
    }
  });
  if (!add) {
    if (gitRefs.some((ref) => ref !== undefined)) throw fail("source can't be a git ref for COPY");
    if (sources.some(isHttp)) throw fail("source can't be a URL for COPY");
  }
  const checksum = add ? expand(instruction.checksum) : '';
  if (checksum !== '') {
    if (sources.length !== 1) throw fail("checksum can't be specified for multiple sources");
    const git = gitRefs[0];
    if (git) {
      if (!/^[a-fA-F0-9]+$/.test(checksum))
        throw fail(`invalid checksum ${checksum} for Git URL, expected hex commit hash`);
      if (git.checksum !== '' && git.checksum !== checksum)
        throw fail(`checksum mismatch ${goQuote(checksum)} != ${goQuote(git.checksum)}`);
    } else if (isHttp(sources[0])) {
      const problem = checksumProblem(checksum);
      if (problem !== undefined) throw fail(problem);
    } else throw fail('checksum requires HTTP(S) or Git sources');
  }
  if (instruction.kind === 'ADD' && instruction.keepGitDir !== undefined) {
    for (const git of gitRefs)
      if (git?.keepGitDir !== undefined && git.keepGitDir !== instruction.keepGitDir)
        throw fail('inconsistent keep-git-dir configuration');
  }
  const link = instruction.link && chmod === '';
  if (link && chown !== '' && !/^(root|\d+)(:(root|\d+))?$/.test(chown)) {
    // BuildKit fails such a copy with "invalid user index: -1": a linked copy cannot read the image's
    // /etc/passwd to resolve the names.
    throw fail(
      `--chown=${chown} with --link needs numeric IDs (or root): a linked copy does not read the image's /etc/passwd and /etc/group`,
    );
  }
  const source: CopySource =
    instruction.kind === 'COPY' && instruction.from !== ''
      ? context.copySourceOf(instruction.from)
      : { kind: 'context' };
  let message = add ? 'ADD' : 'COPY';
  if (instruction.kind === 'COPY' && instruction.parents) message += ' --parents';
  if (chown !== '') message += ` --chown=${chown}`;
  if (chmod !== '') message += ` --chmod=${chmod}`;
  for (const src of sources) message += ` ${src}`;
  for (const src of inline) message += ` <<${src.name}`;
  message += ` ${destWritten}${layerStepSuffix}`;
  return {
    instruction,
    action: {
      kind: 'copy',
      add,
      source,
      sources,
      inline,
      dest,
      chown,
      chmod,
      excludes: instruction.excludes.map(expand),
      parents: instruction.kind === 'COPY' ? instruction.parents : false,
      link,
      unpack: add ? (instruction.unpack ?? true) : false,
      unpackRemote: instruction.kind === 'ADD' && instruction.unpack === true,
      keepGitDir: instruction.kind === 'ADD' && instruction.keepGitDir === true,
      checksum,
      user: state.config.config.User ?? '',
    },
    counted: true,
    displayText,
    history: commit(message, true),
  };
}

/** An HTTP source (a Git URL is checked first: `https://…/repo.git` is Git). */
function isHttp(source: string): boolean {
  return /^https?:\/\//.test(source);
}
