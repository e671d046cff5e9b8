/**
 * The served model: loaded with the same runtime and device choice as evaluate-model, described
 * for the metadata endpoint, and warmed up once with a zero row so the first real request does not
 * pay for onnxruntime's lazy initialisation. Readiness waits for that warm-up.
 */
import { type OpenedModel, openModel, openRuntime, type Runtime } from '@modelship/core/onnx/session.ts';
import { planOutputs, signatureOf, type TensorInfo } from '@modelship/core/onnx/signature.ts';
import type { Logger } from '@modelship/core/platform/port.ts';
import type { Tensor } from 'onnxruntime-node';
import type { ServeConfig } from './config.ts';
import { DATATYPES, type InputSpec, metadataShape, type Output, type RequestTensor } from './protocol.ts';

export interface ServedModel {
  runtime: Runtime;
  opened: OpenedModel;
  inputs: InputSpec[];
  outputs: TensorInfo[];
  /** The output whose values are predicted classes (labels, or the argmax of probabilities). */
  classes?: { output: string; argmax: boolean };
  run(inputs: RequestTensor[], outputs?: string[]): Promise<Record<string, Output>>;
}

export async function loadModel(config: ServeConfig, log: Logger): Promise<ServedModel> {
  const runtime = await openRuntime(config.device, log);
  const opened = await openModel(runtime, config.model, {
    input: 'MODELSHIP_MODEL',
    ...(config.threads && { threads: config.threads }),
  });
  const signature = signatureOf(opened.session);
  const tensors = signature.outputs.filter((o) => o.type !== 'non-tensor');
  const picked = planOutputs({ inputs: signature.inputs, outputs: tensors }, 'unknown', {}, config.model);
  const labels =
    picked.prediction && !picked.prediction.type.startsWith('float') ? picked.prediction : undefined;
  const classes = labels
    ? { output: labels.name, argmax: false }
    : picked.probabilities
      ? { output: picked.probabilities.name, argmax: true }
      : undefined;
  const { ort } = runtime;
  const model: ServedModel = {
    runtime,
    opened,
    inputs: signature.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })),
    outputs: tensors,
    ...(classes && { classes }),
    run: async (inputs, outputs) => {
      const feeds: Record<string, Tensor> = {};
      for (const t of inputs)
        feeds[t.name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.shape);
      return (await opened.session.run(feeds, outputs ?? tensors.map((o) => o.name))) as Record<
        string,
        Tensor
      >;
    },
  };
  await model.run(model.inputs.map(zeroRow));
  return model;
}

const ZEROS: Record<string, (n: number) => ArrayLike<unknown>> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  float16: (n) => new Uint16Array(n),
  int64: (n) => new BigInt64Array(n),
  uint64: (n) => new BigUint64Array(n),
  int32: (n) => new Int32Array(n),
  uint32: (n) => new Uint32Array(n),
  int16: (n) => new Int16Array(n),
  uint16: (n) => new Uint16Array(n),
  int8: (n) => new Int8Array(n),
  uint8: (n) => new Uint8Array(n),
  bool: (n) => new Array(n).fill(false),
  string: (n) => new Array(n).fill(''),
};

/** One row of zeros (empty strings, false) in the input's shape, free dimensions set to 1. */
function zeroRow(spec: InputSpec): RequestTensor {
  const shape = (spec.shape.length ? spec.shape : [1]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const size = shape.reduce((a, b) => a * b, 1);
  return { name: spec.name, type: spec.type, shape, data: (ZEROS[spec.type] ?? ZEROS.float32!)(size) };
}

/** The protocol's model metadata. */
export function metadata(model: ServedModel, config: ServeConfig) {
  const tensor = (t: { name: string; type: string; shape: (number | string)[] }) => ({
    name: t.name,
    datatype: DATATYPES[t.type] ?? t.type,
    shape: metadataShape(t.shape),
  });
  return {
    name: config.name,
    versions: [config.version],
    platform: 'onnxruntime_onnx',
    inputs: model.inputs.map(tensor),
    outputs: model.outputs.map(tensor),
  };
}
