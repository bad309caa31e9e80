// Unit: the hosts and resolv.conf a RUN sees are BuildKit's: the sandbox name on localhost, the
// host's resolvers without loopback ones (Google's when none is left), and the host's file as it
// is under host networking.
import test from 'ava';
import { hostsFile, parseResolvConf, resolvConfFor } from '../../engine/oci/dns-files.js';

test('hosts names localhost and buildkitsandbox', (t) => {
  t.is(hostsFile(), '127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  t.true(hostsFile('buildkitsandbox', [{ host: 'db', ip: '10.0.0.2' }]).endsWith('10.0.0.2\tdb\n'));
});

test('loopback resolvers are dropped outside host networking', (t) => {
  const host =
    '# generated\nnameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch example.com corp\noptions ndots:2 edns0\n';
  t.is(resolvConfFor(host, 'other'), 'nameserver 10.1.2.3\nsearch example.com corp\noptions ndots:2 edns0\n');
  t.is(
    resolvConfFor(host, 'host'),
    'nameserver 127.0.0.53\nnameserver 10.1.2.3\nsearch example.com corp\noptions ndots:2 edns0\n',
  );
});

test("only loopback resolvers: Google's", (t) => {
  t.is(
    resolvConfFor('nameserver 127.0.0.1\nnameserver ::1\n', 'other'),
    'nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n',
  );
});

test('the last search line wins; options accumulate; unknown lines are kept', (t) => {
  const parsed = parseResolvConf('search a\ndomain b\noptions x\noptions y\nsortlist 1.2.3.4\nnameserver bogus\n');
  t.deepEqual(parsed, { nameServers: [], search: ['b'], options: ['x', 'y'], other: ['sortlist 1.2.3.4'] });
});
