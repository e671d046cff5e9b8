/**
 * A tiny ONNX ModelProto writer: a model is plain data (inputs, outputs, initializers, nodes,
 * metadata) and `encodeModel` turns it into the bytes onnxruntime loads. It covers what our
 * ready-made models, tests and benchmarks need, not all of onnx.proto.
 *
 * Field numbers follow onnx/onnx.proto (ONNX 1.12+); every model built here is loaded and run
 * by onnxruntime-node in models.test.ts, which is what keeps them honest.
 */
import { VERSION } from '../version.ts';
import { fixedBytes, ProtoWriter } from './protobuf.ts';

/** IR version 8 is ONNX 1.12, the release that introduced opset 17. */
export const IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
/** The traditional-ML operator domain (LinearClassifier, ZipMap, …), should a model use it. */
export const ML_DOMAIN = 'ai.onnx.ml';
const ML_OPSET = 3;

/** TensorProto.DataType numbers for the element types we write. */
export const DATA_TYPE = { float: 1, int32: 6, int64: 7, string: 8, bool: 9, double: 11 } as const;
export type ElemType = keyof typeof DATA_TYPE;

/** A dimension: a fixed size, or a symbolic one such as 'N' for the batch. */
export type Dim = number | string;

/** A graph input or output: a tensor of one element type and shape. */
export interface ValueInfo {
  name: string;
  type: ElemType;
  shape: readonly Dim[];
}

/** A constant tensor stored in the model. Numbers go in raw_data, strings in string_data. */
export type Initializer =
  | { name: string; type: 'float' | 'double' | 'int32'; dims: readonly number[]; values: ArrayLike<number> }
  | { name: string; type: 'int64'; dims: readonly number[]; values: ArrayLike<number | bigint> }
  | { name: string; type: 'string'; dims: readonly number[]; values: readonly string[] };

/** A node attribute, tagged with its ONNX type since JS can't tell 1 (INT) from 1.0 (FLOAT). */
export type Attribute =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] };

export interface Node {
  opType: string;
  /** Input names in the operator's order; '' skips an optional input. */
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** '' (the default ONNX domain) unless the operator lives elsewhere, e.g. ML_DOMAIN. */
  domain?: string;
  attributes?: Readonly<Record<string, Attribute>>;
}

export interface Model {
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  nodes: readonly Node[];
  initializers?: readonly Initializer[];
  /** The graph's name; 'modelship' by default. */
  name?: string;
  docString?: string;
  /** ModelProto.metadata_props: what onnxruntime reports as the model's custom metadata. */
  metadata?: Readonly<Record<string, string>>;
  /** Operator set per domain; the default domain gets DEFAULT_OPSET, ML_DOMAIN is added when used. */
  opsets?: Readonly<Record<string, number>>;
  modelVersion?: number;
}

// onnx.proto field numbers, grouped by message.
const MODEL = {
  irVersion: 1,
  producerName: 2,
  producerVersion: 3,
  modelVersion: 5,
  docString: 6,
  graph: 7,
  opsetImport: 8,
  metadataProps: 14,
};
const GRAPH = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const ATTRIBUTE = { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, type: 20 };
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, stringData: 6, name: 8, rawData: 9 };
const VALUE_INFO = { name: 1, type: 2 };
const TYPE = { tensorType: 1 };
const TENSOR_TYPE = { elemType: 1, shape: 2 };
const SHAPE = { dim: 1 };
const DIMENSION = { value: 1, param: 2 };
const OPSET_ID = { domain: 1, version: 2 };
const STRING_ENTRY = { key: 1, value: 2 };

/** Encodes a model as ONNX protobuf bytes, after checking that the graph is wired up. */
export function encodeModel(model: Model): Uint8Array {
  checkGraph(model);
  const w = new ProtoWriter();
  w.varint(MODEL.irVersion, IR_VERSION);
  w.string(MODEL.producerName, 'modelship');
  w.string(MODEL.producerVersion, VERSION);
  if (model.modelVersion !== undefined) w.varint(MODEL.modelVersion, model.modelVersion);
  if (model.docString) w.string(MODEL.docString, model.docString);
  w.message(MODEL.graph, (g) => writeGraph(g, model));
  for (const [domain, version] of Object.entries(opsets(model))) {
    w.message(MODEL.opsetImport, (o) => o.string(OPSET_ID.domain, domain).varint(OPSET_ID.version, version));
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(MODEL.metadataProps, (e) => e.string(STRING_ENTRY.key, key).string(STRING_ENTRY.value, value));
  }
  return w.finish();
}

