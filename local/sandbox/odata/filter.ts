/**
 * A small real OData `$filter` parser and evaluator: eq/ne/gt/ge/lt/le, and/or/not, parentheses, `in (...)`,
 * startswith()/endswith(), any()/all() lambdas, nested paths (`status/errorCode`), string/number/bool/null,
 * datetime and GUID literals. Syntax errors throw FilterSyntaxError; the route decides which features it supports.
 */
export type Literal =
  | { readonly k: 'lit'; readonly t: 'string'; readonly v: string }
  | { readonly k: 'lit'; readonly t: 'number'; readonly v: number }
  | { readonly k: 'lit'; readonly t: 'bool'; readonly v: boolean }
  | { readonly k: 'lit'; readonly t: 'null'; readonly v: null }
  | { readonly k: 'lit'; readonly t: 'datetime'; readonly v: string }
  | { readonly k: 'lit'; readonly t: 'guid'; readonly v: string };

export type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterNode =
  | Literal
  | { readonly k: 'path'; readonly path: readonly string[] }
  | { readonly k: 'cmp'; readonly op: CmpOp; readonly l: FilterNode; readonly r: FilterNode }
  | { readonly k: 'in'; readonly l: FilterNode; readonly list: readonly Literal[] }
  | { readonly k: 'and' | 'or'; readonly a: FilterNode; readonly b: FilterNode }
  | { readonly k: 'not'; readonly e: FilterNode }
  | { readonly k: 'fn'; readonly name: string; readonly args: readonly FilterNode[] }
  | {
      readonly k: 'lambda';
      readonly kind: 'any' | 'all';
      readonly path: readonly string[];
      readonly v: string;
      readonly body: FilterNode;
    };

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

type Token =
  | { t: 'ident'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'datetime'; v: string }
  | { t: 'guid'; v: string }
  | { t: 'punct'; v: '(' | ')' | ',' | ':' };

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?/;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/;
const IDENT = /^[A-Za-z_@$][A-Za-z0-9_@$./]*/;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const next = punctToken(ch) ?? (ch === "'" ? stringToken(input, i) : wordToken(input.slice(i)));
    if (!next) throw new FilterSyntaxError(`unexpected character '${ch}' at position ${i}`);
    tokens.push(next.token);
    i += next.length;
  }
  return tokens;
}

const PUNCT = new Set(['(', ')', ',', ':']);

function punctToken(ch: string): { token: Token; length: number } | undefined {
  return PUNCT.has(ch) ? { token: { t: 'punct', v: ch as '(' | ')' | ',' | ':' }, length: 1 } : undefined;
}

/** A quoted string literal starting at `start` (a doubled quote is one quote), and how many characters it took. */
function stringToken(input: string, start: number): { token: Token; length: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= input.length) throw new FilterSyntaxError('unterminated string literal');
    const c = input.charAt(i);
    if (c === "'" && input.charAt(i + 1) === "'") {
      value += "'";
      i += 2;
    } else if (c === "'") {
      return { token: { t: 'str', v: value }, length: i + 1 - start };
    } else {
      value += c;
      i++;
    }
  }
}

/** A GUID, a date-time, a number or an identifier at the start of `rest`, tried in that order. */
function wordToken(rest: string): { token: Token; length: number } | undefined {
  const guid = GUID.exec(rest);
  if (guid && !/[0-9A-Za-z-]/.test(rest.charAt(guid[0].length)))
    return { token: { t: 'guid', v: guid[0] }, length: guid[0].length };
  const dt = DATETIME.exec(rest);
  if (dt?.[1] !== undefined) return { token: { t: 'datetime', v: dt[0] }, length: dt[0].length };
  const num = NUMBER.exec(rest);
  if (num) return { token: { t: 'num', v: Number(num[0]) }, length: num[0].length };
  const ident = IDENT.exec(rest);
  if (ident) return { token: { t: 'ident', v: ident[0] }, length: ident[0].length };
  return undefined;
}

