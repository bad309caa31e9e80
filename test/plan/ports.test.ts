import test from 'ava';
import { normalizePath } from '../../engine/plan/paths.js';
import { parsePort, parsePorts } from '../../engine/plan/ports.js';
import { isValidSignal } from '../../engine/plan/signals.js';

test('EXPOSE specs become port/proto keys', (t) => {
  t.deepEqual(parsePort('80'), ['80/tcp']);
  t.deepEqual(parsePort('53/udp'), ['53/udp']);
  t.deepEqual(parsePort('8080/TCP'), ['8080/tcp']);
  t.deepEqual(parsePort('7000-7002'), ['7000/tcp', '7001/tcp', '7002/tcp']);
  t.deepEqual(parsePort('127.0.0.1:8080:80'), ['80/tcp']);
  t.deepEqual(parsePorts(['80', '443/tcp']), ['80/tcp', '443/tcp']);
});

test('bad EXPOSE specs are errors', (t) => {
  t.throws(() => parsePort('http'), { message: /invalid containerPort: http/ });
  t.throws(() => parsePort('80/icmp'), { message: /invalid proto: icmp/ });
  t.throws(() => parsePort('70000'), { message: /invalid containerPort/ });
  t.throws(() => parsePort('9-1'), { message: /invalid containerPort/ });
});

test('STOPSIGNAL accepts names with or without SIG and numbers', (t) => {
  for (const ok of ['SIGTERM', 'TERM', 'sigkill', '9', 'SIGRTMIN+3', 'RTMAX-1', 'SIGWINCH'])
    t.true(isValidSignal(ok), ok);
  for (const bad of ['SIGFOO', '0', 'RTMIN+99', '']) t.false(isValidSignal(bad), bad);
});

test('paths resolve against the working directory like BuildKit', (t) => {
  t.is(normalizePath('/src', 'app', false), '/src/app');
  t.is(normalizePath('/src', '../etc', false), '/etc');
  t.is(normalizePath('/src', '/abs', false), '/abs');
  t.is(normalizePath('/src', 'dir/', true), '/src/dir/');
  t.is(normalizePath('/src', './', true), '/src/');
  t.is(normalizePath('', 'x', false), '/x');
  t.is(normalizePath('/w', 'd/.', true), '/w/d/.');
});
