/**
 * Syntax check of dynamic membership rules, for the subset the sandbox understands (Entra "Dynamic membership rules
 * for groups"): `user.|device.<property> -<operator> <value>` comparisons joined by `-and` / `-or`, `-not`, and
 * parentheses; values are double-quoted strings, true, false, null, or `["a","b"]` lists for -in / -notIn. Rules with
 * constructs it does not model (-any / -all over multi-valued properties, memberOf, "Direct Reports for") are accepted
 * unchecked: the sandbox refuses only what it can tell is broken.
 */
const OPERATORS = new Set([
  '-eq',
  '-ne',
  '-startswith',
  '-notstartswith',
  '-contains',
  '-notcontains',
  '-match',
  '-notmatch',
  '-in',
  '-notin',
  '-le',
  '-ge',
]);
const UNMODELLED = /-any\b|-all\b|memberof|direct reports for/i;
const PROPERTY = /^(user|device)\.[A-Za-z][\w]*$/i;
const TOKEN = /\s*("(?:[^"\\]|\\.)*"|\(|\)|\[|\]|,|[^\s()[\],"]+)/y;

function tokenize(rule: string): string[] | undefined {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < rule.length) {
    if (/^\s*$/.test(rule.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(rule);
    if (!m?.[1]) return undefined; // An unterminated string.
    tokens.push(m[1]);
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly t: readonly string[]) {}

  parse(): boolean {
    return this.expr() && this.i === this.t.length;
  }

  private peek(): string | undefined {
    return this.t[this.i];
  }

  private expr(): boolean {
    if (!this.term()) return false;
    while (/^-(and|or)$/i.test(this.peek() ?? '')) {
      this.i++;
      if (!this.term()) return false;
    }
    return true;
  }

  private term(): boolean {
    const tok = this.peek();
    if (tok?.toLowerCase() === '-not') {
      this.i++;
      return this.term();
    }
    if (tok === '(') {
      this.i++;
      if (!this.expr() || this.peek() !== ')') return false;
      this.i++;
      return true;
    }
    return this.comparison();
  }

  private comparison(): boolean {
    const [prop, op] = [this.t[this.i], this.t[this.i + 1]?.toLowerCase()];
    if (!prop || !PROPERTY.test(prop) || !op || !OPERATORS.has(op)) return false;
    this.i += 2;
    return op === '-in' || op === '-notin' ? this.list() : this.scalar();
  }

  private scalar(): boolean {
    const v = this.peek();
    if (v === undefined || !(/^".*"$/s.test(v) || /^(true|false|null)$/i.test(v))) return false;
    this.i++;
    return true;
  }

  private list(): boolean {
    if (this.peek() !== '[') return false;
    this.i++;
    do {
      if (!this.scalar()) return false;
    } while (this.peek() === ',' && ++this.i);
    if (this.peek() !== ']') return false;
    this.i++;
    return true;
  }
}

/** True when the rule is well-formed, or uses constructs the sandbox does not model. */
export function isValidMembershipRule(rule: string): boolean {
  if (rule.trim().length === 0) return false;
  if (UNMODELLED.test(rule)) return true;
  const tokens = tokenize(rule);
  return tokens !== undefined && new Parser(tokens).parse();
}
