/**
 * Ready-made ONNX models from plain weights: the shapes real exporters (skl2onnx, torch.onnx)
 * produce for the models modelship evaluates and serves, so tests, the example trainer and the
 * benchmarks get realistic models without Python's onnx package.
 *
 * Classifiers follow skl2onnx's conventions: an int64 (or string) `label` of shape [N] and a
 * float `probabilities` of shape [N, classes], binary problems included (two columns).
 */
import { type Attribute, encodeModel, type Initializer, type Node, type ValueInfo } from './graph.ts';

export type NumericInput = 'float' | 'double' | 'int64';

export interface InputOptions {
  /** Element type of the input tensor(s); anything but float is cast to float first. */
  inputType?: NumericInput;
  /** 'matrix': one input of shape [N, features]; 'columns': one [N, 1] input per feature. */
  inputLayout?: 'matrix' | 'columns';
  /** The matrix input's name; 'input' by default. */
  inputName?: string;
  /** The inputs' names in the 'columns' layout, in weight-row order (required there). */
  featureNames?: readonly string[];
  /** ModelProto.metadata_props. */
  metadata?: Readonly<Record<string, string>>;
}

export interface ClassifierOptions extends InputOptions {
  /** Which outputs the model has; 'both' by default. */
  outputs?: 'both' | 'labels' | 'probabilities';
  /** Output names; 'label' and 'probabilities' by default. */
  outputNames?: { label?: string; probabilities?: string };
  /** Class names: when given, `label` is a string tensor of these instead of int64 indexes. */
  classLabels?: readonly string[];
}

/** A dense layer: weights are inputs × outputs (row-major, as X·W), bias has one per output. */
export interface DenseLayer {
  weights: readonly (readonly number[])[];
  bias: readonly number[];
}

/** Softmax regression: logits = X·W + b, probabilities = softmax(logits), label = argmax. */
export function linearClassifier(options: DenseLayer & ClassifierOptions): Uint8Array {
  return mlpClassifier({ ...options, layers: [{ weights: options.weights, bias: options.bias }] });
}

/** A multilayer perceptron: ReLU after every layer but the last, which feeds a softmax head. */
export function mlpClassifier(options: { layers: readonly DenseLayer[] } & ClassifierOptions): Uint8Array {
  const [first] = options.layers;
  if (!first) throw new RangeError('an MLP needs at least one layer');
  const g = new Parts();
  const { inputs, x } = featureInputs(g, options, first.weights.length);
  let h = x;
  for (const [i, layer] of options.layers.entries()) {
    h = g.dense(h, layer, `layer${i}`);
    if (i < options.layers.length - 1) h = g.node('Relu', [h]);
  }
  const classes = options.layers.at(-1)!.bias.length;
  const outputs = classifierHead(g, h, classes, options);
  return encodeModel({
    inputs,
    outputs,
    nodes: g.nodes,
    initializers: g.initializers,
    metadata: options.metadata,
  });
}

/** Linear regression: variable = X·w + b, a float of shape [N, 1] (skl2onnx's shape and name). */
export function linearRegressor(
  options: { weights: readonly number[]; bias: number; outputName?: string } & InputOptions,
): Uint8Array {
  const g = new Parts();
  const { inputs, x } = featureInputs(g, options, options.weights.length);
  const name = options.outputName ?? 'variable';
  g.dense(x, { weights: options.weights.map((w) => [w]), bias: [options.bias] }, 'linear', name);
  return encodeModel({
    inputs,
    outputs: [{ name, type: 'float', shape: ['N', 1] }],
    nodes: g.nodes,
    initializers: g.initializers,
    metadata: options.metadata,
  });
}

/** Declares the inputs and returns the name of one float [N, features] tensor built from them. */
function featureInputs(
  g: Parts,
  options: InputOptions,
  features: number,
): { inputs: ValueInfo[]; x: string } {
  const type = options.inputType ?? 'float';
  let inputs: ValueInfo[];
  let x: string;
  if ((options.inputLayout ?? 'matrix') === 'matrix') {
    inputs = [{ name: options.inputName ?? 'input', type, shape: ['N', features] }];
    x = inputs[0]!.name;
  } else {
    const names = options.featureNames ?? [];
    if (names.length !== features) {
      throw new RangeError(`the columns layout needs ${features} featureNames, got ${names.length}`);
    }
    inputs = names.map((name) => ({ name, type, shape: ['N', 1] }));
    x = g.node('Concat', names, { axis: { int: 1 } });
  }
  if (type !== 'float') x = g.node('Cast', [x], { to: { int: 1 } });
  return { inputs, x };
}

function classifierHead(g: Parts, logits: string, classes: number, options: ClassifierOptions): ValueInfo[] {
  const which = options.outputs ?? 'both';
  const labelName = options.outputNames?.label ?? 'label';
  const probabilitiesName = options.outputNames?.probabilities ?? 'probabilities';
  const labels = options.classLabels;
  if (labels && labels.length !== classes) {
    throw new RangeError(`${labels.length} classLabels for a model with ${classes} classes`);
  }
  const outputs: ValueInfo[] = [];
  if (which !== 'probabilities') {
    // Argmax of the logits equals argmax of the softmax, without depending on it.
    const attributes = { axis: { int: 1 }, keepdims: { int: 0 } };
    if (labels) {
      const index = g.node('ArgMax', [logits], attributes);
      const table = g.constant('classes', { type: 'string', dims: [classes], values: labels });
      g.node('Gather', [table, index], { axis: { int: 0 } }, labelName);
    } else g.node('ArgMax', [logits], attributes, labelName);
    outputs.push({ name: labelName, type: labels ? 'string' : 'int64', shape: ['N'] });
  }
  if (which !== 'labels') {
    g.node('Softmax', [logits], { axis: { int: 1 } }, probabilitiesName);
    outputs.push({ name: probabilitiesName, type: 'float', shape: ['N', classes] });
  }
  return outputs;
}

/** An initializer before Parts names it (Omit per union member, so the type tag still narrows). */
type Constant = Initializer extends infer T ? (T extends Initializer ? Omit<T, 'name'> : never) : never;

/** Collects nodes and initializers, naming intermediates so they can't clash with user names. */
class Parts {
  readonly nodes: Node[] = [];
  readonly initializers: Initializer[] = [];
  private count = 0;

  /** Adds a node and returns its (only) output's name: `output`, or a fresh internal one. */
  node(opType: string, inputs: readonly string[], attributes?: Record<string, Attribute>, output?: string) {
    const name = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [name], attributes });
    return name;
  }

  constant(base: string, tensor: Constant): string {
    const name = this.fresh(base);
    this.initializers.push({ ...tensor, name });
    return name;
  }

  /** x·W + b as one Gemm, with W and b checked against each other. */
  dense(x: string, layer: DenseLayer, base: string, output?: string): string {
    const rows = layer.weights.length;
    const cols = layer.bias.length;
    for (const [i, row] of layer.weights.entries()) {
      if (row.length !== cols) {
        throw new RangeError(`${base}: weights row ${i} has ${row.length} values, the bias has ${cols}`);
      }
    }
    const w = this.constant(`${base}_weights`, {
      type: 'float',
      dims: [rows, cols],
      values: layer.weights.flat(),
    });
    const b = this.constant(`${base}_bias`, { type: 'float', dims: [cols], values: layer.bias });
    return this.node('Gemm', [x, w, b], undefined, output);
  }

  private fresh(base: string): string {
    return `modelship/${base}_${this.count++}`;
  }
}
