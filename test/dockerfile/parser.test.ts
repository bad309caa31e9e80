// Unit: the parser and `debug ast`. Each case is a Dockerfile and the dump BuildKit's parser gives for it
// (Node.Dump of the root), covering every instruction and form; then errors, positions and heredocs.
import test from 'ava';
import { dumpAst } from '../../engine/dockerfile/dump.js';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { parseDockerfile } from '../../engine/dockerfile/parser.js';
import { goQuoteList } from '../../engine/go/quote.js';

const dumps: Array<[string, string, string]> = [
  [
    'from forms',
    'FROM busybox\nFROM busybox:1.36 AS build\nfrom golang@sha256:abc as Builder\nFROM --platform=linux/arm64 alpine\n',
    '(from "busybox")\n(from "busybox:1.36" "AS" "build")\n(from "golang@sha256:abc" "as" "Builder")\n(from ["--platform=linux/arm64"] "alpine")\n',
  ],
  [
    'run shell and exec',
    'FROM x\nRUN echo hello world\nRUN ["echo", "hi"]\nRUN [ "spaced" , "json" ]\nrun   lots   of   spaces  \n',
    '(from "x")\n(run "echo hello world")\n(run "echo" "hi")\n(run "spaced" "json")\n(run "lots   of   spaces")\n',
  ],
  [
    'invalid json falls back to shell',
    'FROM x\nRUN ["unterminated\nCMD [echo, hi]\nENTRYPOINT ["a" "b"]\n',
    '(from "x")\n(run "[\\"unterminated")\n(cmd "[echo, hi]")\n(entrypoint "[\\"a\\" \\"b\\"]")\n',
  ],
  [
    'cmd entrypoint shell',
    'FROM x\nCMD ["server", "--port", "80"]\nENTRYPOINT /bin/app --flag\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nSHELL powershell -command\n',
    '(from "x")\n(cmd "server" "--port" "80")\n(entrypoint "/bin/app --flag")\n(shell "/bin/bash" "-o" "pipefail" "-c")\n(shell "powershell -command")\n',
  ],
  ['empty json', 'FROM x\nCMD []\nENTRYPOINT []\n', '(from "x")\n(cmd)\n(entrypoint)\n'],
  [
    'copy add json and words',
    'FROM x\nCOPY a b /dest/\nCOPY ["with space.txt", "/dest/"]\nADD --chown=1:2 --chmod=644 https://example.com/f.tgz /opt/\nADD ["a", "b"]\n',
    '(from "x")\n(copy "a" "b" "/dest/")\n(copy "with space.txt" "/dest/")\n(add ["--chown=1:2" "--chmod=644"] "https://example.com/f.tgz" "/opt/")\n(add "a" "b")\n',
  ],
  [
    'flags',
    'FROM x\nCOPY --from=build --chown=app:app --chmod=0755 --link --exclude=*.md --parents /src /dst\nRUN --mount=type=cache,target=/root/.cache --network=none --security=insecure make\nCOPY "--from=quoted stage" a b\nCOPY --from=a\\ b c d\nCOPY -- --not-a-flag /x\n',
    '(from "x")\n(copy ["--from=build" "--chown=app:app" "--chmod=0755" "--link" "--exclude=*.md" "--parents"] "/src" "/dst")\n(run ["--mount=type=cache,target=/root/.cache" "--network=none" "--security=insecure"] "make")\n(copy "\\"--from=quoted" "stage\\"" "a" "b")\n(copy ["--from=a b"] "c" "d")\n(copy "--not-a-flag" "/x")\n',
  ],
  [
    'env forms',
    'FROM x\nENV A=b\nENV C="d e" F=\'g h\' I=j\\ k\nENV OLD value with  spaces\nENV EMPTY=\nENV Q="a\\"b"\n',
    '(from "x")\n(env "A" "b" "=")\n(env "C" "\\"d e\\"" "=" "F" "\'g h\'" "=" "I" "j\\\\ k" "=")\n(env "OLD" "value with  spaces" "")\n(env "EMPTY" "" "=")\n(env "Q" "\\"a\\\\\\"b\\"" "=")\n',
  ],
  [
    'label forms',
    'FROM x\nLABEL version=1.0 "com.example.vendor"="ACME Inc"\nLABEL multi.line="first \\\n  second"\nLABEL old form value\n',
    '(from "x")\n(label "version" "1.0" "=" "\\"com.example.vendor\\"" "\\"ACME Inc\\"" "=")\n(label "multi.line" "\\"first   second\\"" "=")\n(label "old" "form value" "")\n',
  ],
  [
    'arg forms',
    'ARG A\nARG B=1 C=two\nARG D="quoted value"\nFROM x\nARG E\n',
    '(arg "A")\n(arg "B=1" "C=two")\n(arg "D=\\"quoted value\\"")\n(from "x")\n(arg "E")\n',
  ],
  [
    'onbuild',
    'FROM x\nONBUILD RUN echo test\nONBUILD COPY --from=build /a /b\nonbuild add . /app\n',
    '(from "x")\n(onbuild (run "echo test"))\n(onbuild (copy ["--from=build"] "/a" "/b"))\n(onbuild (add "." "/app"))\n',
  ],
  [
    'maintainer user workdir stopsignal',
    'FROM x\nMAINTAINER Jane Doe <jane@example.com>\nUSER app:staff\nWORKDIR /src/app\nSTOPSIGNAL SIGTERM\nVOLUME ["/data", "/logs"]\nVOLUME /var/log /var/db\nEXPOSE 80/tcp 53/udp 8000-8010\n',
    '(from "x")\n(maintainer "Jane Doe <jane@example.com>")\n(user "app:staff")\n(workdir "/src/app")\n(stopsignal "SIGTERM")\n(volume "/data" "/logs")\n(volume "/var/log" "/var/db")\n(expose "80/tcp" "53/udp" "8000-8010")\n',
  ],
  [
    'healthcheck',
    'FROM x\nHEALTHCHECK --interval=30s --timeout=3s --retries=2 CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK CMD ["/bin/check", "--quick"]\nHEALTHCHECK NONE\n',
    '(from "x")\n(healthcheck ["--interval=30s" "--timeout=3s" "--retries=2"] "CMD" "curl -f http://localhost/ || exit 1")\n(healthcheck "CMD" "/bin/check" "--quick")\n(healthcheck "NONE")\n',
  ],
  [
    'case insensitive keywords and unknown instruction',
    'FrOm x\nrUn true\nFROBNICATE the things\n',
    '(from "x")\n(run "true")\n(frobnicate "")\n',
  ],
  [
    'continuation with comments and blank lines',
    'FROM x\nRUN apt-get update && \\\n    # comment inside\n    apt-get install -y \\\n\n      curl \\\n    && rm -rf /var/lib/apt/lists/*\n',
    '(from "x")\n(run "apt-get update &&     apt-get install -y       curl     && rm -rf /var/lib/apt/lists/*")\n',
  ],
  [
    'escape directive backtick',
    '# escape=`\nFROM x\nRUN dir c:\\ `\n    && echo done\nCOPY a\\b c\\d\n',
    '(from "x")\n(run "dir c:\\\\     && echo done")\n(copy "a\\\\b" "c\\\\d")\n',
  ],
  [
    'directives only at the top',
    '# syntax=docker/dockerfile:1\n# check=skip=all\n# ESCAPE = `\nFROM x\n# escape=\\\nRUN echo a `\n  b\n',
    '(from "x")\n(run "echo a   b")\n',
  ],
  [
    'comment then directive is a comment',
    '# a comment\n# escape=`\nFROM x\nRUN a \\\n b\n',
    '(from "x")\n(run "a  b")\n',
  ],
  ['crlf', 'FROM x\r\nRUN echo a \\\r\n  b\r\nENV A=1\r\n', '(from "x")\n(run "echo a   b")\n(env "A" "1" "=")\n'],
  ['trailing continuation at eof', 'FROM x\nRUN echo last \\', '(from "x")\n(run "echo last")\n'],
  [
    'escaped escape is not a continuation',
    'FROM x\nRUN echo a\\\\\nRUN echo b\n',
    '(from "x")\n(run "echo a\\\\\\\\")\n(run "echo b")\n',
  ],
  ['bom', '﻿FROM x\nRUN true\n', '(from "x")\n(run "true")\n'],
  [
    'heredocs',
    'FROM x\nRUN <<EOF\necho one\necho two\nEOF\nRUN <<-EOT bash\n\techo tabbed\n\tEOT\nRUN <<"QUOTED" <<\'SINGLE\' cat\n$NOT_EXPANDED\nQUOTED\nsecond\nSINGLE\nCOPY <<EOF /etc/config\nkey=value\nEOF\nRUN 3<<FD cat <&3\nfd body\nFD\n',
    '(from "x")\n(run "<<EOF")\n(run "<<-EOT bash")\n(run "<<\\"QUOTED\\" <<\'SINGLE\' cat")\n(copy "<<EOF" "/etc/config")\n(run "3<<FD cat <&3")\n',
  ],
  [
    'heredoc in json form is not a heredoc',
    'FROM x\nRUN ["cat", "<<EOF"]\nRUN echo done\n',
    '(from "x")\n(run "cat" "<<EOF")\n(run "echo done")\n',
  ],
  [
    'healthcheck type cut inside a character keeps the stray bytes',
    'FROM x\nHEALTHCHECK CMD\u00a0true\nHEALTHCHECK --interval=5s NONE\u0800\nONBUILD HEALTHCHECK CMD\u00a0["a"]\n',
    '(from "x")\n(healthcheck "CMD\\xc2" "true")\n(healthcheck ["--interval=5s"] "NONE\\xe0" "\\x80")\n(onbuild (healthcheck "CMD\\xc2" "a"))\n',
  ],
  [
    'arguments after a flag cut inside a character',
    'FROM x\nCOPY --from=build\u5800 /a /b\nRUN --network=none\u2800echo hi\nENV --x\u5800 A=b\nENV --x\u5800=1 A=b\nONBUILD --x\u5800 RUN y\n',
    '(from "x")\n(copy ["--from=build\u00e5"] "\\x80" "/a" "/b")\n(run ["--network=none\u00e2"] "\\x80echo hi")\n(env ["--x\u00e5"] "\\x80" "A=b" "")\n(env ["--x\u00e5"] "\ufffd" "1" "=" "A" "b" "=")\n(onbuild ["--x\u00e5"] (\ufffd ""))\n',
  ],
  [
    "characters newer than Go's Unicode 15.0 are escaped and not lower-cased",
    'FROM x\nRUN echo \u{1fae9} \u{1f600}\nCMD ["\\u2ffc"]\nLABEL \u1c89=1\n\ua7cbX y\n',
    '(from "x")\n(run "echo \\U0001fae9 \u{1f600}")\n(cmd "\\u2ffc")\n(label "\\u1c89" "1" "=")\n(\ua7cbx "")\n',
  ],
  [
    'leading whitespace and tabs',
    '  FROM x\n\tRUN   echo indented\n    # indented comment\n',
    '(from "x")\n(run "echo indented")\n',
  ],
];

