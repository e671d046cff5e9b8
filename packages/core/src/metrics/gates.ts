/**
 * Gate expressions: `accuracy >= 0.9`, `f1_macro >= baseline.f1_macro - 0.01`. One comparison
 * whose sides are arithmetic over numbers and metric names. Parsed before any model runs, so a
 * typo fails in a second, not after an hour of inference.
 */
import { InputError } from '../errors.ts';
import { closest } from '../suggest.ts';

type Node =
  | { kind: 'number'; value: number }
  | { kind: 'name'; name: string; at: number }
  | { kind: 'negate'; operand: Node }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/'; left: Node; right: Node };

const COMPARATORS = ['>=', '<=', '==', '!=', '>', '<'] as const;
type Comparator = (typeof COMPARATORS)[number];

export interface Gate {
  expr: string;
  /** Where the user wrote it, e.g. `gates[2]`. */
  path: string;
  left: Node;
  op: Comparator;
  right: Node;
}

export interface GateResult {
  expr: string;
  passed: boolean;
  /** The left side's value. */
  observed: number;
  /** The comparator and the right side's value, e.g. `>= 0.89`. */
  required: string;
}

/**
 * The parser and evaluator recurse once per parenthesis, minus sign and operator, so a gate is
 * bounded before it can exhaust the stack: real gates are one line with a few parentheses.
 */
export const MAX_GATE_LENGTH = 1000;
export const MAX_GATE_DEPTH = 32;

type Token = { kind: 'number' | 'name' | 'op' | 'paren'; text: string; at: number };

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)|([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)|(>=|<=|==|!=|[<>+\-*/])|([()]))/y;

function tokenize(expr: string, path: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < expr.length) {
    if (/^\s*$/.test(expr.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(expr);
    if (!m) throw gateError(expr, path, skipSpace(expr, at), 'unexpected character');
    const start = m.index + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) tokens.push({ kind: 'number', text: m[1], at: start });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', text: m[2], at: start });
    else if (m[3] !== undefined) tokens.push({ kind: 'op', text: m[3], at: start });
    else tokens.push({ kind: 'paren', text: m[4]!, at: start });
    at = TOKEN.lastIndex;
  }
  return tokens;
}

const skipSpace = (s: string, at: number) => at + (s.slice(at).length - s.slice(at).trimStart().length);

/** Recursive descent over the tokens; each method consumes what it recognises. */
class Parser {
  private i = 0;
  /** Parentheses and unary minus signs open at the current token. */
  private depth = 0;
  private readonly tokens: Token[];
  private readonly expr: string;
  private readonly path: string;
  constructor(tokens: Token[], expr: string, path: string) {
    this.tokens = tokens;
    this.expr = expr;
    this.path = path;
  }

  gate(): Gate {
    const left = this.sum();
    const t = this.tokens[this.i];
    if (!t || !COMPARATORS.includes(t.text as Comparator)) {
      throw this.fail(t, 'expected a comparison (>=, <=, >, <, ==, !=)');
    }
    this.i++;
    const right = this.sum();
    const rest = this.tokens[this.i];
    if (rest) throw this.fail(rest, 'unexpected text after the comparison');
    return { expr: this.expr, path: this.path, left, op: t.text as Comparator, right };
  }

  private sum(): Node {
    let node = this.product();
    for (let t = this.tokens[this.i]; t && (t.text === '+' || t.text === '-'); t = this.tokens[this.i]) {
      this.i++;
      node = { kind: 'binary', op: t.text, left: node, right: this.product() };
    }
    return node;
  }

  private product(): Node {
    let node = this.unary();
    for (let t = this.tokens[this.i]; t && (t.text === '*' || t.text === '/'); t = this.tokens[this.i]) {
      this.i++;
      node = { kind: 'binary', op: t.text, left: node, right: this.unary() };
    }
    return node;
  }

  private unary(): Node {
    const t = this.tokens[this.i];
    if (t?.text === '-') {
      this.i++;
      return { kind: 'negate', operand: this.nested(t, () => this.unary()) };
    }
    return this.atom();
  }

