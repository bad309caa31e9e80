// Unit: the daemon picked as the docker CLI picks it: DOCKER_HOST, else DOCKER_CONTEXT, else
// config.json's currentContext, read from the contexts meta store (with its TLS files).
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDockerContext, currentContextName } from '../../cli/docker-context.js';

test('contexts from DOCKER_CONTEXT and currentContext, with TLS; DOCKER_HOST wins', async (t) => {
  const config = await mkdtemp(join(tmpdir(), 'msbuild-docker-config-'));
  const id = createHash('sha256').update('remote').digest('hex');
  await mkdir(join(config, 'contexts', 'meta', id), { recursive: true });
  await writeFile(
    join(config, 'contexts', 'meta', id, 'meta.json'),
    JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'tcp://127.0.0.1:2376', SkipTLSVerify: false } } }),
  );
  await mkdir(join(config, 'contexts', 'tls', id, 'docker'), { recursive: true });
  await writeFile(join(config, 'contexts', 'tls', id, 'docker', 'ca.pem'), '');
  await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
  const env: NodeJS.ProcessEnv = { DOCKER_CONFIG: config };
  t.is(currentContextName(env), 'remote');
  applyDockerContext(env);
  t.like(env, {
    DOCKER_HOST: 'tcp://127.0.0.1:2376',
    DOCKER_CERT_PATH: join(config, 'contexts', 'tls', id, 'docker'),
    DOCKER_TLS_VERIFY: '1',
  });
  const host = { DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///x.sock', DOCKER_CONTEXT: 'remote' };
  applyDockerContext(host);
  t.is(host.DOCKER_HOST, 'unix:///x.sock');
  t.throws(() => applyDockerContext({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'nope' }), {
    message: 'docker context "nope" not found (set by DOCKER_CONTEXT)',
  });
  const fallback: NodeJS.ProcessEnv = { DOCKER_CONFIG: join(config, 'none') };
  applyDockerContext(fallback);
  t.is(fallback.DOCKER_HOST, undefined);
});
