/**
 * A small reader for ARM template language expressions (`"[format('{0}', parameters('x'))]"`), enough to assert on
 * what `bicep build` emits: Bicep compiles object literals that mix in runtime values to `createObject(...)` and
 * `union(...)` calls, so a plain JSON lookup cannot see app setting names or filter strings.
 * Grammar: https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions
 */
export type ArmNode =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly ArmNode[] }
  | { readonly kind: 'property'; readonly target: ArmNode; readonly name: string }
  | { readonly kind: 'index'; readonly target: ArmNode; readonly index: ArmNode };

type Token =
  | { readonly t: 'ident'; readonly v: string }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: number }
  | { readonly t: 'punct'; readonly v: '(' | ')' | ',' | '.' | '[' | ']' };

/** True for a JSON string that ARM evaluates (`[...]`), false for a literal (including the `[[` escape). */
export function isArmExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ t: 'punct', v: c as '(' | ')' | ',' | '.' | '[' | ']' });
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      tokens.push({ t: 'string', v: value });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+/.exec(src.slice(i));
      if (!m) throw new Error(`bad number at ${i} in ${src}`);
      tokens.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else {
      throw new Error(`unexpected '${c}' at ${i} in ${src}`);
    }
  }
  return tokens;
}

/** Parses `"[expr]"` (the brackets included) into a tree. */
export function parseArmExpression(text: string): ArmNode {
  const source: unknown = text;
  if (!isArmExpression(source)) throw new Error(`not an ARM expression: ${text}`);
  const tokens = tokenize(text.slice(1, -1));
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => {
    const tok = tokens[pos++];
    if (!tok) throw new Error(`unexpected end of ${text}`);
    return tok;
  };
  const expect = (v: string) => {
    const tok = take();
    if (tok.t !== 'punct' || tok.v !== v) throw new Error(`expected '${v}' in ${text}`);
  };

  const primary = (): ArmNode => {
    const tok = take();
    if (tok.t === 'string') return { kind: 'string', value: tok.v };
    if (tok.t === 'number') return { kind: 'number', value: tok.v };
    if (tok.t !== 'ident') throw new Error(`unexpected '${String(tok.v)}' in ${text}`);
    expect('(');
    const args: ArmNode[] = [];
    const next = peek();
    if (!(next?.t === 'punct' && next.v === ')')) {
      for (;;) {
        args.push(expression());
        const sep = take();
        if (sep.t === 'punct' && sep.v === ')') break;
        if (!(sep.t === 'punct' && sep.v === ',')) throw new Error(`expected ',' or ')' in ${text}`);
      }
    } else {
      take();
    }
    return { kind: 'call', name: tok.v, args };
  };

  const expression = (): ArmNode => {
    let node = primary();
    for (;;) {
      const next = peek();
      if (next?.t === 'punct' && next.v === '.') {
        take();
        const name = take();
        if (name.t !== 'ident') throw new Error(`expected a property name in ${text}`);
        node = { kind: 'property', target: node, name: name.v };
      } else if (next?.t === 'punct' && next.v === '[') {
        take();
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else {
        return node;
      }
    }
  };

  const root = expression();
  if (pos !== tokens.length) throw new Error(`trailing input in ${text}`);
  return root;
}

/** Prints a node back in ARM syntax (without the outer brackets), for readable assertions. */
export function printArm(node: ArmNode): string {
  switch (node.kind) {
    case 'string':
      return `'${node.value.replace(/'/g, "''")}'`;
    case 'number':
      return String(node.value);
    case 'call':
      return `${node.name}(${node.args.map(printArm).join(', ')})`;
    case 'property':
      return `${printArm(node.target)}.${node.name}`;
    case 'index':
      return `${printArm(node.target)}[${printArm(node.index)}]`;
  }
}

/**
 * The keys and values of every `createObject(k1, v1, ...)` merged by `union(...)` in an expression: the object a
 * Bicep object literal with runtime values compiles to. Values stay unevaluated nodes.
 */
export function objectEntries(node: ArmNode): Map<string, ArmNode> {
  const out = new Map<string, ArmNode>();
  const visit = (n: ArmNode) => {
    if (n.kind !== 'call') return;
    if (n.name === 'union') n.args.forEach(visit);
    if (n.name === 'createObject') {
      for (let i = 0; i + 1 < n.args.length; i += 2) {
        const key = n.args[i]!;
        if (key.kind !== 'string') throw new Error(`createObject key is not a literal: ${printArm(key)}`);
        out.set(key.value, n.args[i + 1]!);
      }
    }
  };
  visit(node);
  return out;
}

export interface EvalScope {
  readonly variables?: Readonly<Record<string, unknown>>;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/**
 * Evaluates the deterministic subset the tests need (literals, variables(), parameters(), format(), concat()).
 * Anything else (reference(), resourceId(), ...) throws, so a test never passes on a guess.
 */
export function evaluateArm(node: ArmNode, scope: EvalScope): unknown {
  const value = (v: unknown): unknown => (isArmExpression(v) ? evaluateArm(parseArmExpression(v), scope) : v);
  switch (node.kind) {
    case 'string':
    case 'number':
      return node.value;
    case 'property': {
      const target = evaluateArm(node.target, scope);
      if (typeof target !== 'object' || target === null) throw new Error(`cannot read ${node.name} of ${printArm(node.target)}`);
      return value((target as Record<string, unknown>)[node.name]);
    }
    case 'index':
      throw new Error(`indexing is not supported: ${printArm(node)}`);
    case 'call': {
      const args = node.args.map((a) => evaluateArm(a, scope));
      const name = String(args[0]);
      switch (node.name) {
        case 'variables':
          if (!scope.variables || !(name in scope.variables)) throw new Error(`unknown variable ${name}`);
          return value(scope.variables[name]);
        case 'parameters':
          if (!scope.parameters || !(name in scope.parameters)) throw new Error(`unknown parameter ${name}`);
          return value(scope.parameters[name]);
        case 'format':
          return String(args[0]).replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i) + 1]));
        case 'concat':
          return args.map(String).join('');
        default:
          throw new Error(`cannot evaluate ${node.name}() here: ${printArm(node)}`);
      }
    }
  }
}
