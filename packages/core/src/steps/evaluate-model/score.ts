/**
 * One pass over the data: stream it, cut it into batches, score every batch with each model
 * (and each perturbation of the challenger), and keep the labels, slice values and predictions
 * the metrics need. Nothing else of a row survives its batch.
 */
import type { Engine } from '../../data/engine.ts';
import { type Chunk, type ScanColumn, scan } from '../../data/scan.ts';
import { batches } from '../../onnx/batches.ts';
import type { DevicePlan } from '../../onnx/device.ts';
import { Dictionary } from '../../onnx/dictionary.ts';
import { Growable } from '../../onnx/growable.ts';
import { Offload } from '../../onnx/offload.ts';
import { type ModelRun, ModelRunner, type Predictions } from '../../onnx/predict.ts';
import type { OpenOptions, Ort } from '../../onnx/session.ts';
import type { Logger } from '../../platform/port.ts';
import type { ScoredSoFar } from './early-metrics.ts';
import type { FeatureStats, Perturbation } from './perturbations.ts';
import { perturber } from './perturbations.ts';
import type { Plan } from './plan.ts';

export interface SliceCodes {
  column: string;
  values: Dictionary;
  codes: Int32Array;
}

export interface Scored {
  rows: number;
  skipped: { features: number; label: number };
  /** Classification: label codes in `classes`; regression: values. */
  truth: Int32Array | Float64Array;
  classes: Dictionary;
  slices: SliceCodes[];
  /** Per model, in plan order. */
  predictions: Predictions[];
  perturbed: { perturbation: Perturbation; predictions: Predictions }[];
  seconds: number;
}

export interface ScoreOptions {
  batchSize: number;
  perturbations: Perturbation[];
  stats?: FeatureStats;
  seed: number;
  /** Class names by index, for integer label outputs of models trained on string labels. */
  classNames?: readonly string[];
  /**
   * Where the models may also be opened in a worker thread (CPU), which runs batches while this
   * thread reads the next ones; undefined keeps every run on this thread.
   */
  offload?: {
    device: DevicePlan;
    options: Omit<OpenOptions, 'input'>;
    /** Rows scored here before the worker starts; OFFLOAD_FROM by default. */
    from?: number;
    /** Wait for the worker once started, so every later batch runs there. */
    wait?: boolean;
  };
  /** Shown what is kept of the rows scored so far after each batch (views: valid until the next). */
  onBatch?: (seen: ScoredSoFar) => void;
}

/** Batches sent to the worker ahead of the one whose results are taken next. */
const AHEAD = 3;
/** Rows scored before the worker is started: below this, starting it costs more than it saves. */
export const OFFLOAD_FROM = 50_000;
/** Models this large in all stay on this thread: the worker opens them again, twice the memory. */
const OFFLOAD_BYTES = 256 * 1024 * 1024;

/**
 * The worker for a plan, started once `from` rows are scored; `take` routes every runner to it
 * once it is ready and says whether runs go there. With `wait`, the batch after the start waits
 * for it (a test's way to know which thread ran what).
 */
function offloader(plan: Plan, offload: ScoreOptions['offload'], log: Logger) {
  const bytes = plan.models.reduce((sum, m) => sum + m.opened.bytes, 0);
  if (!offload || bytes > OFFLOAD_BYTES) return undefined;
  const from = offload.from ?? OFFLOAD_FROM;
  let worker: Offload | undefined;
  let ready = false;
  let routed = false;
  return {
    async take(rows: number, runners: ModelRunner[]): Promise<boolean> {
      if (routed) return true;
      if (!worker && rows >= from) {
        worker = new Offload(
          offload.device,
          plan.models.map((m) => ({ file: m.opened.file, options: { ...offload.options, input: m.role } })),
        );
        void worker.ready.then((ok) => {
          ready = ok;
        });
        if (offload.wait) await worker.ready;
      }
      if (!ready) return false;
      // Perturbations run the first model, after the plan's models.
      for (const [i, r] of runners.entries()) r.route(worker!.scorer(i < plan.models.length ? i : 0));
      routed = true;
      log.debug(`the models run in a worker thread from row ${rows + 1}`);
      return true;
    },
    close: () => worker?.close(),
  };
}

