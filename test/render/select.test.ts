// Choosing the progress view: auto is live on a terminal (not TERM=dumb) and plain elsewhere.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { createRenderer, isProgressMode } from '../../cli/render/select.js';
import { recordedBuilds } from './_recorded-builds.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; output: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80, rows: 24 });
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, output: () => written };
}

async function run(
  mode: Parameters<typeof createRenderer>[0],
  isTTY: boolean,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const { stream, output } = fakeStream(isTTY);
  const renderer = await createRenderer(mode, stream, env);
  for (const event of recordedBuilds['go-client-edit']) renderer.handle(event);
  renderer.close();
  renderer.close();
  return output();
}

const isPlain = (text: string) => text.startsWith('#0 building prod');
const isLive = (text: string) => text.includes('[+] Building') && !text.includes('#0 building');

test('auto draws live on a terminal', async (t) => t.true(isLive(await run('auto', true, { TERM: 'xterm' }))));
test('auto is plain when not a terminal', async (t) => t.true(isPlain(await run('auto', false, { TERM: 'xterm' }))));
test('auto is plain on TERM=dumb', async (t) => t.true(isPlain(await run('auto', true, { TERM: 'dumb' }))));
test('tty falls back to plain when the stream is not a terminal', async (t) =>
  t.true(isPlain(await run('tty', false, {}))));
test('plain stays plain on a terminal', async (t) => t.true(isPlain(await run('plain', true, {}))));
test('quiet writes nothing', async (t) => t.is(await run('quiet', true, {}), ''));

test('json writes one parseable line per event', async (t) => {
  const lines = (await run('json', true, {})).trimEnd().split('\n');
  t.is(lines.length, recordedBuilds['go-client-edit'].length);
  for (const line of lines) t.notThrows(() => JSON.parse(line));
});

test('progress modes are recognised by name', (t) => {
  t.true(['auto', 'tty', 'plain', 'json', 'rawjson', 'quiet', 'none'].every(isProgressMode));
  t.false(isProgressMode('fancy'));
});
