// Unit: the hand-written HCL parser and evaluator as bake uses them — syntax (comments, heredocs,
// one-line blocks, objects with = or :, templates with directives and strip markers), operators,
// for expressions, splats, the bake stdlib (go-cty's results), errors with their position.
import test from 'ava';
import { HclError } from '../../engine/bake/hcl/errors.js';
import { Evaluator } from '../../engine/bake/hcl/evaluate.js';
import { parseHcl, parseHclExpression } from '../../engine/bake/hcl/parser.js';
import { stdlib } from '../../engine/bake/hcl/stdlib.js';
import type { Value } from '../../engine/bake/hcl/values.js';

const names: Record<string, Value> = { TAG: 'v1', list: [1, 2, 3], obj: { a: 'x', b: 'y' } };
const scope = { lookup: (name: string) => names[name], functionNamed: (name: string) => stdlib.get(name) };
const evaluate = (text: string) => new Evaluator().evaluate(parseHclExpression(text, 'expr'), scope);

const cases: Array<[string, Value]> = [
  ['1 + 2 * 3 - 4 / 2 % 3', 5],
  ['!true || (1 < 2 && 2 >= 2)', true],
  ['"a" == "a" && 1 != "1"', true],
  ['true ? "yes" : "no"', 'yes'],
  ['-list[1]', -2],
  ['obj.b', 'y'],
  ['obj["a"]', 'x'],
  ['list.0', 1],
  ['[for x in list : x * 10 if x != 2]', [10, 30]],
  ['{for k, v in obj : upper(k) => v}', { A: 'x', B: 'y' }],
  ['{for x in ["a", "b", "a"] : x => x...}', { a: ['a', 'a'], b: ['b'] }],
  ['[{n = 1}, {n = 2}][*].n', [1, 2]],
  ['"${TAG}"', 'v1'],
  ['"${list}"', [1, 2, 3]],
  ['"tag: ${TAG}, n: ${1 + 1}, b: ${true}"', 'tag: v1, n: 2, b: true'],
  ['"%{ if TAG == "v1" }one%{ else }other%{ endif }"', 'one'],
  ['"%{ for x in list }<${x}>%{ endfor }"', '<1><2><3>'],
  ['"a   ${~ "b" ~}   c"', 'abc'],
  ['"$${literal} %%{literal}"', '${literal} %{literal}'],
  ['"\\u00e9\\t\\"q\\""', 'é\t"q"'],
  ['max(list...)', 3],
  ['{ a = 1, "b" : 2 }', { a: 1, b: 2 }],
  // The stdlib, with go-cty's results (where buildx's stdlib page shows other values, the page is wrong).
  ['absolute(-42)', 42],
  ['base64decode("SGVsbG8=")', 'Hello'],
  ['basename("/usr/local/bin/docker")', 'docker'],
  ['bytesslice("Docker", 0, 3)', 'Doc'],
  ['can(parseint("123", 10))', true],
  ['can(parseint("zz", 10))', false],
  ['ceil(3.14)', 4],
  ['chomp("Hello\\n\\n")', 'Hello'],
  ['chunklist([1,2,3,4,5], 2)', [[1, 2], [3, 4], [5]]],
  ['cidrhost("10.0.0.0/16", 5)', '10.0.0.5'],
  ['cidrnetmask("10.0.0.0/16")', '255.255.0.0'],
  ['cidrsubnet("10.0.0.0/16", 4, 2)', '10.0.32.0/20'],
  ['cidrsubnets("10.0.0.0/16", 4, 4)', ['10.0.0.0/20', '10.0.16.0/20']],
  ['cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', 'fd00:fd12:3456:7800:a200::/72'],
  ['coalesce(null, "", "docker")', 'docker'],
  ['coalescelist([], [1,2], [3])', [1, 2]],
  ['compact(["a", "", "b", ""])', ['a', 'b']],
  ['contains([1,2,3], 2)', true],
  ['convert("42", number)', 42],
  ['csvdecode("name,age\\nAlice,30")', [{ name: 'Alice', age: '30' }]],
  ['dirname("/usr/local/bin/docker")', '/usr/local/bin'],
  ['distinct([1,2,2,3,3,3])', [1, 2, 3]],
  ['element(["a","b","c"], 4)', 'b'],
  ['flatten([[1,2],[3,[4]],[5]])', [1, 2, 3, 4, 5]],
  ['format("Hello, %s! %05.1f %q %t %x", "World", 3.14159, "q", true, 255)', 'Hello, World! 003.1 "q" true ff'],
  ['formatdate("YYYY-MM-DD hh:mm EEE", "2025-09-16T12:00:00Z")', '2025-09-16 12:00 Tue'],
  ['formattimestamp("X", "2015-10-21T00:00:00Z")', '1445385600'],
  ['formattimestamp("YYYY-MM-DD\'T\'hh:mm:ssZ", 1445385600)', '2015-10-21T00:00:00Z'],
  ['formatlist("Hi %s", ["Alice", "Bob"])', ['Hi Alice', 'Hi Bob']],
  ['greaterthan(5, 2)', true],
  ['hasindex([10, 20, 30], 5)', false],
  ['indent(2, "a\\nb")', 'a\n  b'],
  ['index({foo = "bar", baz = "qux"}, "baz")', 'qux'],
  ['indexof(["a","b","c"], "b")', 1],
  ['int(3.75)', 3],
  ['join(",", ["a","b"], ["c"])', 'a,b,c'],
  ['jsondecode("{\\"stars\\":5}")', { stars: 5 }],
  ['jsonencode({name="Docker", stars=5, html="<a>"})', '{"html":"\\u003ca\\u003e","name":"Docker","stars":5}'],
  ['keys({foo=1, bar=2, baz=3})', ['bar', 'baz', 'foo']],
  ['length("héllo")', 5],
  ['log(100, 10)', 2],
  ['lookup({a="apple"}, "c", "none")', 'none'],
  ['merge({a=1, b=2}, {b=3, c=4})', { a: 1, b: 3, c: 4 }],
  ['parseint("ff", 16)', 255],
  ['pow(3, 2)', 9],
  ['range(0, 5)', [0, 1, 2, 3, 4]],
  ['range(5, 0, -2)', [5, 3, 1]],
  ['regex("h(.)llo", "hello")', ['e']],
  ['regex("(?P<word>[a-z]+)", "abc123")', { word: 'abc' }],
  ['regexall("[a-z]+", "abc123xyz")', ['abc', 'xyz']],
  ['regex_replace("abc123xyz", "[0-9]+", "NUM")', 'abcNUMxyz'],
  ['replace("banana", "na", "--")', 'ba----'],
  ['replace("banana", "/a(n)/", "<$1>")', 'b<n><n>a'],
  ['reverse("stressed")', 'desserts'],
  ['reverselist([1,2,3])', [3, 2, 1]],
  ['sanitize("My App! v1.0")', 'My_App__v1_0'],
  ['semvercmp("1.2.3", ">= 1.2, < 2")', true],
  ['semvercmp("2.0.0", "~1.2")', false],
  ['sethaselement([1,2,3], 2)', true],
  ['setintersection(["a","b","c"], ["b","c","d"])', ['b', 'c']],
  [
    'setproduct(["x","y"], [1,2])',
    [
      ['x', 1],
      ['x', 2],
      ['y', 1],
      ['y', 2],
    ],
  ],
  ['setsubtract([1,2,3], [2])', [1, 3]],
  ['setsymmetricdifference([1,2,3], [3,4])', [1, 2, 4]],
  ['setunion(["a","b"], ["b","c"])', ['a', 'b', 'c']],
  ['sha256("hello")', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
  ['signum(-12)', -1],
  ['slice(["a","b","c","d"], 1, 3)', ['b', 'c']],
  ['sort(["b","c","a"])', ['a', 'b', 'c']],
  ['split(",", "a,b,c")', ['a', 'b', 'c']],
  ['strlen("Docker")', 6],
  ['substr("abcdef", 2, 3)', 'cde'],
  ['timeadd("2025-09-24T12:00:00Z", "1h30m")', '2025-09-24T13:30:00Z'],
  ['title("hello world-from_docker")', 'Hello World-From_Docker'],
  ['trim("--hello--", "-")', 'hello'],
  ['trimprefix("docker-build", "docker-")', 'build'],
  ['trimsuffix("filename.txt", ".txt")', 'filename'],
  ['try(parseint("zz", 16), parseint("ff", 16))', 255],
  ['try(index({a="apple"}, "b"), "fallback")', 'fallback'],
  ['unixtimestampparse(0).rfc3339', '1970-01-01T00:00:00Z'],
  ['upper("hello")', 'HELLO'],
  ['urlencode("a b=c&d")', 'a+b%3Dc%26d'],
  ['uuidv5("dns", "example.com")', 'cfbff0d1-9375-5685-968c-48ce8b15ae17'],
  ['values({a=1, c=3, b=2})', [1, 2, 3]],
  ['zipmap(["name","stars"], ["Docker", 5])', { name: 'Docker', stars: 5 }],
];

for (const [text, expected] of cases) {
  test(`${text}`, (t) => t.deepEqual(evaluate(text), expected));
}

test('a body: comments, heredocs (<<- strips the indent), one-line blocks, labels', (t) => {
  const body = parseHcl(
    '# a comment\ntarget "a" { context = "." }\n/* block\ncomment */\ngroup g {\n  targets = [\n    "a", // trailing\n  ]\n  text = <<-EOT\n    one\n      two\n    EOT\n}\n',
    'f.hcl',
  );
  t.deepEqual(
    body.blocks.map((block) => [block.type, block.labels, block.body.attributes.map((attribute) => attribute.name)]),
    [
      ['target', ['a'], ['context']],
      ['group', ['g'], ['targets', 'text']],
    ],
  );
  t.is(new Evaluator().evaluate(body.blocks[1].body.attributes[1].expr, scope), 'one\n  two\n');
});

test('errors say where: file:line:column, the line, a caret', (t) => {
  const error = t.throws(() => parseHcl('target "a" {\n  tags = ["x" "y"]\n}\n', 'bake.hcl'), { instanceOf: HclError });
  t.is(error?.message, 'bake.hcl:2:15: expected "," or "]", found "\\"y\\"]"');
  t.is(error?.detail, '   tags = ["x" "y"]\n               ^');
  t.throws(() => evaluate('nope'), { message: 'expr:1:1: unknown variable: there is no variable named "nope"' });
  t.throws(() => evaluate('nosuch(1)'), { message: /there is no function named "nosuch"/ });
  t.throws(() => evaluate('"a" + 1'), { message: /the left operand of \+ must be a number/ });
  t.throws(() => evaluate('parseint("zz", 16)'), { message: /parseint: cannot parse "zz" as a base 16 integer/ });
  t.throws(() => evaluate('"a${null}"'), { message: /the expression result is null/ });
  t.throws(() => parseHcl('a = "x\ny"\n', 'f.hcl'), { message: /a quoted string cannot span lines/ });
});