  private atom(): Node {
    const t = this.tokens[this.i++];
    if (t?.kind === 'number') return { kind: 'number', value: Number(t.text) };
    if (t?.kind === 'name') return { kind: 'name', name: t.text, at: t.at };
    if (t?.text === '(') {
      const inner = this.nested(t, () => this.sum());
      const close = this.tokens[this.i++];
      if (close?.text !== ')') throw this.fail(close, "expected ')'");
      return inner;
    }
    throw this.fail(t, 'expected a number, a metric name or (');
  }

  private nested(t: Token, parse: () => Node): Node {
    if (++this.depth > MAX_GATE_DEPTH) {
      throw gateError(
        this.expr,
        this.path,
        t.at,
        `nested more than ${MAX_GATE_DEPTH} levels deep`,
        `Write the gate with at most ${MAX_GATE_DEPTH} nested parentheses or minus signs.`,
      );
    }
    const node = parse();
    this.depth--;
    return node;
  }

  private fail(t: Token | undefined, what: string): InputError {
    return gateError(this.expr, this.path, t?.at ?? this.expr.length, what);
  }
}

function gateError(expr: string, path: string, at: number, what: string, fix?: string): InputError {
  return new InputError(`gate '${expr}' does not parse at column ${at + 1}: ${what}`, {
    where: { path },
    fix:
      fix ??
      'A gate is one comparison of metric names and numbers, e.g. `accuracy >= 0.9` or `f1_macro >= baseline.f1_macro - 0.01`.',
  });
}

/**
 * Parses every gate and checks each name against the metrics this run will produce; without
 * `names`, only the syntax (so a broken gate fails before any model is opened).
 */
export function parseGates(
  exprs: readonly string[],
  names: readonly string[] | undefined,
  input = 'gates',
): Gate[] {
  return exprs.map((expr, i) => {
    const path = `${input}[${i}]`;
    if (expr.length > MAX_GATE_LENGTH) {
      const start = `${expr.slice(0, 40)}…`;
      throw new InputError(
        `gate '${start}' is ${expr.length} characters long; the limit is ${MAX_GATE_LENGTH}`,
        {
          where: { path },
          fix: 'A gate is one short comparison, e.g. `accuracy >= 0.9`; split long conditions into several gates.',
        },
      );
    }
    const gate = new Parser(tokenize(expr, path), expr, path).gate();
    if (!names) return gate;
    for (const name of namesIn(gate.left).concat(namesIn(gate.right))) {
      if (names.includes(name.name)) continue;
      const guess = closest(name.name, names);
      throw new InputError(`gate '${expr}' names unknown metric '${name.name}'`, {
        where: { path },
        fix: `${guess ? `Did you mean '${guess}'? ` : ''}Valid names: ${names.join(', ')}.`,
      });
    }
    return gate;
  });
}

function namesIn(node: Node): { name: string; at: number }[] {
  switch (node.kind) {
    case 'name':
      return [node];
    case 'number':
      return [];
    case 'negate':
      return namesIn(node.operand);
    case 'binary':
      return [...namesIn(node.left), ...namesIn(node.right)];
  }
}

function evaluate(node: Node, values: ReadonlyMap<string, number>): number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'name':
      return values.get(node.name) ?? Number.NaN;
    case 'negate':
      return -evaluate(node.operand, values);
    case 'binary': {
      const a = evaluate(node.left, values);
      const b = evaluate(node.right, values);
      if (node.op === '+') return a + b;
      if (node.op === '-') return a - b;
      if (node.op === '*') return a * b;
      return a / b;
    }
  }
}

const COMPARE: Record<Comparator, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** A gate over a metric that could not be computed (NaN) fails: no evidence is not a pass. */
export function judgeGate(gate: Gate, values: ReadonlyMap<string, number>): GateResult {
  const observed = evaluate(gate.left, values);
  const bound = evaluate(gate.right, values);
  const passed = Number.isFinite(observed) && Number.isFinite(bound) && COMPARE[gate.op](observed, bound);
  return { expr: gate.expr, passed, observed, required: `${gate.op} ${Number(bound.toPrecision(6))}` };
}
