import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { trainReference } from '../../../../test/support/models.ts';
import { encodeModel } from './graph.ts';
import { type DenseLayer, linearClassifier, linearRegressor, mlpClassifier } from './models.ts';
import { ProtoWriter } from './protobuf.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'data');
const TOLERANCE = 1e-5;

/** Deterministic rows without a generator: smooth, signed, different per cell. */
const rows = (n: number, features: number, scale = 3) =>
  Array.from({ length: n }, (_, i) =>
    Array.from({ length: features }, (_, j) => scale * Math.sin(1.7 * i + 0.9 * j + 0.3)),
  );
const matrix = (r: number, c: number, seed: number) =>
  Array.from({ length: r }, (_, i) =>
    Array.from({ length: c }, (_, j) => Math.cos(seed + 2.3 * i + 1.1 * j) / 2),
  );

const dense = (x: number[][], { weights, bias }: DenseLayer) =>
  x.map((row) => bias.map((b, k) => row.reduce((sum, v, f) => sum + v * weights[f]![k]!, b)));
const relu = (x: number[][]) => x.map((row) => row.map((v) => Math.max(0, v)));
const softmax = (x: number[][]) =>
  x.map((row) => {
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  });
const argmax = (row: number[]) => row.indexOf(Math.max(...row));

const load = (bytes: Uint8Array) => ort.InferenceSession.create(bytes);

function tensor(type: 'float' | 'double' | 'int64', x: number[][]): ort.Tensor {
  const dims = [x.length, x[0]?.length ?? 0];
  const flat = x.flat();
  if (type === 'float') return new ort.Tensor('float32', Float32Array.from(flat), dims);
  if (type === 'double') return new ort.Tensor('float64', Float64Array.from(flat), dims);
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(flat, (v) => BigInt(Math.round(v))),
    dims,
  );
}

function signature(meta: readonly ort.InferenceSession.ValueMetadata[]) {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name },
  );
}

