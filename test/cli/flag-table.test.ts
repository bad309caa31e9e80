// Unit: the option table is the one declaration of every flag: no command takes one spelling twice,
// every option names a command, and the README's flag table is the table generated from it.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flagTableMarkdown, withFlagTable } from '../../cli/flag-table.js';
import {
  longFlag,
  optionsOf,
  optionTable,
  shortFlag,
  type CommandName,
  type OptionSpec,
} from '../../cli/option-table.js';

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

test('the README flag table is generated from the option table (npm run flag-table)', (t) => {
  t.true(
    readme.includes(flagTableMarkdown()),
    'README.md differs from the option table: run `make build && npm run flag-table`',
  );
  t.is(withFlagTable(readme), readme);
});

test('each command takes each flag spelling once, and every option belongs to a command', (t) => {
  const commands = new Set(Object.values(optionTable as Record<string, OptionSpec>).flatMap((spec) => spec.commands));
  for (const command of commands) {
    const spellings = optionsOf(command as CommandName).flatMap(([, spec]) =>
      [longFlag(spec), shortFlag(spec)].filter(Boolean),
    );
    t.deepEqual(spellings, [...new Set(spellings)], `${command} declares a flag twice`);
  }
  for (const [key, spec] of Object.entries(optionTable as Record<string, OptionSpec>)) {
    t.true(spec.commands.length > 0, key);
    if (spec.support !== 'works') t.truthy(spec.note, `${key} says why it is ${spec.support}`);
  }
});

test('every flag of buildx build and of the legacy docker build is in the table', (t) => {
  // From docker/buildx docs/reference/buildx_build.md and docker/cli docs/reference/commandline/image_build.md.
  const buildx = [
    '--add-host',
    '--allow',
    '--annotation',
    '--attest',
    '--build-arg',
    '--build-context',
    '--builder',
    '--cache-from',
    '--cache-to',
    '--call',
    '--cgroup-parent',
    '--check',
    '--debug',
    '--file',
    '--iidfile',
    '--label',
    '--load',
    '--metadata-file',
    '--network',
    '--no-cache',
    '--no-cache-filter',
    '--output',
    '--platform',
    '--policy',
    '--progress',
    '--provenance',
    '--pull',
    '--push',
    '--quiet',
    '--resource',
    '--sbom',
    '--secret',
    '--shm-size',
    '--ssh',
    '--tag',
    '--target',
    '--ulimit',
  ];
  const legacy = [
    '--compress',
    '--cpu-period',
    '--cpu-quota',
    '--cpu-shares',
    '--cpuset-cpus',
    '--cpuset-mems',
    '--force-rm',
    '--isolation',
    '--memory',
    '--memory-swap',
    '--rm',
    '--security-opt',
    '--squash',
    '--disable-content-trust',
  ];
  const bake = [
    '--allow',
    '--builder',
    '--call',
    '--check',
    '--debug',
    '--file',
    '--list',
    '--load',
    '--metadata-file',
    '--no-cache',
    '--policy',
    '--print',
    '--progress',
    '--provenance',
    '--pull',
    '--push',
    '--sbom',
    '--set',
    '--var',
  ];
  const spelled = (command: CommandName) => optionsOf(command).map(([, spec]) => longFlag(spec));
  for (const flag of [...buildx, ...legacy]) t.true(spelled('build').includes(flag), `build ${flag}`);
  for (const flag of bake) t.true(spelled('bake').includes(flag), `bake ${flag}`);
  for (const short of ['-f', '-t', '-o', '-q', '-D', '-m', '-c'])
    t.true(
      optionsOf('build').some(([, spec]) => shortFlag(spec) === short),
      short,
    );
});