const CMP_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    const node = this.or();
    if (this.pos < this.tokens.length) throw new FilterSyntaxError(`unexpected '${this.describe(this.peek())}'`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private describe(t: Token | undefined): string {
    return t === undefined ? 'end of expression' : String(t.v);
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t?.t === 'ident' && t.v.toLowerCase() === word;
  }

  private expectPunct(p: '(' | ')' | ',' | ':'): void {
    const t = this.peek();
    if (t?.t !== 'punct' || t.v !== p) throw new FilterSyntaxError(`expected '${p}' but found '${this.describe(t)}'`);
    this.pos++;
  }

  private or(): FilterNode {
    let node = this.and();
    while (this.isKeyword('or')) {
      this.pos++;
      node = { k: 'or', a: node, b: this.and() };
    }
    return node;
  }

  private and(): FilterNode {
    let node = this.unary();
    while (this.isKeyword('and')) {
      this.pos++;
      node = { k: 'and', a: node, b: this.unary() };
    }
    return node;
  }

  private unary(): FilterNode {
    if (this.isKeyword('not')) {
      this.pos++;
      return { k: 'not', e: this.unary() };
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const left = this.primary();
    const t = this.peek();
    if (t?.t === 'ident' && CMP_OPS.has(t.v.toLowerCase())) {
      this.pos++;
      return { k: 'cmp', op: t.v.toLowerCase() as CmpOp, l: left, r: this.primary() };
    }
    if (this.isKeyword('in')) {
      this.pos++;
      this.expectPunct('(');
      const list: Literal[] = [];
      for (;;) {
        const item = this.primary();
        if (item.k !== 'lit') throw new FilterSyntaxError("'in' takes a list of literals");
        list.push(item);
        const next = this.peek();
        if (next?.t === 'punct' && next.v === ',') {
          this.pos++;
          continue;
        }
        this.expectPunct(')');
        break;
      }
      return { k: 'in', l: left, list };
    }
    return left;
  }

  private primary(): FilterNode {
    const t = this.peek();
    if (t === undefined) throw new FilterSyntaxError('unexpected end of expression');
    this.pos++;
    switch (t.t) {
      case 'str':
        return { k: 'lit', t: 'string', v: t.v };
      case 'num':
        return { k: 'lit', t: 'number', v: t.v };
      case 'datetime':
        return { k: 'lit', t: 'datetime', v: t.v };
      case 'guid':
        return { k: 'lit', t: 'guid', v: t.v };
      case 'punct': {
        if (t.v !== '(') throw new FilterSyntaxError(`unexpected '${t.v}'`);
        const inner = this.or();
        this.expectPunct(')');
        return inner;
      }
      case 'ident':
        return this.identifier(t.v);
    }
  }

  private identifier(word: string): FilterNode {
    const lower = word.toLowerCase();
    if (lower === 'true' || lower === 'false') return { k: 'lit', t: 'bool', v: lower === 'true' };
    if (lower === 'null') return { k: 'lit', t: 'null', v: null };
    const next = this.peek();
    const callsSomething = next?.t === 'punct' && next.v === '(';
    const lambda = /^(.+)\/(any|all)$/i.exec(word);
    if (lambda && callsSomething) {
      this.pos++;
      const variable = this.peek();
      if (variable?.t !== 'ident') throw new FilterSyntaxError('expected a lambda variable');
      this.pos++;
      this.expectPunct(':');
      const body = this.or();
      this.expectPunct(')');
      return {
        k: 'lambda',
        kind: (lambda[2] ?? 'any').toLowerCase() as 'any' | 'all',
        path: splitPath(lambda[1] ?? ''),
        v: variable.v,
        body,
      };
    }
    if (callsSomething) {
      this.pos++;
      const args: FilterNode[] = [];
      const close = this.peek();
      if (!(close?.t === 'punct' && close.v === ')')) {
        for (;;) {
          args.push(this.or());
          const sep = this.peek();
          if (sep?.t === 'punct' && sep.v === ',') {
            this.pos++;
            continue;
          }
          break;
        }
      }
      this.expectPunct(')');
      return { k: 'fn', name: lower, args };
    }
    return { k: 'path', path: splitPath(word) };
  }
}

function splitPath(word: string): string[] {
  const parts = word.split('/');
  if (parts.some((p) => p.length === 0)) throw new FilterSyntaxError(`invalid property path '${word}'`);
  return parts;
}

export function parseFilter(input: string): FilterNode {
  if (input.trim().length === 0) throw new FilterSyntaxError('empty filter');
  return new Parser(tokenize(input)).parse();
}

/** Every node in the tree, for routes that check which operators, functions and properties a filter uses. */
export function* walk(node: FilterNode): Generator<FilterNode> {
  yield node;
  switch (node.k) {
    case 'cmp':
      yield* walk(node.l);
      yield* walk(node.r);
      break;
    case 'in':
      yield* walk(node.l);
      break;
    case 'and':
    case 'or':
      yield* walk(node.a);
      yield* walk(node.b);
      break;
    case 'not':
      yield* walk(node.e);
      break;
    case 'fn':
      for (const a of node.args) yield* walk(a);
      break;
    case 'lambda':
      yield* walk(node.body);
      break;
    default:
      break;
  }
}

export interface EvalOptions {
  /** Directory string comparisons are case-insensitive; sign-in log `userPrincipalName eq` is not. */
  readonly caseInsensitive: boolean;
}

type Scope = ReadonlyMap<string, unknown>;

function getProp(obj: unknown, name: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const rec = obj as Record<string, unknown>;
  if (name in rec) return rec[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(rec)) if (key.toLowerCase() === lower) return rec[key];
  return undefined;
}

function resolvePath(path: readonly string[], obj: unknown, scope: Scope): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return undefined;
  let value: unknown = scope.has(head) ? scope.get(head) : getProp(obj, head);
  for (const seg of rest) value = getProp(value, seg);
  return value;
}