function opsets(model: Model): Record<string, number> {
  const out: Record<string, number> = { '': DEFAULT_OPSET, ...model.opsets };
  for (const node of model.nodes) {
    const domain = node.domain ?? '';
    if (out[domain] === undefined) {
      if (domain !== ML_DOMAIN) throw new Error(`node ${node.opType} uses domain '${domain}' with no opset`);
      out[domain] = ML_OPSET;
    }
  }
  return out;
}

function writeGraph(w: ProtoWriter, model: Model): void {
  for (const node of model.nodes) w.message(GRAPH.node, (n) => writeNode(n, node));
  w.string(GRAPH.name, model.name ?? 'modelship');
  for (const t of model.initializers ?? []) w.message(GRAPH.initializer, (m) => writeTensor(m, t));
  for (const v of model.inputs) w.message(GRAPH.input, (m) => writeValueInfo(m, v));
  for (const v of model.outputs) w.message(GRAPH.output, (m) => writeValueInfo(m, v));
}

function writeNode(w: ProtoWriter, node: Node): void {
  for (const name of node.inputs) w.string(NODE.input, name);
  for (const name of node.outputs) w.string(NODE.output, name);
  if (node.name) w.string(NODE.name, node.name);
  w.string(NODE.opType, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(NODE.attribute, (a) => writeAttribute(a, name, value));
  }
  if (node.domain) w.string(NODE.domain, node.domain);
}

function writeAttribute(w: ProtoWriter, name: string, attr: Attribute): void {
  w.string(ATTRIBUTE.name, name);
  if ('int' in attr) w.varint(ATTRIBUTE.i, attr.int).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.int);
  else if ('float' in attr) w.float(ATTRIBUTE.f, attr.float).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.float);
  else if ('string' in attr) w.string(ATTRIBUTE.s, attr.string).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.string);
  else if ('ints' in attr) {
    w.packedVarints(ATTRIBUTE.ints, attr.ints).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.ints);
  } else w.packedFloats(ATTRIBUTE.floats, attr.floats).varint(ATTRIBUTE.type, ATTRIBUTE_TYPE.floats);
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  for (const d of t.dims) w.varint(TENSOR.dims, d);
  w.varint(TENSOR.dataType, DATA_TYPE[t.type]);
  w.string(TENSOR.name, t.name);
  switch (t.type) {
    case 'string':
      for (const s of t.values) w.string(TENSOR.stringData, s);
      return;
    case 'float':
      w.bytes(
        TENSOR.rawData,
        fixedBytes(t.values, 4, (v, i, x) => v.setFloat32(i, x, true)),
      );
      return;
    case 'double':
      w.bytes(
        TENSOR.rawData,
        fixedBytes(t.values, 8, (v, i, x) => v.setFloat64(i, x, true)),
      );
      return;
    case 'int32':
      w.bytes(
        TENSOR.rawData,
        fixedBytes(t.values, 4, (v, i, x) => v.setInt32(i, x, true)),
      );
      return;
    case 'int64': {
      const bytes = new Uint8Array(t.values.length * 8);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < t.values.length; i++) view.setBigInt64(i * 8, BigInt(t.values[i]!), true);
      w.bytes(TENSOR.rawData, bytes);
    }
  }
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(VALUE_INFO.name, v.name);
  w.message(VALUE_INFO.type, (type) =>
    type.message(TYPE.tensorType, (tensor) => {
      tensor.varint(TENSOR_TYPE.elemType, DATA_TYPE[v.type]);
      tensor.message(TENSOR_TYPE.shape, (shape) => {
        for (const d of v.shape) {
          shape.message(SHAPE.dim, (dim) =>
            typeof d === 'number' ? dim.varint(DIMENSION.value, d) : dim.string(DIMENSION.param, d),
          );
        }
      });
    }),
  );
}

/**
 * Fails here, naming the culprit, rather than in onnxruntime's loader with a less direct message:
 * initializer sizes must match their dims, and nodes must come in topological order.
 */
function checkGraph(model: Model): void {
  const known = new Set<string>(['']);
  for (const v of model.inputs) known.add(v.name);
  for (const t of model.initializers ?? []) {
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.values.length !== size) {
      throw new RangeError(`initializer ${t.name} has ${t.values.length} values for dims [${t.dims}]`);
    }
    known.add(t.name);
  }
  for (const [i, node] of model.nodes.entries()) {
    for (const name of node.inputs) {
      if (!known.has(name))
        throw new Error(`node ${i} (${node.opType}) reads '${name}' before anything writes it`);
    }
    for (const name of node.outputs) known.add(name);
  }
  for (const v of model.outputs) {
    if (!known.has(v.name)) throw new Error(`graph output '${v.name}' is never written`);
  }
}
