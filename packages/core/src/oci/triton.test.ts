import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../errors.ts';
import { tritonConfig, tritonType } from './triton.ts';

const iris = {
  name: 'iris',
  inputs: [{ name: 'float_input', type: 'float32', shape: ['N', 4] }],
  outputs: [
    { name: 'label', type: 'int64', shape: [-1] },
    { name: 'probabilities', type: 'tensor(float)', shape: ['N', 3] },
  ],
};

describe('tritonConfig', () => {
  it('writes a batched GPU config without the batch dimension', () => {
    assert.equal(
      tritonConfig({ ...iris, maxBatchSize: 64, gpu: true }),
      `name: "iris"
platform: "onnxruntime_onnx"
max_batch_size: 64
input [
  {
    name: "float_input"
    data_type: TYPE_FP32
    dims: [ 4 ]
  }
]
output [
  {
    name: "label"
    data_type: TYPE_INT64
    dims: [ 1 ]
    reshape: { shape: [ ] }
  },
  {
    name: "probabilities"
    data_type: TYPE_FP32
    dims: [ 3 ]
  }
]
dynamic_batching { }
instance_group [
  {
    count: 1
    kind: KIND_GPU
  }
]
`,
    );
  });

  it('writes an unbatched CPU config with full shapes and no dynamic batcher', () => {
    assert.equal(
      tritonConfig({
        name: 'odd "name"',
        inputs: [{ name: 'x', type: 'DOUBLE', shape: [1, 'seq', 8] }],
        outputs: [{ name: 'y', type: 'bool', shape: [1] }],
        maxBatchSize: 0,
        dynamicBatching: true,
        gpu: false,
      }),
      `name: "odd \\"name\\""
platform: "onnxruntime_onnx"
max_batch_size: 0
input [
  {
    name: "x"
    data_type: TYPE_FP64
    dims: [ 1, -1, 8 ]
  }
]
output [
  {
    name: "y"
    data_type: TYPE_BOOL
    dims: [ 1 ]
  }
]
instance_group [
  {
    count: 1
    kind: KIND_CPU
  }
]
`,
    );
  });

  it('maps ONNX types and refuses what Triton cannot take', () => {
    assert.equal(tritonType('float16'), 'TYPE_FP16');
    assert.equal(tritonType('FLOAT'), 'TYPE_FP32');
    assert.equal(tritonType('tensor(int64)'), 'TYPE_INT64');
    assert.equal(tritonType('string'), 'TYPE_STRING');
    assert.throws(() => tritonType('non-tensor'), InputError);
  });

  it('refuses batching a model whose first dimension is fixed', () => {
    const fixed = { ...iris, inputs: [{ name: 'x', type: 'float32', shape: [8, 4] }] };
    assert.throws(() => tritonConfig({ ...fixed, maxBatchSize: 8, gpu: false }), InputError);
    assert.throws(() => tritonConfig({ ...iris, maxBatchSize: -1, gpu: false }), InputError);
  });
});