for (const [name, dockerfile, expected] of dumps) {
  test(`dump: ${name}`, (t) => {
    t.is(dumpAst(parseDockerfile(dockerfile)), expected);
  });
}

const rejected: Array<[string, string]> = [
  ['unterminated heredoc', 'FROM x\nRUN <<EOF\necho never closed\n'],
  ['repeated directive', '# escape=`\n# escape=\\\nFROM x\n'],
  ['invalid escape directive', '# escape=x\nFROM x\n'],
  ['no instructions', '# only a comment\n\n'],
  ['json array of non-strings', 'FROM x\nRUN ["a", 1]\n'],
  ['env without equals', 'FROM x\nENV A=b C\n'],
  ['env one word', 'FROM x\nENV ONLYKEY\n'],
];

for (const [name, dockerfile] of rejected) {
  test(`rejected: ${name}`, (t) => {
    t.throws(() => parseDockerfile(dockerfile), { instanceOf: DockerfileSyntaxError });
  });
}

test('errors say what and where', (t) => {
  const heredoc = t.throws(() => parseDockerfile('FROM x\nRUN cat <<EOF\nbody\n'), {
    instanceOf: DockerfileSyntaxError,
  });
  t.is(heredoc?.location, 'Dockerfile:2:9');
  t.regex(heredoc?.message ?? '', /unterminated heredoc: no line "EOF" closes it before the end of the file/);
  t.is(heredoc?.sourceLine, 'RUN cat <<EOF');
  const directive = t.throws(() =>
    parseDockerfile('# syntax=a\n# syntax=b\nFROM x\n', { file: 'build/Dockerfile.prod' }),
  );
  t.is((directive as DockerfileSyntaxError).location, 'build/Dockerfile.prod:2:1');
  t.is(directive?.message, 'only one syntax parser directive can be used');
  t.throws(() => parseDockerfile('# escape=x\nFROM x\n'), {
    message: /invalid escape token 'x' does not match ` or \\/,
  });
  t.throws(() => parseDockerfile('FROM x\nRUN ["a", 1]\n'), {
    message: 'when using JSON array syntax, arrays must be comprised of strings only',
  });
  t.throws(() => parseDockerfile('FROM x\nENV A=b C\n'), { message: /can't find = in "C"/ });
  t.throws(() => parseDockerfile('FROM x\nENV ONLYKEY\n'), { message: 'ENV must have two arguments' });
  t.throws(() => parseDockerfile(''), { message: 'the Dockerfile cannot be empty' });
  t.throws(() => parseDockerfile('# just a comment\n'), { message: 'file with no instructions' });
});

test('every node knows its lines and columns: keyword, flags, arguments, end', (t) => {
  const ast = parseDockerfile('FROM x\n  COPY --from=build \\\n     --chown=1:1 /a /b\nRUN <<EOF\nline\nEOF\n');
  const [, copy, run] = ast.instructions;
  t.deepEqual(copy.range.start, { line: 2, column: 3 });
  t.deepEqual(
    copy.flags.map((f) => [f.text, f.position]),
    [
      ['--from=build', { line: 2, column: 8 }],
      ['--chown=1:1', { line: 3, column: 6 }],
    ],
  );
  t.deepEqual(copy.argsPosition, { line: 3, column: 18 });
  t.is(copy.range.end.line, 3);
  t.deepEqual(run.range.start, { line: 4, column: 1 });
  t.is(run.range.end.line, 6, 'a heredoc body belongs to its instruction');
});

test('heredoc bodies, names, quoting and chomping', (t) => {
  const ast = parseDockerfile('FROM x\nRUN <<-"A" cat - <<B\n\tquoted $X\n\tA\nexpanded $Y\nB\nCOPY 3<<C /f\nc\nC\n');
  const [, run, copy] = ast.instructions;
  t.deepEqual(
    run.heredocs.map(({ name, expand, chomp, content }) => ({ name, expand, chomp, content })),
    [
      { name: 'A', expand: false, chomp: true, content: '\tquoted $X\n' },
      { name: 'B', expand: true, chomp: false, content: 'expanded $Y\n' },
    ],
  );
  t.is(copy.heredocs[0].fileDescriptor, 3);
  t.deepEqual(parseDockerfile('FROM x\nRUN ["cat", "<<EOF"]\n').instructions[1].heredocs, [], 'not in JSON form');
});

test('directives are kept; the escape directive changes continuations', (t) => {
  const ast = parseDockerfile(
    '# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=JSONArgsRecommended\nFROM x\nRUN a `\n  b\n',
  );
  t.deepEqual(
    ast.directives.map((d) => [d.name, d.value]),
    [
      ['syntax', 'docker/dockerfile:1.7'],
      ['escape', '`'],
      ['check', 'skip=JSONArgsRecommended'],
    ],
  );
  t.is(ast.escapeToken, '`');
  t.deepEqual(ast.instructions[1].args, ['a   b']);
});

test('empty continuation lines are allowed with a warning; comments above an instruction are kept', (t) => {
  const ast = parseDockerfile('FROM x\n# first\n# second\nRUN a \\\n\n  b\n');
  t.is(ast.warnings.length, 1);
  t.regex(ast.warnings[0].message, /Empty continuation line/);
  t.deepEqual(ast.instructions[1].comments, ['first', 'second']);
});

test('a too-long line that a continuation runs into: its first 64 KiB are still parsed, and their error wins', (t) => {
  const label = t.throws(() => parseDockerfile(`FROM x\nRUN a \\\nLABEL a=b ${'c '.repeat(32768)}\nRUN b\n`), {
    instanceOf: DockerfileSyntaxError,
  });
  t.is(label?.message, 'Syntax error - can\'t find = in "c". Must be of the form: name=value');
  t.is(label?.position.line, 3);
  const heredoc = t.throws(() => parseDockerfile(`FROM x\nRUN a \\\nRUN <<EOF ${'a'.repeat(65536)}\nEOF\n`));
  t.regex(heredoc?.message ?? '', /^unterminated heredoc/);
  const plain = t.throws(() => parseDockerfile(`FROM x\nRUN a \\\nRUN ${'a'.repeat(65536)}\n`));
  t.is(plain?.message, 'dockerfile line greater than max allowed size of 65535');
  t.is((plain as DockerfileSyntaxError).position.line, 3);
});

test('a comment after a multi-byte space keeps the bytes BuildKit leaves when it cuts the first byte', (t) => {
  const [from, run] = parseDockerfile('\u2028# note\nFROM x\n\u00a0# caf\u00e9\nRUN a\n').instructions;
  t.is(goQuoteList(from.comments), '["\\x80\\xa8# note"]');
  t.is(goQuoteList(run.comments), '["\\xa0# caf\u00e9"]');
});

test('ONBUILD keeps the trigger as a child node with its own flags', (t) => {
  const [, onbuild] = parseDockerfile('FROM x\nONBUILD COPY --from=assets /a /b\n').instructions;
  t.is(onbuild.child?.keyword, 'copy');
  t.deepEqual(
    onbuild.child?.flags.map((f) => f.text),
    ['--from=assets'],
  );
  t.deepEqual(onbuild.child?.args, ['/a', '/b']);
  t.deepEqual(onbuild.child?.range.start, { line: 2, column: 9 });
});