function assertClose(actual: ArrayLike<number>, expected: number[], what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    assert.ok(diff <= TOLERANCE, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (|diff| ${diff})`);
  }
}

const labelsOf = (t: ort.Tensor | undefined) => Array.from(t!.data as BigInt64Array, Number);

describe('protobuf writer', () => {
  it('encodes the wire format of the protobuf documentation examples', () => {
    const hex = (w: ProtoWriter) => Buffer.from(w.finish()).toString('hex');
    assert.equal(hex(new ProtoWriter().varint(1, 150)), '089601');
    assert.equal(hex(new ProtoWriter().string(2, 'testing')), '120774657374696e67');
    assert.equal(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942])), '2206038e029ea705');
    // A negative int64 is its 64-bit two's complement: ten bytes.
    assert.equal(hex(new ProtoWriter().varint(3, -1)), '18ffffffffffffffffff01');
    assert.equal(hex(new ProtoWriter().varint(1, 2n ** 40n)), '08808080808020');
    assert.equal(hex(new ProtoWriter().float(2, 1.5)), '150000c03f');
    assert.equal(hex(new ProtoWriter().double(1, -2)), '0900000000000000c0');
    assert.equal(hex(new ProtoWriter().message(5, (m) => m.varint(1, 1))), '2a020801');
  });
});

describe('encodeModel', () => {
  const io = { inputs: [{ name: 'x', type: 'float' as const, shape: ['N', 2] }] };

  it('rejects a node that reads a name nothing wrote, naming it', () => {
    assert.throws(
      () =>
        encodeModel({
          ...io,
          outputs: [{ name: 'y', type: 'float', shape: ['N', 2] }],
          nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
        }),
      /node 0 \(Add\) reads 'b'/,
    );
  });

  it('rejects an initializer whose values do not fill its dims', () => {
    assert.throws(
      () =>
        encodeModel({
          ...io,
          outputs: [{ name: 'y', type: 'float', shape: ['N', 2] }],
          initializers: [{ name: 'b', type: 'float', dims: [3], values: [1, 2] }],
          nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
        }),
      /initializer b has 2 values for dims \[3\]/,
    );
  });

  it('writes metadata_props and int64, double and int32 initializers onnxruntime can run', async () => {
    const bytes = encodeModel({
      inputs: [{ name: 'x', type: 'int64', shape: ['N', 3] }],
      outputs: [
        { name: 'sum', type: 'int64', shape: ['N', 3] },
        { name: 'scaled', type: 'double', shape: ['N', 3] },
        { name: 'small', type: 'int32', shape: [3] },
      ],
      initializers: [
        { name: 'offset', type: 'int64', dims: [3], values: [1, -2n, 2 ** 40] },
        { name: 'factor', type: 'double', dims: [1], values: [0.1] },
        { name: 'ints', type: 'int32', dims: [3], values: [7, -8, 9] },
      ],
      nodes: [
        { opType: 'Add', inputs: ['x', 'offset'], outputs: ['sum'] },
        { opType: 'Cast', inputs: ['sum'], outputs: ['sum_double'], attributes: { to: { int: 11 } } },
        { opType: 'Mul', inputs: ['sum_double', 'factor'], outputs: ['scaled'] },
        { opType: 'Identity', inputs: ['ints'], outputs: ['small'] },
      ],
      metadata: { 'modelship.trainer': 'test' },
    });
    const entry = new ProtoWriter()
      .message(14, (e) => e.string(1, 'modelship.trainer').string(2, 'test'))
      .finish();
    assert.ok(Buffer.from(bytes).includes(Buffer.from(entry)), 'metadata_props entry present');

    const session = await load(bytes);
    const out = await session.run({ x: tensor('int64', [[1, 2, 3]]) });
    assert.deepEqual(Array.from(out.sum!.data as BigInt64Array), [2n, 0n, 3n + 2n ** 40n]);
    assertClose(out.scaled!.data as Float64Array, [0.2, 0, (3 + 2 ** 40) * 0.1], 'scaled');
    assert.deepEqual(Array.from(out.small!.data as Int32Array), [7, -8, 9]);
  });
});

describe('linearClassifier', () => {
  const weights = matrix(4, 3, 1);
  const bias = [0.1, -0.2, 0.05];
  const x = rows(6, 4);
  const expected = softmax(dense(x, { weights, bias }));

  it('has a float [N, 4] input, an int64 label and float probabilities, and computes softmax(XW + b)', async () => {
    const session = await load(linearClassifier({ weights, bias }));
    assert.deepEqual(signature(session.inputMetadata), [{ name: 'input', type: 'float32', shape: ['N', 4] }]);
    assert.deepEqual(signature(session.outputMetadata), [
      { name: 'label', type: 'int64', shape: ['N'] },
      { name: 'probabilities', type: 'float32', shape: ['N', 3] },
    ]);
    const out = await session.run({ input: tensor('float', x) });
    assertClose(out.probabilities!.data as Float32Array, expected.flat(), 'probabilities');
    assert.deepEqual(labelsOf(out.label), expected.map(argmax));
  });

  it('gives a binary problem two probability columns', async () => {
    const two = { weights: matrix(3, 2, 4), bias: [0.3, -0.3] };
    const session = await load(linearClassifier(two));
    const input = rows(5, 3);
    const out = await session.run({ input: tensor('float', input) });
    const p = softmax(dense(input, two));
    assert.deepEqual(out.probabilities!.dims, [5, 2]);
    assertClose(out.probabilities!.data as Float32Array, p.flat(), 'probabilities');
    assert.deepEqual(labelsOf(out.label), p.map(argmax));
  });

  for (const inputType of ['double', 'int64'] as const) {
    it(`takes ${inputType} input and casts it to float`, async () => {
      const session = await load(linearClassifier({ weights, bias, inputType }));
      const type = inputType === 'double' ? 'float64' : 'int64';
      assert.deepEqual(signature(session.inputMetadata), [{ name: 'input', type, shape: ['N', 4] }]);
      const input = inputType === 'int64' ? x.map((r) => r.map(Math.round)) : x;
      const out = await session.run({ input: tensor(inputType, input) });
      const p = softmax(dense(input, { weights, bias }));
      assertClose(out.probabilities!.data as Float32Array, p.flat(), 'probabilities');
    });
  }

  it('takes one [N, 1] input per feature in the columns layout', async () => {
    const featureNames = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    const session = await load(linearClassifier({ weights, bias, inputLayout: 'columns', featureNames }));
    assert.deepEqual(
      signature(session.inputMetadata),
      featureNames.map((name) => ({ name, type: 'float32', shape: ['N', 1] })),
    );
    const feeds = Object.fromEntries(
      featureNames.map((name, j) => [
        name,
        tensor(
          'float',
          x.map((r) => [r[j]!]),
        ),
      ]),
    );
    const out = await session.run(feeds);
    assertClose(out.probabilities!.data as Float32Array, expected.flat(), 'probabilities');
  });

  it('also casts double columns, and refuses a featureNames list of the wrong length', async () => {
    const featureNames = ['a', 'b', 'c', 'd'];
    const session = await load(
      linearClassifier({ weights, bias, inputLayout: 'columns', featureNames, inputType: 'double' }),
    );
    const feeds = Object.fromEntries(
      featureNames.map((name, j) => [
        name,
        tensor(
          'double',
          x.map((r) => [r[j]!]),
        ),
      ]),
    );
    const out = await session.run(feeds);
    assertClose(out.probabilities!.data as Float32Array, expected.flat(), 'probabilities');
    assert.throws(
      () => linearClassifier({ weights, bias, inputLayout: 'columns', featureNames: ['a'] }),
      /needs 4 featureNames, got 1/,
    );
  });

  it('labels with class names when classLabels are given', async () => {
    const classLabels = ['setosa', 'versicolor', 'virginica'];
    const session = await load(linearClassifier({ weights, bias, classLabels }));
    assert.deepEqual(signature(session.outputMetadata)[0], { name: 'label', type: 'string', shape: ['N'] });
    const out = await session.run({ input: tensor('float', x) });
    assert.deepEqual(
      out.label!.data,
      expected.map((p) => classLabels[argmax(p)]),
    );
    assert.throws(() => linearClassifier({ weights, bias, classLabels: ['a', 'b'] }), /2 classLabels/);
  });

  it('has only the outputs asked for, under the names asked for', async () => {
    const labelsOnly = await load(
      linearClassifier({ weights, bias, outputs: 'labels', inputName: 'X', outputNames: { label: 'y' } }),
    );
    assert.deepEqual(signature(labelsOnly.inputMetadata), [{ name: 'X', type: 'float32', shape: ['N', 4] }]);
    assert.deepEqual(signature(labelsOnly.outputMetadata), [{ name: 'y', type: 'int64', shape: ['N'] }]);
    assert.deepEqual(labelsOf((await labelsOnly.run({ X: tensor('float', x) })).y), expected.map(argmax));

    const probabilitiesOnly = await load(
      linearClassifier({ weights, bias, outputs: 'probabilities', outputNames: { probabilities: 'p' } }),
    );
    assert.deepEqual(signature(probabilitiesOnly.outputMetadata), [
      { name: 'p', type: 'float32', shape: ['N', 3] },
    ]);
    const out = await probabilitiesOnly.run({ input: tensor('float', x) });
    assertClose(out.p!.data as Float32Array, expected.flat(), 'p');
  });

  it('refuses weights whose rows do not match the bias', () => {
    assert.throws(
      () => linearClassifier({ weights: [[1, 2], [3]], bias: [0, 0] }),
      /weights row 1 has 1 values/,
    );
  });
});

describe('mlpClassifier', () => {
  it('runs ReLU hidden layers into a softmax head (the 2×64 benchmark shape)', async () => {
    const layers = [
      { weights: matrix(4, 64, 1), bias: matrix(1, 64, 2)[0]! },
      { weights: matrix(64, 64, 3), bias: matrix(1, 64, 4)[0]! },
      { weights: matrix(64, 3, 5), bias: [0, 0.1, -0.1] },
    ];
    const session = await load(mlpClassifier({ layers }));
    assert.deepEqual(signature(session.inputMetadata), [{ name: 'input', type: 'float32', shape: ['N', 4] }]);
    assert.deepEqual(signature(session.outputMetadata)[1], {
      name: 'probabilities',
      type: 'float32',
      shape: ['N', 3],
    });
    const x = rows(8, 4);
    const [l0, l1, l2] = layers;
    const p = softmax(dense(relu(dense(relu(dense(x, l0!)), l1!)), l2!));
    const out = await session.run({ input: tensor('float', x) });
    assertClose(out.probabilities!.data as Float32Array, p.flat(), 'probabilities');
    assert.deepEqual(labelsOf(out.label), p.map(argmax));
  });
});

describe('linearRegressor', () => {
  const weights = [0.5, -1.25, 2];
  const bias = 0.75;
  const x = rows(5, 3);
  const expected = x.map((r) => r.reduce((s, v, j) => s + v * weights[j]!, bias));

  for (const inputType of ['float', 'double', 'int64'] as const) {
    it(`predicts X·w + b as a float 'variable' [N, 1] from ${inputType} input`, async () => {
      const session = await load(linearRegressor({ weights, bias, inputType }));
      const type = { float: 'float32', double: 'float64', int64: 'int64' }[inputType];
      assert.deepEqual(signature(session.inputMetadata), [{ name: 'input', type, shape: ['N', 3] }]);
      assert.deepEqual(signature(session.outputMetadata), [
        { name: 'variable', type: 'float32', shape: ['N', 1] },
      ]);
      const input = inputType === 'int64' ? x.map((r) => r.map(Math.round)) : x;
      const out = await session.run({ input: tensor(inputType, input) });
      assert.deepEqual(out.variable!.dims, [5, 1]);
      const want = input.map((r) => r.reduce((s, v, j) => s + v * weights[j]!, bias));
      assertClose(out.variable!.data as Float32Array, want, 'variable');
    });
  }

  it('takes columns and a custom output name', async () => {
    const featureNames = ['a', 'b', 'c'];
    const session = await load(
      linearRegressor({ weights, bias, inputLayout: 'columns', featureNames, outputName: 'price' }),
    );
    const feeds = Object.fromEntries(
      featureNames.map((name, j) => [
        name,
        tensor(
          'float',
          x.map((r) => [r[j]!]),
        ),
      ]),
    );
    const out = await session.run(feeds);
    assertClose(out.price!.data as Float32Array, expected, 'price');
  });
});

describe('agreement with scikit-learn', () => {
  it('a LogisticRegression fitted on iris predicts the same through onnxruntime', async () => {
    const ref = trainReference({
      task: 'classification',
      data: { csv: join(EXAMPLES, 'iris-train.csv'), label: 'species' },
      evaluate: { csv: join(EXAMPLES, 'iris-test.csv') },
    });
    assert.deepEqual(ref.classes, ['setosa', 'versicolor', 'virginica']);
    const classLabels = ref.classes.map(String);
    const session = await load(linearClassifier({ weights: ref.weights, bias: ref.bias, classLabels }));
    const out = await session.run({ input: tensor('float', ref.evaluate.X) });
    assertClose(out.probabilities!.data as Float32Array, ref.proba.flat(), 'probabilities');
    assert.deepEqual(out.label!.data, ref.predict);
  });

  it('a binary LogisticRegression (one sklearn logit) gives the same two columns', async () => {
    const X = rows(40, 2);
    const y = X.map((r, i) => (r[0]! + 0.5 * r[1]! + Math.sin(i) > 0 ? 1 : 0));
    const ref = trainReference({ task: 'classification', data: { X, y } });
    assert.equal(ref.weights[0]!.length, 2);
    const session = await load(linearClassifier({ weights: ref.weights, bias: ref.bias }));
    const out = await session.run({ input: tensor('float', ref.evaluate.X) });
    assertClose(out.probabilities!.data as Float32Array, ref.proba.flat(), 'probabilities');
    assert.deepEqual(labelsOf(out.label), ref.predict);
  });

  it('a LinearRegression predicts the same through onnxruntime', async () => {
    const features = ['sepal_length', 'sepal_width', 'petal_length'];
    const ref = trainReference({
      task: 'regression',
      data: { csv: join(EXAMPLES, 'iris-train.csv'), label: 'petal_width', features },
      evaluate: { csv: join(EXAMPLES, 'iris-test.csv') },
    });
    const session = await load(linearRegressor({ weights: ref.weights, bias: ref.bias }));
    const out = await session.run({ input: tensor('float', ref.evaluate.X) });
    assertClose(out.variable!.data as Float32Array, ref.predict, 'variable');
  });
});
