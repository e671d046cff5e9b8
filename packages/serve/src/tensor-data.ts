/**
 * A request tensor's `data`, flat or nested row-major, checked against its shape and turned into
 * the array onnxruntime takes. Every value must fit the model's type: a typed array would
 * otherwise wrap 300 into an INT8's 44 or turn 1e400 into infinity, and answer 200 with garbage.
 */
import { ProtocolError, quote } from './protocol-error.ts';

const bad = (message: string) => new ProtocolError(400, message);

/** The position of the `i`-th value in row-major order, as `[row, column, …]`. */
export function position(i: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]! || 1;
    at.unshift(i % n);
    i = Math.floor(i / n);
  }
  return `[${at.join(', ')}]`;
}

/** The values in row-major order: `data` flat, or nested exactly as `shape`, one array per dimension. */
export function flatten(name: string, data: unknown, shape: readonly number[]): unknown[] {
  if (!Array.isArray(data)) throw bad(`input '${name}' needs "data" as an array of values`);
  if (!data.some(Array.isArray)) return data;
  // Level by level rather than recursively: the depth is the client's to choose.
  let level: unknown[] = [data];
  for (let d = 0; d < shape.length; d++) {
    const next: unknown[] = [];
    for (const [i, part] of level.entries()) {
      if (!Array.isArray(part) || part.length !== shape[d]) {
        const size = Array.isArray(part) ? `${part.length} values` : 'a single value';
        const at = d === 0 ? '' : ` at ${position(i, shape.slice(0, d))}`;
        throw bad(`input '${name}' has ${size}${at} where its shape [${shape.join(', ')}] needs ${shape[d]}`);
      }
      for (const v of part) next.push(v);
    }
    level = next;
  }
  const deeper = level.findIndex(Array.isArray);
  if (deeper >= 0)
    throw bad(
      `input '${name}' nests deeper than its shape [${shape.join(', ')}] at ${position(deeper, shape)}`,
    );
  return level;
}

type Convert = (values: unknown[], name: string, shape: readonly number[]) => ArrayLike<unknown>;

const FLOATS: Record<string, [new (n: number) => Float32Array | Float64Array, string, string]> = {
  float32: [Float32Array, 'FP32', '±3.4e38'],
  float64: [Float64Array, 'FP64', '±1.8e308'],
};

function floats(type: string): Convert {
  const [Typed, datatype, range] = FLOATS[type]!;
  return (values, name, shape) => {
    const out = new Typed(values.length);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (typeof x !== 'number')
        throw bad(`input '${name}' holds ${quote(x)}, which is not a number, at ${position(i, shape)}`);
      out[i] = x;
      // JSON.parse reads 1e400 as Infinity, and a Float32Array makes 1e39 one.
      if (!Number.isFinite(out[i]))
        throw bad(
          `input '${name}' holds a number beyond ${datatype}'s range (${range}) at ${position(i, shape)}`,
        );
    }
    return out;
  };
}

const INTS: Record<
  string,
  [new (n: number) => ArrayLike<number> & { [i: number]: number }, string, number, number]
> = {
  int8: [Int8Array, 'INT8', -(2 ** 7), 2 ** 7 - 1],
  uint8: [Uint8Array, 'UINT8', 0, 2 ** 8 - 1],
  int16: [Int16Array, 'INT16', -(2 ** 15), 2 ** 15 - 1],
  uint16: [Uint16Array, 'UINT16', 0, 2 ** 16 - 1],
  int32: [Int32Array, 'INT32', -(2 ** 31), 2 ** 31 - 1],
  uint32: [Uint32Array, 'UINT32', 0, 2 ** 32 - 1],
  // 64-bit integers beyond 2^53 cannot come through a JSON number exactly.
  int64: [Array, 'INT64', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [Array, 'UINT64', 0, Number.MAX_SAFE_INTEGER],
};

function integers(type: string): Convert {
  const [Typed, datatype, min, max] = INTS[type]!;
  const wide = type.endsWith('64');
  return (values, name, shape) => {
    const out = new Typed(values.length);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (typeof x !== 'number' || !Number.isInteger(x))
        throw bad(`input '${name}' holds ${quote(x)}, which is not an integer, at ${position(i, shape)}`);
      if (x < min || x > max)
        throw bad(
          `input '${name}' holds ${quote(x)}, outside ${datatype}'s range ${min} to ${max}, at ${position(i, shape)}`,
        );
      out[i] = x;
    }
    if (!wide) return out;
    return type === 'int64' ? BigInt64Array.from(out, BigInt) : BigUint64Array.from(out, BigInt);
  };
}

function every(check: (x: unknown) => boolean, what: string, datatype: string): Convert {
  return (values, name, shape) => {
    const i = values.findIndex((x) => !check(x));
    if (i >= 0)
      throw bad(
        `input '${name}' is ${datatype} but holds ${quote(values[i])}, which is not ${what}, at ${position(i, shape)}`,
      );
    return values;
  };
}

/** onnxruntime's type name → the conversion of a request's values; types not here cannot be fed. */
export const CONVERT: Record<string, Convert> = {
  ...Object.fromEntries(Object.keys(FLOATS).map((t) => [t, floats(t)])),
  ...Object.fromEntries(Object.keys(INTS).map((t) => [t, integers(t)])),
  bool: every((x) => typeof x === 'boolean', 'true or false', 'BOOL'),
  string: every((x) => typeof x === 'string', 'a string', 'BYTES'),
};
