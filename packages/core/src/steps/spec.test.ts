import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InputError } from '../errors.ts';
import { defineStep, input, parseInputs } from './spec.ts';

const spec = defineStep({
  id: 'demo',
  title: 'Demo',
  summary: 'A step for tests.',
  inputs: {
    data: input.path({ description: 'Data.', required: true, example: 'd.csv' }),
    'batch-size': input.number({ description: 'Rows per batch.', default: '64', integer: true, min: 1 }),
    push: input.boolean({ description: 'Push.', default: 'false' }),
    mode: input.choice(['a', 'b'] as const, { description: 'Mode.', default: 'a' }),
    tags: input.list({ description: 'Tags.' }),
    token: input.string({ description: 'Token.', secret: true }),
  },
  outputs: { ok: { description: 'ok' } },
});
const origin = (n: string) => `--${n}`;

describe('inputs parsed from strings by the step schema', () => {
  it('applies defaults and converts types', async () => {
    const v = await parseInputs(spec, { data: 'x.csv', tags: 'a, b\nc\n# comment' }, origin);
    assert.deepEqual(v, {
      data: 'x.csv',
      'batch-size': 64,
      push: false,
      mode: 'a',
      tags: ['a', 'b', 'c'],
      token: undefined,
    });
    assert.equal((await parseInputs(spec, { data: 'x', push: 'TRUE' }, origin)).push, true);
  });

  it('a missing required input says how to set it', async () => {
    await assert.rejects(parseInputs(spec, {}, origin), (e: InputError) => {
      assert.equal(e.render(), "missing required input 'data' (Data). Set --data, e.g. d.csv.");
      return true;
    });
  });

  it('a malformed value names the input and what it accepts', async () => {
    await assert.rejects(
      parseInputs(spec, { data: 'x', 'batch-size': '1.5' }, origin),
      /input 'batch-size' is "1.5", expected a whole number >= 1/,
    );
    await assert.rejects(
      parseInputs(spec, { data: 'x', mode: 'c' }, origin),
      /input 'mode' is "c", expected one of a, b/,
    );
    await assert.rejects(parseInputs(spec, { data: 'x', push: 'yes' }, origin), /expected true or false/);
  });

  it('never echoes a secret input in an error', async () => {
    const badSpec = defineStep({
      ...spec,
      inputs: { ...spec.inputs, token: input.number({ description: 'T.', secret: true }) },
    });
    await assert.rejects(parseInputs(badSpec, { data: 'x', token: 'hunter2-secret' }, origin), (e: Error) => {
      assert.ok(!e.message.includes('hunter2'));
      return true;
    });
  });

  it('rejects names that are not kebab-case', () => {
    assert.throws(
      () => defineStep({ ...spec, inputs: { batchSize: spec.inputs['batch-size'] } }),
      /not kebab-case/,
    );
  });

  it('an output path may only be skipped by a boolean input', () => {
    const output = input.path({ description: 'Dir.', writes: 'directory', writesUnless: 'push' });
    const push = input.boolean({ description: 'Push.', default: 'false' });
    assert.equal(defineStep({ ...spec, inputs: { output, push } }).inputs.output.writes, 'directory');
    assert.throws(
      () => defineStep({ ...spec, inputs: { output, push: input.string({ description: 'Push.' }) } }),
      /'output' is written unless 'push', which is no boolean input/,
    );
  });
});
