import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../errors.ts';
import { parseArtifact } from './artifact.ts';
import { pipelineVariables } from './variables.ts';

test('inputs and params become one set of variables; a value keeps its = signs', () => {
  assert.deepEqual(pipelineVariables(['dataset=s3://b/k?v=1', 'empty='], { epochs: '3' }), {
    dataset: 's3://b/k?v=1',
    empty: '',
    epochs: '3',
  });
});

test('a line without a name, or a name given twice, is refused on inputs', () => {
  for (const [lines, params, message] of [
    [['=x'], {}, "'=x' is not name=value"],
    [['novalue'], {}, "'novalue' is not name=value"],
    [['a=1', 'a=2'], {}, "'a' is given more than once"],
    [['epochs=1'], { epochs: '2' }, "'epochs' is given more than once"],
  ] as const) {
    assert.throws(
      () => pipelineVariables(lines, params),
      (e) => e instanceof InputError && e.where?.path === 'inputs' && e.message === message,
    );
  }
});

test('artifact is name or name:path', () => {
  assert.deepEqual(parseArtifact('model'), { name: 'model', path: undefined });
  assert.deepEqual(parseArtifact('model:./out/m.onnx'), { name: 'model', path: 'out/m.onnx' });
  assert.throws(
    () => parseArtifact('model:'),
    (e) => e instanceof InputError && e.where?.path === 'artifact',
  );
  assert.throws(() => parseArtifact(':m.onnx'), InputError);
});