function evalValue(node: FilterNode, obj: unknown, scope: Scope, opts: EvalOptions): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'path':
      return resolvePath(node.path, obj, scope);
    default:
      return evaluateNode(node, obj, scope, opts);
  }
}

function isDateTimeLiteral(node: FilterNode): boolean {
  return node.k === 'lit' && node.t === 'datetime';
}

function scalar(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function compare(op: CmpOp, left: unknown, right: unknown, asDate: boolean, opts: EvalOptions): boolean {
  if (left === undefined) left = null;
  if (right === undefined) right = null;
  if (left === null || right === null) {
    if (op === 'eq') return left === right;
    if (op === 'ne') return left !== right;
    return false;
  }
  let a: string | number | boolean;
  let b: string | number | boolean;
  if (asDate) {
    a = Date.parse(scalar(left));
    b = Date.parse(scalar(right));
    if (Number.isNaN(a) || Number.isNaN(b)) return false;
  } else if (typeof left === 'number' || typeof right === 'number') {
    a = Number(left);
    b = Number(right);
  } else if (typeof left === 'boolean' || typeof right === 'boolean') {
    a = scalar(left);
    b = scalar(right);
  } else if (typeof left === 'string' && typeof right === 'string') {
    a = opts.caseInsensitive ? left.toLowerCase() : left;
    b = opts.caseInsensitive ? right.toLowerCase() : right;
  } else {
    a = JSON.stringify(left);
    b = JSON.stringify(right);
  }
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

function evaluateNode(node: FilterNode, obj: unknown, scope: Scope, opts: EvalOptions): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'path':
      return resolvePath(node.path, obj, scope) === true;
    case 'cmp':
      return compare(
        node.op,
        evalValue(node.l, obj, scope, opts),
        evalValue(node.r, obj, scope, opts),
        isDateTimeLiteral(node.l) || isDateTimeLiteral(node.r),
        opts,
      );
    case 'in': {
      const left = evalValue(node.l, obj, scope, opts);
      return node.list.some((lit) => compare('eq', left, lit.v, lit.t === 'datetime', opts));
    }
    case 'and':
      return evaluateNode(node.a, obj, scope, opts) === true && evaluateNode(node.b, obj, scope, opts) === true;
    case 'or':
      return evaluateNode(node.a, obj, scope, opts) === true || evaluateNode(node.b, obj, scope, opts) === true;
    case 'not':
      return evaluateNode(node.e, obj, scope, opts) !== true;
    case 'fn': {
      const [subject, prefix] = node.args.map((a) => evalValue(a, obj, scope, opts));
      if (typeof subject !== 'string' || typeof prefix !== 'string') return false;
      const s = opts.caseInsensitive ? subject.toLowerCase() : subject;
      const p = opts.caseInsensitive ? prefix.toLowerCase() : prefix;
      if (node.name === 'startswith') return s.startsWith(p);
      if (node.name === 'endswith') return s.endsWith(p);
      throw new FilterSyntaxError(`unsupported function '${node.name}'`);
    }
    case 'lambda': {
      const collection = resolvePath(node.path, obj, scope);
      if (!Array.isArray(collection)) return node.kind === 'all';
      const test = (item: unknown): boolean => {
        const inner = new Map(scope);
        inner.set(node.v, item);
        return evaluateNode(node.body, obj, inner, opts) === true;
      };
      return node.kind === 'any' ? collection.some(test) : collection.every(test);
    }
  }
}

export function evaluateFilter(node: FilterNode, obj: unknown, opts: EvalOptions): boolean {
  return evaluateNode(node, obj, new Map(), opts) === true;
}
