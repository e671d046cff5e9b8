import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { imageClassifier } from '../../../../test/support/models.ts';
import { refusal } from '../../../../test/support/refusal.ts';
import { encodeModel } from './graph.ts';
import { linearClassifier } from './models.ts';
import { planFeeds, signatureOf } from './signature.ts';

const data = new Map([
  ['red', 'DOUBLE'],
  ['green', 'DOUBLE'],
  ['blue', 'DOUBLE'],
]);
const signature = async (bytes: Uint8Array) => signatureOf(await ort.InferenceSession.create(bytes));
/** planFeeds' refusal, as the one line the user sees. */
const refused = (...args: Parameters<typeof planFeeds>) => refusal((async () => planFeeds(...args))());

describe('planFeeds', () => {
  it('refuses an image model in words, naming the input, its shape and the ranks it supports', async () => {
    const sig = await signature(imageClassifier());
    const line = await refused(sig, [...data.keys()], data, [], 'img.onnx');
    assert.match(line, /^model: model 'img\.onnx' input pixels float32\[N,3,224,224\] has rank 4;/);
    assert.match(
      line,
      /one input of rank 2 \[N, features\], or one input per column of rank 1 \[N\] or \[N, 1\]/,
    );
    assert.doesNotMatch(line, /Set feature-columns/, 'no advice that cannot work');
  });

  it('a rank-1 input that names no column says it is matched by name', async () => {
    const sig = await signature(
      encodeModel({
        inputs: [{ name: 'x', type: 'float', shape: ['N'] }],
        outputs: [{ name: 'y', type: 'float', shape: ['N'] }],
        nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const line = await refused(sig, [...data.keys()], data, [], 'm.onnx');
    assert.match(line, /input x float32\[N\] takes one column, and the data has no column named 'x'/);
  });

  it('a matrix of the wrong width still asks for the right feature columns', async () => {
    const sig = await signature(linearClassifier({ weights: [[1], [2]], bias: [0] }));
    const line = await refused(sig, [...data.keys()], data, [], 'm.onnx');
    assert.match(
      line,
      /expects 2 features but the data gives 3 .*Set feature-columns to the 2 columns the model/,
    );
  });
});
