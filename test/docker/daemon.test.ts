// Unit: which errors mean the daemon went away (refused, reset, hang-up, a vanished socket, also when
// wrapped as `cause`), and the messages, which name DOCKER_HOST.
import test from 'ava';
import { connectionFailure, connectionLostMessage, stoppedAnsweringMessage } from '../../engine/docker/daemon.js';

function errno(message: string, code: string, syscall?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, ...(syscall ? { syscall } : {}) });
}

test('connection-level errors are recognised, also wrapped', (t) => {
  t.is(
    connectionFailure(errno('connect ECONNREFUSED /run/docker.sock', 'ECONNREFUSED', 'connect')),
    'connection refused',
  );
  t.is(connectionFailure(errno('read ECONNRESET', 'ECONNRESET', 'read')), 'the connection was reset');
  t.is(connectionFailure(errno('write EPIPE', 'EPIPE', 'write')), 'the connection was closed while sending');
  t.is(connectionFailure(errno('socket hang up', 'ECONNRESET')), 'the connection was closed');
  t.is(
    connectionFailure(errno('connect ENOENT /x/docker.sock', 'ENOENT', 'connect')),
    'the socket does not exist any more',
  );
  const wrapped = new Error('cannot write files into the image: read ECONNRESET', {
    cause: errno('read ECONNRESET', 'ECONNRESET'),
  });
  t.is(connectionFailure(new Error('outer', { cause: wrapped })), 'the connection was reset');
});

test('answers from the daemon and other errors are not connection failures', (t) => {
  t.is(
    connectionFailure(Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 })),
    undefined,
  );
  t.is(connectionFailure(errno("ENOENT: no such file or directory, open 'x'", 'ENOENT', 'open')), undefined);
  t.is(connectionFailure('a string'), undefined);
  t.is(connectionFailure(undefined), undefined);
});

test('the messages name DOCKER_HOST', (t) => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///tmp/x/docker.sock';
  try {
    t.regex(
      connectionLostMessage('connection refused'),
      /^lost the connection to the Docker daemon at DOCKER_HOST=unix:\/\/\/tmp\/x\/docker\.sock: connection refused\./,
    );
    t.regex(
      stoppedAnsweringMessage(9),
      /^the Docker daemon at DOCKER_HOST=unix:\/\/\/tmp\/x\/docker\.sock stopped answering \(no answer to a ping for 9s\)/,
    );
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});
