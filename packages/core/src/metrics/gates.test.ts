import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../errors.ts';
import { judgeGate, MAX_GATE_DEPTH, MAX_GATE_LENGTH, parseGates } from './gates.ts';

const names = ['accuracy', 'f1_macro', 'latency_p95_ms', 'baseline.accuracy', 'baseline.f1_macro'];
const values = new Map([
  ['accuracy', 0.92],
  ['f1_macro', 0.9],
  ['latency_p95_ms', 7.5],
  ['baseline.accuracy', 0.95],
  ['baseline.f1_macro', 0.905],
]);

const judge = (expr: string) => judgeGate(parseGates([expr], names)[0]!, values);

test('gates compare metrics with numbers and with the baseline', () => {
  assert.deepEqual(judge('accuracy >= 0.9'), {
    expr: 'accuracy >= 0.9',
    passed: true,
    observed: 0.92,
    required: '>= 0.9',
  });
  assert.equal(judge('f1_macro >= baseline.f1_macro - 0.01').passed, true);
  assert.equal(judge('f1_macro >= baseline.f1_macro - 0.001').passed, false);
  assert.equal(judge('f1_macro >= baseline.f1_macro - 0.001').required, '>= 0.904');
  assert.equal(judge('latency_p95_ms <= 5').passed, false);
  assert.equal(judge('accuracy > baseline.accuracy').passed, false);
  assert.equal(judge('accuracy*100 >= (90 + 2) / 1').passed, true);
  assert.equal(judge('-accuracy < -0.5').passed, true);
  assert.equal(judge('accuracy != 1').passed, true);
  assert.equal(judge('accuracy == .92').passed, true);
});

test('a gate over a metric that could not be computed fails', () => {
  const gate = parseGates(['accuracy >= 0.5'], names)[0]!;
  const result = judgeGate(gate, new Map([['accuracy', Number.NaN]]));
  assert.equal(result.passed, false);
});

test('a gate that does not parse points at the gate and the column', () => {
  for (const [expr, column, what] of [
    ['accuracy 0.9', 10, 'expected a comparison'],
    ['accuracy >= ', 13, 'expected a number'],
    ['accuracy = 0.9', 10, 'unexpected character'],
    ['accuracy >= (0.9', 17, "expected ')'"],
    ['accuracy >= 0.9 0.1', 17, 'unexpected text'],
  ] as const) {
    assert.throws(
      () => parseGates(['accuracy >= 0.5', expr], names),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.where?.path, 'gates[1]');
        assert.match(e.message, new RegExp(`column ${column}: ${what.replace(/[()]/g, '\\$&')}`));
        return true;
      },
      expr,
    );
  }
});

test('an unknown metric lists the valid names and suggests the closest', () => {
  assert.throws(
    () => parseGates(['acuracy >= 0.9'], names),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.render(), /unknown metric 'acuracy'/);
      assert.match(e.render(), /Did you mean 'accuracy'\?/);
      assert.match(e.render(), /Valid names: accuracy, f1_macro, latency_p95_ms/);
      return true;
    },
  );
  assert.throws(() => parseGates(['baseline.roc_auc < 1'], names), /unknown metric 'baseline.roc_auc'/);
});

test('a gate nested or long enough to exhaust the stack is refused with its limit', () => {
  const nested = (depth: number) => `${'('.repeat(depth)}accuracy${')'.repeat(depth)} >= 0.9`;
  assert.equal(judge(nested(MAX_GATE_DEPTH)).passed, true, 'the limit itself is allowed');
  const refusals: [string, RegExp][] = [
    [nested(MAX_GATE_DEPTH + 1), new RegExp(`nested more than ${MAX_GATE_DEPTH} levels deep`)],
    [`accuracy >= ${'-'.repeat(MAX_GATE_DEPTH + 1)}1`, /nested more than/],
    // 3,000 deep overflowed the stack; 20,000 deep crashed the process.
    [nested(3000), new RegExp(`is 6015 characters long; the limit is ${MAX_GATE_LENGTH}`)],
    [nested(20000), /is 40015 characters long/],
    [`accuracy${' + accuracy'.repeat(200)} >= 0`, /characters long/],
  ];
  for (const [expr, what] of refusals) {
    assert.throws(
      () => parseGates(['accuracy >= 0.5', expr], names),
      (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.where?.path, 'gates[1]');
        assert.match(e.render(), what);
        assert.doesNotMatch(e.render(), /\n/, 'one line');
        return true;
      },
      expr.slice(0, 30),
    );
  }
});