export async function scoreAll(
  engine: Engine,
  ort: Ort,
  plan: Plan,
  options: ScoreOptions,
  log: Logger,
): Promise<Scored> {
  const classes = new Dictionary();
  const runners = plan.models.map(
    (m) => new ModelRunner(ort, m.opened, m, plan.features, classes, options.classNames),
  );
  const perturbed = options.perturbations.map((p, i) => ({
    perturbation: p,
    runner: new ModelRunner(
      ort,
      plan.models[0]!.opened,
      plan.models[0]!,
      plan.features,
      classes,
      options.classNames,
    ),
    apply: perturber(p, options.stats!, options.seed + i + 1),
  }));
  const labels = labelReader(plan, classes);
  const slices = plan.slices.map((column) => ({
    column,
    values: new Dictionary(),
    codes: new Growable(Int32Array),
  }));
  const width = plan.features.length;
  const skipped = { features: 0, label: 0 };

  const missing = missingRows(width);
  const accept = (chunk: Chunk, r: number) => {
    if (missing(chunk)[r]) {
      skipped.features++;
      return false;
    }
    if (!labels.take(chunk.columns[width]!, r)) {
      skipped.label++;
      return false;
    }
    slices.forEach((s, i) => {
      s.codes.push(s.values.code((chunk.columns[width + 1 + i] as (string | null)[])[r] ?? null));
    });
    return true;
  };

  const started = performance.now();
  const progress = throttle(log, started);
  let rows = 0;
  // Float32 end to end when every model reads float32: no conversion per batch and model.
  const precision = plan.models.every((m) => m.feeds.inputs.every((i) => i.type === 'float32'))
    ? 'float32'
    : 'float64';
  const all = [...runners, ...perturbed.map((p) => p.runner)];
  const offload = offloader(plan, options.offload, log);
  const inflight: { rows: number; runs: Promise<ModelRun>[] }[] = [];
  /** A batch's runs, one per runner, taken in the order the batches were sent. */
  const take = (scored: number, runs: ModelRun[]) => {
    for (const [i, runner] of all.entries()) runner.take(runs[i]!, scored);
    rows += scored;
    progress(rows);
    options.onBatch?.({
      rows,
      truth: labels.values(),
      classes,
      predictions: runners.map((r) => r.predictions()),
    });
  };
  const settle = async () => {
    const sent = inflight.shift()!;
    take(sent.rows, await Promise.all(sent.runs));
  };
  try {
    const chunks = scan(engine, plan.source, scanColumns(plan, precision));
    for await (const batch of batches(chunks, width, options.batchSize, accept, precision)) {
      const inputs = [
        ...runners.map(() => batch),
        ...perturbed.map((p) => ({ rows: batch.rows, features: p.apply(batch.features) })),
      ];
      if (await offload?.take(rows, all)) {
        // The worker copies each batch as it is sent, so batches go ahead of their results.
        const runs = all.map((runner, i) => runner.score(inputs[i]!));
        for (const run of runs) run.catch(() => {}); // surfaced when settled; never unhandled meanwhile
        inflight.push({ rows: batch.rows, runs });
        while (inflight.length > AHEAD) await settle();
      } else {
        // This thread's runs read the batch later: each is awaited before the batch is refilled.
        const runs: ModelRun[] = [];
        for (const [i, runner] of all.entries()) runs.push(await runner.score(inputs[i]!));
        take(batch.rows, runs);
      }
    }
    while (inflight.length) await settle();
  } finally {
    await offload?.close();
  }
  return {
    rows,
    skipped,
    truth: labels.values(),
    classes,
    slices: slices.map((s) => ({ column: s.column, values: s.values, codes: s.codes.view() })),
    predictions: runners.map((r) => r.predictions()),
    perturbed: perturbed.map((p) => ({ perturbation: p.perturbation, predictions: p.runner.predictions() })),
    seconds: (performance.now() - started) / 1000,
  };
}

function scanColumns(plan: Plan, precision: 'float32' | 'float64'): ScanColumn[] {
  const label: ScanColumn = plan.labelIsText
    ? { kind: 'text', name: plan.label }
    : { kind: 'numeric', name: plan.label, as: 'DOUBLE', optional: true };
  return [
    // Optional: a NULL arrives as NaN, so missingRows finds it in the values DuckDB hands over,
    // cheaper than one more expression per feature in the scan.
    ...plan.features.map(
      (name): ScanColumn => ({
        kind: 'numeric',
        name,
        as: precision === 'float32' ? 'FLOAT' : 'DOUBLE',
        optional: true,
      }),
    ),
    label,
    ...plan.slices.map((name): ScanColumn => ({ kind: 'text', name })),
  ];
}

/**
 * 1 for each row of a chunk with a NaN among its first `width` columns (the features, where the
 * scan turned NULL into NaN), worked out once per chunk.
 */
function missingRows(width: number): (chunk: Chunk) => Uint8Array {
  let seen: Chunk | undefined;
  let flags = new Uint8Array(0);
  return (chunk) => {
    if (chunk === seen) return flags;
    seen = chunk;
    if (flags.length < chunk.rows) flags = new Uint8Array(chunk.rows);
    flags.fill(0, 0, chunk.rows);
    for (let j = 0; j < width; j++) {
      const values = chunk.columns[j] as Float32Array | Float64Array;
      for (let r = 0; r < chunk.rows; r++) if (Number.isNaN(values[r])) flags[r] = 1;
    }
    return flags;
  };
}

/** Reads the label of a row into codes (classification) or values (regression); false when it is missing. */
function labelReader(plan: Plan, classes: Dictionary) {
  if (plan.kind === 'regression') {
    const values = new Growable(Float64Array);
    return {
      take: (column: Chunk['columns'][number], r: number) => {
        const v = (column as Float64Array)[r]!;
        if (Number.isNaN(v)) return false;
        values.push(v);
        return true;
      },
      values: () => values.view(),
    };
  }
  const codes = new Growable(Int32Array);
  return {
    take: (column: Chunk['columns'][number], r: number) => {
      const code = plan.labelIsText
        ? classes.code((column as (string | null)[])[r] ?? null)
        : classes.codeOfNumber((column as Float64Array)[r]!);
      if (code < 0) return false;
      codes.push(code);
      return true;
    },
    values: () => codes.view(),
  };
}

/** Progress every few seconds: rows so far and the rate. */
function throttle(log: Logger, started: number) {
  let last = started;
  return (rows: number) => {
    const now = performance.now();
    if (now - last < 3000) return;
    last = now;
    const rate = rows / ((now - started) / 1000);
    log.progress(
      `scored ${rows.toLocaleString('en-US')} rows (${Math.round(rate).toLocaleString('en-US')} rows/s)`,
    );
  };
}
