/**
 * Runs one model over batches and keeps only what the metrics need: a label code or a value per
 * row, the probability rows, and the time of each `session.run`.
 */
import { LITTLE_ENDIAN } from '../endian.ts';
import { InputError } from '../errors.ts';
import { type Batch, toFeeds } from './batches.ts';
import type { Dictionary } from './dictionary.ts';
import { Growable } from './growable.ts';
import type { OpenedModel, Ort } from './session.ts';
import type { FeedPlan, OutputPlan } from './signature.ts';

export interface Predictions {
  /** Label codes in the shared dictionary (classification with a label output). */
  labels?: Int32Array;
  /** Probability rows, `classes` wide. */
  probabilities?: Float32Array | Float64Array;
  classes?: number;
  /** Predicted values (regression). */
  values?: Float64Array;
  /** Milliseconds of each session.run, and the rows it scored. */
  latencies: Float64Array;
  batchRows: Int32Array;
}

/** The outputs a run fetched, as a tensor or its copy from a worker carries them. */
export type OutputTensor = Pick<import('onnxruntime-node').Tensor, 'data' | 'dims' | 'type'>;

/** Tensors as plain data, which a worker's message carries (a Tensor's class does not cross). */
export function plainTensors(tensors: Record<string, OutputTensor>): Record<string, OutputTensor> {
  const out: Record<string, OutputTensor> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = { type: t.type, data: t.data, dims: t.dims };
  return out;
}

/** One `session.run`: what it fetched and how long it took, in milliseconds. */
export interface ModelRun {
  out: Record<string, OutputTensor>;
  ms: number;
}

export type Scorer = (
  feeds: Record<string, import('onnxruntime-node').Tensor>,
  fetches: readonly string[],
) => Promise<ModelRun>;

export class ModelRunner {
  readonly model: OpenedModel;
  readonly feeds: FeedPlan;
  readonly outputs: OutputPlan;
  private readonly ort: Ort;
  private readonly dictionary: Dictionary;
  /** Class names by index, for int64 label outputs of a model trained on encoded string labels. */
  private readonly classNames: readonly string[] | undefined;
  private readonly labels = new Growable(Int32Array);
  private readonly values = new Growable(Float64Array);
  private probabilities: Growable<Float32Array> | Growable<Float64Array> | undefined;
  private classes: number | undefined;
  private readonly latencies = new Growable(Float64Array, 1024);
  private readonly batchRows = new Growable(Int32Array, 1024);
  private readonly fetches: string[];
  private readonly width: number;
  private readonly positions: number[];
  private scorer: Scorer;

  /** `features`: every feature column a batch carries, in batch order. */
  constructor(
    ort: Ort,
    model: OpenedModel,
    plans: { feeds: FeedPlan; outputs: OutputPlan },
    features: readonly string[],
    dictionary: Dictionary,
    classNames?: readonly string[],
  ) {
    this.ort = ort;
    this.width = features.length;
    this.positions = plans.feeds.features.map((f) => features.indexOf(f));
    this.model = model;
    this.feeds = plans.feeds;
    this.outputs = plans.outputs;
    this.dictionary = dictionary;
    this.classNames = classNames;
    this.classes = plans.outputs.classes;
    this.fetches = [plans.outputs.prediction?.name, plans.outputs.probabilities?.name].filter(
      (n): n is string => n !== undefined,
    );
    this.scorer = async (feeds, fetches) => {
      const started = performance.now();
      const out = await model.session.run(feeds, fetches);
      return { out, ms: performance.now() - started };
    };
  }

  /**
   * Sends a batch to be scored, by this thread's session or, once routed, a worker's. The batch's
   * features may be overwritten as soon as this returns when routed (they are copied to the
   * worker); this thread's session reads them later, so the caller awaits its result first.
   */
  score(batch: Batch): Promise<ModelRun> {
    return this.scorer(toFeeds(this.ort, this.feeds, batch, this.width, this.positions), this.fetches);
  }

  /** Sends this model's runs to `scorer` from now on (the same model opened in a worker). */
  route(scorer: Scorer): void {
    this.scorer = scorer;
  }

  /** Records a run's outputs: the runs of a model are taken in the order their batches were sent. */
  take(run: ModelRun, rows: number): void {
    this.latencies.push(run.ms);
    this.batchRows.push(rows);
    this.record(run.out, rows);
  }

  private record(out: Record<string, OutputTensor>, rows: number): void {
    const { prediction, probabilities } = this.outputs;
    if (prediction) {
      const data = this.checked(out[prediction.name]!, rows, 1).data;
      if (prediction.type === 'float32' || prediction.type === 'float64') {
        this.values.append(data as Float32Array);
      } else if (data instanceof BigInt64Array && LITTLE_ENDIAN) {
        // A class number fits the low word of its int64: read as two int32s, no BigInt made per row.
        const words = new Int32Array(data.buffer, data.byteOffset, rows * 2);
        for (let r = 0; r < rows; r++) {
          const low = words[2 * r]!;
          const value = words[2 * r + 1] === low >> 31 ? low : Number(data[r]);
          this.labels.push(this.labelCode(value));
        }
      } else {
        for (let r = 0; r < rows; r++) this.labels.push(this.labelCode(data[r]!));
      }
    }
    if (probabilities) {
      const tensor = out[probabilities.name]!;
      const width = tensor.dims[1] ?? 1;
      this.classes ??= width;
      this.checked(tensor, rows, this.classes);
      this.probabilities ??=
        tensor.type === 'float64' ? new Growable(Float64Array) : new Growable(Float32Array);
      this.probabilities.append(tensor.data as Float32Array);
    }
  }

  private labelCode(value: unknown): number {
    if (typeof value === 'string') return this.dictionary.code(value);
    const index = Number(value);
    if (!this.classNames) return this.dictionary.codeOfNumber(index);
    const name = this.classNames[index];
    if (name === undefined) {
      throw new InputError(
        `model '${this.model.file}' predicted class index ${index}, but class-labels names ${this.classNames.length} classes`,
        { where: { path: 'class-labels' }, fix: 'List every class the model was trained on, in its order.' },
      );
    }
    return this.dictionary.code(name);
  }

  private checked(tensor: OutputTensor, rows: number, width: number) {
    const size = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.dims[0] !== rows || size !== rows * width) {
      throw new InputError(
        `model '${this.model.file}' answered ${rows} rows with a tensor of shape [${tensor.dims.join(', ')}]`,
        {
          where: { path: 'model' },
          fix: `Expected [${rows}${width > 1 ? `, ${width}` : ''}]; check prediction-output and probability-output.`,
        },
      );
    }
    return tensor;
  }

  predictions(): Predictions {
    return {
      ...(this.outputs.prediction && this.labels.length > 0 && { labels: this.labels.view() }),
      ...(this.values.length > 0 && { values: this.values.view() }),
      ...(this.probabilities && { probabilities: this.probabilities.view(), classes: this.classes! }),
      latencies: this.latencies.view(),
      batchRows: this.batchRows.view(),
    };
  }
}
