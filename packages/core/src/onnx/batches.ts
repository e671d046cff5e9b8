/**
 * Cuts streamed chunks into fixed-size batches of complete rows and turns a batch into the
 * tensors a model's inputs want. Rows with a missing feature or label are left out by the
 * caller's `accept`, so every batch the model sees is whole.
 */
import type { Chunk } from '../data/scan.ts';
import type { Ort } from './session.ts';
import type { FeedPlan, FeedType } from './signature.ts';

export type Features = Float32Array | Float64Array;

export interface Batch {
  rows: number;
  /** rows × features, row-major: float32 when every model reads float32, so no conversion is made. */
  features: Features;
}

/**
 * The first `width` columns of each chunk are the features. `accept(chunk, row)` decides whether
 * a row enters the evaluation and records whatever else the caller keeps of it (label, slice).
 * A batch's features are valid until the next batch is asked for: one buffer is refilled, since
 * a fresh one per batch is a thousand allocations and their garbage on a million rows.
 */
export async function* batches(
  chunks: AsyncIterable<Chunk>,
  width: number,
  size: number,
  accept: (chunk: Chunk, row: number) => boolean,
  precision: 'float32' | 'float64' = 'float64',
): AsyncGenerator<Batch> {
  const features = precision === 'float32' ? new Float32Array(size * width) : new Float64Array(size * width);
  let filled = 0;
  for await (const chunk of chunks) {
    const columns = chunk.columns.slice(0, width) as Features[];
    for (let r = 0; r < chunk.rows; r++) {
      if (!accept(chunk, r)) continue;
      const base = filled * width;
      for (let j = 0; j < width; j++) features[base + j] = columns[j]![r]!;
      if (++filled === size) {
        yield { rows: filled, features };
        filled = 0;
      }
    }
  }
  if (filled > 0) yield { rows: filled, features: features.subarray(0, filled * width) };
}

function typed(type: FeedType, values: Features) {
  if (type === 'float64') return values instanceof Float64Array ? values : Float64Array.from(values);
  if (type === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values);
  if (type === 'int32') return Int32Array.from(values, Math.round);
  return BigInt64Array.from(values, (v) => BigInt(Math.round(v)));
}

/** Columns `positions` of a batch `width` wide, row-major: the one copy made per model per batch. */
function pick(batch: Batch, width: number, positions: readonly number[]): Features {
  if (positions.length === width && positions.every((p, i) => p === i)) return batch.features;
  const out = new (batch.features instanceof Float32Array ? Float32Array : Float64Array)(
    batch.rows * positions.length,
  );
  for (let r = 0, o = 0; r < batch.rows; r++) {
    for (const p of positions) out[o++] = batch.features[r * width + p]!;
  }
  return out;
}

/**
 * The feeds of one model. The batch holds every feature any model reads (`width` columns);
 * `positions` are this model's features in it, in the model's order.
 */
export function toFeeds(
  ort: Ort,
  plan: FeedPlan,
  batch: Batch,
  width: number,
  positions: readonly number[],
): Record<string, import('onnxruntime-node').Tensor> {
  if (plan.mode === 'matrix') {
    const input = plan.inputs[0]!;
    const values = typed(input.type, pick(batch, width, positions));
    return { [input.name]: new ort.Tensor(input.type, values, [batch.rows, positions.length]) };
  }
  const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
  plan.inputs.forEach((input, j) => {
    const column = pick(batch, width, [positions[j]!]);
    const dims = input.rank === 1 ? [batch.rows] : [batch.rows, 1];
    feeds[input.name] = new ort.Tensor(input.type, typed(input.type, column), dims);
  });
  return feeds;
}
