/**
 * GitHub Actions expressions as the runner evaluates them, with GitHub's own evaluator
 * (@actions/expressions, the one the workflow parser and the language server use): `${{ }}` in
 * strings, and `if:` conditions with the status functions and the implicit `success() &&` a
 * condition without one gets. A context or function the evaluator does not know is an error,
 * never an empty string.
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';

/** The contexts an expression reads (github, env, vars, secrets, steps, needs, job, runner). */
export type Contexts = Record<string, unknown>;

/** success() and failure() as the place the expression sits in sees them (a job, or a step). */
export interface Status {
  success(): boolean;
  failure(): boolean;
}

const STATUS_CALL = /\b(success|failure|always|cancelled)\s*\(/i;
const EMBEDDED = /\$\{\{([\s\S]*?)\}\}/g;

function functions(status: Status) {
  const fn = (name: string, value: () => boolean) =>
    [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) }] as const;
  return new Map([
    fn('success', () => status.success()),
    fn('failure', () => status.failure()),
    fn('always', () => true),
    // Nothing cancels a run here.
    fn('cancelled', () => false),
  ]);
}

/** One expression (the text between `${{` and `}}`), evaluated over `contexts`. */
export function evaluate(expr: string, contexts: Contexts, status: Status): data.ExpressionData {
  const dictionary = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  const fns = functions(status);
  try {
    const tokens = new Lexer(expr).lex().tokens;
    const ast = new Parser(tokens, Object.keys(contexts), [...fns.values()]).parse();
    return new Evaluator(ast, dictionary, fns).evaluate();
  } catch (e) {
    throw new Error(`expression '${expr.trim()}': ${(e as Error).message}`);
  }
}

/** A value with `${{ }}` in it, each replaced by its result as a string (what `with:` and `env:` get). */
export function interpolate(value: unknown, contexts: Contexts, status: Status): string {
  return String(value).replace(EMBEDDED, (_, expr: string) =>
    evaluate(expr, contexts, status).coerceString(),
  );
}

/** An `if:`: a bare expression or one `${{ }}`; without a status function it is `success() && (…)`. */
export function condition(value: unknown, contexts: Contexts, status: Status): boolean {
  if (value === undefined) return status.success();
  let expr = String(value).trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(expr);
  if (wrapped) expr = wrapped[1]!;
  if (!STATUS_CALL.test(expr)) expr = `success() && (${expr})`;
  return truthy(evaluate(expr, contexts, status));
}
