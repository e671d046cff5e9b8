/**
 * The `config.pbtxt` Triton Inference Server needs beside an ONNX model, written from the model's
 * signature so an image built for Triton serves without hand-written config. Triton leaves the
 * batch dimension out of `dims` when max_batch_size > 0, so it is taken off here; a tensor that is
 * only the batch dimension becomes `dims: [ 1 ]` reshaped to a vector, as Triton documents.
 */
import { InputError } from '../errors.ts';

export interface TritonTensor {
  name: string;
  /** onnxruntime's name (`float32`), ONNX's (`FLOAT`, `tensor(float)`). */
  type: string;
  /** The model's full shape, batch dimension included; names and negatives are dynamic (-1). */
  shape: (number | string)[];
}

export interface TritonOptions {
  /** The model's directory name in the model repository. */
  name: string;
  inputs: TritonTensor[];
  outputs: TritonTensor[];
  /** 0 turns batching off: dims are then the full shapes. */
  maxBatchSize: number;
  dynamicBatching?: boolean;
  gpu: boolean;
}

const TYPES: Record<string, string> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  bfloat16: 'TYPE_BF16',
  string: 'TYPE_STRING',
};
/** ONNX TensorProto names where they differ from onnxruntime's. */
const ONNX_NAMES: Record<string, string> = { float: 'float32', double: 'float64', boolean: 'bool' };

export function tritonType(type: string): string {
  const t = type
    .toLowerCase()
    .replace(/^tensor\((.*)\)$/, '$1')
    .trim();
  const triton = TYPES[ONNX_NAMES[t] ?? t];
  if (!triton) {
    throw new InputError(`Triton has no data type for the ONNX type '${type}'`, {
      where: { path: 'model' },
      fix: `Export the model with tensors of: ${Object.keys(TYPES).join(', ')}.`,
    });
  }
  return triton;
}

export function tritonConfig(o: TritonOptions): string {
  if (!Number.isInteger(o.maxBatchSize) || o.maxBatchSize < 0) {
    throw new InputError(`max batch size ${o.maxBatchSize} is not a whole number ≥ 0`, {
      where: { path: 'max-batch-size' },
    });
  }
  const lines = [
    `name: ${quote(o.name)}`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${o.maxBatchSize}`,
  ];
  lines.push(...tensors('input', o.inputs, o.maxBatchSize));
  lines.push(...tensors('output', o.outputs, o.maxBatchSize));
  // Triton refuses a dynamic batcher on a model that cannot batch.
  if ((o.dynamicBatching ?? true) && o.maxBatchSize > 0) lines.push('dynamic_batching { }');
  lines.push(
    'instance_group [',
    '  {',
    '    count: 1',
    `    kind: ${o.gpu ? 'KIND_GPU' : 'KIND_CPU'}`,
    '  }',
    ']',
  );
  return `${lines.join('\n')}\n`;
}

function tensors(kind: 'input' | 'output', list: TritonTensor[], maxBatchSize: number): string[] {
  if (!list.length) return [];
  const blocks = list.map((t) => {
    const dims = t.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
    if (maxBatchSize > 0) {
      const batch = dims.shift();
      // A fixed first dimension batches only when it is 1 and the batch is too.
      if (batch === undefined || (batch !== -1 && !(batch === 1 && maxBatchSize === 1))) {
        throw new InputError(
          `${kind} '${t.name}' has no dynamic batch dimension, so Triton cannot batch it`,
          {
            where: { path: 'max-batch-size' },
            fix: 'Set max-batch-size to 0, or export the model with a dynamic first dimension.',
          },
        );
      }
    }
    const body = [`    name: ${quote(t.name)}`, `    data_type: ${tritonType(t.type)}`];
    if (dims.length) body.push(`    dims: [ ${dims.join(', ')} ]`);
    else body.push('    dims: [ 1 ]', '    reshape: { shape: [ ] }');
    return ['  {', ...body, '  }'].join('\n');
  });
  return [`${kind} [`, blocks.join(',\n'), ']'];
}

/** A protobuf text-format string literal. */
const quote = (s: string) => `"${s.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
