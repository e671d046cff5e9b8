/**
 * The Open Inference Protocol's JSON tensors: datatype names, shapes, flat or nested row-major
 * data. A request is checked against the model's inputs before anything runs, and every problem
 * becomes a 400 with the protocol's `{"error": "..."}` body naming the input and what it wanted.
 */
import { ProtocolError, quote } from './protocol-error.ts';
import { CONVERT, flatten } from './tensor-data.ts';

/** What a model returned for one output: onnxruntime's tensor, or one request's rows of it. */
export interface Output {
  type: string;
  dims: readonly number[];
  data: ArrayLike<unknown>;
}

/** onnxruntime's type names and the protocol's. */
export const DATATYPES: Record<string, string> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  int8: 'INT8',
  uint16: 'UINT16',
  int16: 'INT16',
  uint32: 'UINT32',
  int32: 'INT32',
  uint64: 'UINT64',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

export interface InputSpec {
  name: string;
  /** onnxruntime's type name. */
  type: string;
  /** -1 (or a symbolic name) where any size goes. */
  shape: (number | string)[];
}

export interface RequestTensor {
  name: string;
  type: string;
  shape: number[];
  data: ArrayLike<unknown>;
}

export interface InferRequest {
  id?: string;
  inputs: RequestTensor[];
  /** Output names asked for; all when absent. */
  outputs?: string[];
}

const bad = (message: string) => new ProtocolError(400, message);

/** Dimensions a request tensor may have; the JSON body may nest a few levels more (see body.ts). */
export const MAX_RANK = 32;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed request body against the model's inputs and outputs. */
export function parseInferRequest(body: unknown, inputs: InputSpec[], outputNames: string[]): InferRequest {
  if (!isObject(body)) throw bad('the request body must be a JSON object with an "inputs" array');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0)
    throw bad('"inputs" must be a non-empty array of tensors');
  const seen = new Set<string>();
  const tensors = body.inputs.map((t: unknown, i: number) => {
    const tensor = parseTensor(t, i, inputs);
    if (seen.has(tensor.name)) throw bad(`input '${tensor.name}' is given twice`);
    seen.add(tensor.name);
    return tensor;
  });
  const missing = inputs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length)
    throw bad(`missing input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}`);
  const outputs = parseOutputs(body.outputs, outputNames);
  const id = typeof body.id === 'string' ? body.id : undefined;
  return { ...(id !== undefined && { id }), inputs: tensors, ...(outputs && { outputs }) };
}

function parseTensor(t: unknown, i: number, inputs: InputSpec[]): RequestTensor {
  if (!isObject(t) || typeof t.name !== 'string') throw bad(`inputs[${i}] must be an object with a "name"`);
  const spec = inputs.find((s) => s.name === t.name);
  if (!spec)
    throw bad(`unknown input '${t.name}'; the model's inputs are ${inputs.map((s) => s.name).join(', ')}`);
  const expected = DATATYPES[spec.type] ?? spec.type;
  if (t.datatype !== expected)
    throw bad(`input '${t.name}' has datatype ${quote(t.datatype)}; the model expects ${expected}`);
  const shape = t.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw bad(`input '${t.name}' needs a "shape" of non-negative integers`);
  if (shape.length > MAX_RANK)
    throw bad(`input '${t.name}' has ${shape.length} dimensions; at most ${MAX_RANK} are supported`);
  checkShape(t.name, shape, spec.shape);
  const flat = flatten(t.name, t.data, shape);
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size)
    throw bad(`input '${t.name}' has ${flat.length} values for shape [${shape.join(', ')}] (${size})`);
  const convert = CONVERT[spec.type];
  if (!convert) throw bad(`input '${t.name}' has type ${spec.type}, which this server cannot feed`);
  return { name: t.name, type: spec.type, shape, data: convert(flat, t.name, shape) };
}

function parseOutputs(outputs: unknown, names: string[]): string[] | undefined {
  if (outputs === undefined) return undefined;
  if (!Array.isArray(outputs)) throw bad('"outputs" must be an array of {"name": ...}');
  return outputs.map((o: unknown) => {
    const name = isObject(o) ? o.name : undefined;
    if (typeof name !== 'string' || !names.includes(name))
      throw bad(`unknown output ${quote(name)}; the model's outputs are ${names.join(', ')}`);
    return name;
  });
}

function checkShape(name: string, shape: number[], model: (number | string)[]): void {
  if (model.length === 0) return; // the model does not say
  if (shape.length !== model.length || shape.some((d, i) => isFixed(model[i]) && d !== model[i])) {
    const want = metadataShape(model).join(', ');
    throw bad(`input '${name}' has shape [${shape.join(', ')}]; the model expects [${want}] (-1: any size)`);
  }
}

/** A model's tensor as the protocol's JSON output; int64 becomes a JSON number. */
export function encodeOutput(name: string, tensor: Output) {
  const data = tensor.data as ArrayLike<unknown>;
  const values =
    data instanceof BigInt64Array || data instanceof BigUint64Array
      ? Array.from(data, Number)
      : Array.from(data);
  return { name, datatype: DATATYPES[tensor.type] ?? tensor.type, shape: [...tensor.dims], data: values };
}

/** A dimension the model fixes; symbolic names and -1 take any size. */
export const isFixed = (d: number | string | undefined): d is number => typeof d === 'number' && d >= 0;

export const metadataShape = (shape: (number | string)[]) => shape.map((d) => (isFixed(d) ? d : -1));
