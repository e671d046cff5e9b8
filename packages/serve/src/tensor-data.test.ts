import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from './protocol-error.ts';
import { CONVERT, flatten, position } from './tensor-data.ts';

const refused = (fn: () => unknown, message: RegExp) =>
  assert.throws(
    fn,
    (e: ProtocolError) => e instanceof ProtocolError && e.status === 400 && message.test(e.message),
  );

describe('tensor data', () => {
  it('takes flat or nested row-major data, and refuses ragged or over-deep data', () => {
    assert.deepEqual(flatten('x', [1, 2, 3, 4], [2, 2]), [1, 2, 3, 4]);
    assert.deepEqual(
      flatten(
        'x',
        [
          [1, 2],
          [3, 4],
        ],
        [2, 2],
      ),
      [1, 2, 3, 4],
    );
    refused(
      () => flatten('x', [[1, 2], [3]], [2, 2]),
      /input 'x' has 1 values at \[1\] where its shape \[2, 2\] needs 2/,
    );
    refused(() => flatten('x', [[1, 2]], [2, 2]), /input 'x' has 1 values where its shape \[2, 2\] needs 2/);
    refused(
      () =>
        flatten(
          'x',
          [
            [1, [2]],
            [3, 4],
          ],
          [2, 2],
        ),
      /nests deeper than its shape \[2, 2\] at \[0, 1\]/,
    );
    refused(
      () => flatten('x', [[1, 2], 3], [2, 2]),
      /has a single value at \[1\] where its shape \[2, 2\] needs 2/,
    );
    refused(() => flatten('x', 7, [1]), /needs "data" as an array/);
    assert.equal(position(7, [2, 2, 3]), '[1, 0, 1]');
  });

  it('refuses every value its type cannot hold, naming the input and the position', () => {
    const shape = [1, 3];
    refused(
      () => CONVERT.float32!([1, Infinity, 3], 'x', shape),
      /'x' holds a number beyond FP32's range \(±3\.4e38\) at \[0, 1\]/,
    );
    refused(() => CONVERT.float32!([1, 2, -1e39], 'x', shape), /beyond FP32's range .* at \[0, 2\]/);
    refused(() => CONVERT.float64!([-Infinity, 2, 3], 'x', shape), /beyond FP64's range .* at \[0, 0\]/);
    assert.deepEqual(Array.from(CONVERT.float64!([1e300, 2, 3], 'x', shape)), [1e300, 2, 3]);
    refused(() => CONVERT.float32!([1, 'a', 3], 'x', shape), /holds "a", which is not a number, at \[0, 1\]/);
    const ranges: [string, number, number][] = [
      ['int8', -128, 127],
      ['uint8', 0, 255],
      ['int16', -32768, 32767],
      ['uint16', 0, 65535],
      ['int32', -(2 ** 31), 2 ** 31 - 1],
      ['uint32', 0, 2 ** 32 - 1],
      ['int64', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
      ['uint64', 0, Number.MAX_SAFE_INTEGER],
    ];
    for (const [type, min, max] of ranges) {
      const ok = Array.from(CONVERT[type]!([min, 0, max], 'x', shape), Number);
      assert.deepEqual(ok, [min, 0, max], type);
      refused(
        () => CONVERT[type]!([0, max + 1, 0], 'x', shape),
        new RegExp(`outside ${type.toUpperCase()}'s range .* at \\[0, 1\\]`),
      );
      refused(
        () => CONVERT[type]!([0, 0, min - 1], 'x', shape),
        new RegExp(`outside ${type.toUpperCase()}'s range .* at \\[0, 2\\]`),
      );
      refused(
        () => CONVERT[type]!([0.5, 0, 0], 'x', shape),
        /holds 0\.5, which is not an integer, at \[0, 0\]/,
      );
    }
    refused(
      () => CONVERT.bool!([true, 1, false], 'x', shape),
      /is BOOL but holds 1, which is not true or false, at \[0, 1\]/,
    );
    refused(
      () => CONVERT.string!(['a', 'b', { long: 'x' }], 'x', shape),
      /is BYTES but holds an object, which is not a string, at \[0, 2\]/,
    );
  });
});
