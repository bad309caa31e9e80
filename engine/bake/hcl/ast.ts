// The syntax tree of HCL's native syntax as bake files use it (hashicorp/hcl hclsyntax): bodies of
// attributes and labelled blocks, and expressions, each node with where it starts in its file.

export interface Position {
  file: string;
  line: number;
  column: number;
}

export type TemplatePart = { kind: 'text'; text: string } | { kind: 'interpolation'; expr: Expr } | TemplateDirective;

export type TemplateDirective =
  | { kind: 'if'; condition: Expr; then: TemplatePart[]; else: TemplatePart[]; at: Position }
  | { kind: 'for'; keyVar?: string; valueVar: string; collection: Expr; body: TemplatePart[]; at: Position };

/** A traversal step after a splat, applied to each element. */
export type Step = { kind: 'attr'; name: string } | { kind: 'index'; key: Expr };

export type Expr = { at: Position } & (
  | { kind: 'literal'; value: null | boolean | number }
  | { kind: 'template'; parts: TemplatePart[] }
  | { kind: 'variable'; name: string }
  | { kind: 'attr'; object: Expr; name: string }
  | { kind: 'index'; object: Expr; key: Expr }
  | { kind: 'splat'; source: Expr; steps: Step[] }
  | { kind: 'call'; name: string; args: Expr[]; expandFinal: boolean }
  | { kind: 'tuple'; items: Expr[] }
  | { kind: 'object'; items: Array<{ key: Expr; keyword?: string; value: Expr }> }
  | {
      kind: 'for';
      keyVar?: string;
      valueVar: string;
      collection: Expr;
      keyExpr?: Expr;
      valueExpr: Expr;
      condition?: Expr;
      grouping: boolean;
      object: boolean;
    }
  | { kind: 'unary'; op: '!' | '-'; operand: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'conditional'; condition: Expr; then: Expr; else: Expr }
  | { kind: 'parens'; inner: Expr }
);

export interface Attribute {
  name: string;
  expr: Expr;
  at: Position;
}

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  at: Position;
}

export interface Body {
  attributes: Attribute[];
  blocks: Block[];
}

/** A keyword expression (`string`, `number`, a bare name), as HCL's ExprAsKeyword reads it. */
export function keywordOf(expr: Expr): string | undefined {
  if (expr.kind === 'variable') return expr.name;
  if (expr.kind === 'parens') return keywordOf(expr.inner);
  return undefined;
}

/** The attribute of a body with this name, if it has one. */
export function attributeNamed(body: Body, name: string): Attribute | undefined {
  return body.attributes.find((attribute) => attribute.name === name);
}
