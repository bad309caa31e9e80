// Unit: RUN container settings read as docker's CLI reads them: byte sizes, --add-host (= or :,
// brackets, host-gateway), --ulimit, --memory-swap -1, buildx's --resource keys.
import test from 'ava';
import {
  parseByteSize,
  parseExtraHost,
  parseMemorySwap,
  parseResourceFlag,
  parseUlimit,
} from '../../engine/worker/run-settings.js';

test('sizes, hosts, ulimits and resources', (t) => {
  t.is(parseByteSize('512m'), 512 * 1024 ** 2);
  t.is(parseByteSize('1.5GB'), 1.5 * 1024 ** 3);
  t.is(parseMemorySwap('-1'), -1);
  t.is(parseExtraHost('db=10.0.0.1'), 'db:10.0.0.1');
  t.is(parseExtraHost('db:10.0.0.1'), 'db:10.0.0.1');
  t.is(parseExtraHost('six=[2001:db8::1]'), 'six:2001:db8::1');
  t.is(parseExtraHost('gw:host-gateway'), 'gw:host-gateway');
  t.throws(() => parseExtraHost('db=not-an-ip'), { message: 'invalid IP address in add-host: "not-an-ip"' });
  t.deepEqual(parseUlimit('nofile=1024'), { name: 'nofile', soft: 1024, hard: 1024 });
  t.deepEqual(parseUlimit('nproc=10:20'), { name: 'nproc', soft: 10, hard: 20 });
  t.throws(() => parseUlimit('files=1'), { message: 'invalid ulimit type: files' });
  t.deepEqual(parseResourceFlag('memory=2g'), { memory: 2 * 1024 ** 3 });
  t.deepEqual(parseResourceFlag('cpuset-cpus=0-1'), { cpusetCpus: '0-1' });
  t.throws(() => parseResourceFlag('cpu-quota=lots'), {
    message: /invalid value lots for int64 key resources.cpu-quota/,
  });
});
