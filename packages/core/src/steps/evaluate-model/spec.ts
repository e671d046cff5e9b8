import { DEVICES } from '../../onnx/device.ts';
import { registryInputs } from '../registry-inputs.ts';
import { defineStep, type InputsOf, input } from '../spec.ts';

export const evaluateModelSpec = defineStep({
  id: 'evaluate-model',
  title: 'Evaluate model',
  summary:
    'Run an ONNX model on a dataset with onnxruntime (CPU or GPU), compare it with the production model, and gate on the metrics.',
  inputs: {
    model: input.path({
      description:
        "The model to evaluate (the challenger): an .onnx file, or a model artifact by digest (train-dispatch's `model` output, `registry/repo@sha256:…`) or by a tag holding one, pulled and verified.",
      required: true,
      example: 'models/model.onnx',
    }),
    data: input.path({
      description:
        'Evaluation data: a file or a glob of CSV/TSV, Parquet or JSON Lines files, optionally gzip-compressed. Read in batches, never whole.',
      required: true,
      example: 'data/test.parquet',
    }),
    'label-column': input.string({
      description: 'The column holding the true label (classification) or target value (regression).',
      required: true,
      example: 'species',
    }),
    task: input.choice(['auto', 'binary', 'multiclass', 'regression'] as const, {
      description:
        '`auto` reads it from the model: probabilities or integer/string labels mean classification (binary with two classes), a float value means regression.',
      default: 'auto',
    }),
    'feature-columns': input.list({
      description:
        'Columns fed to the model, in the order it expects. Default: a model with one input per column takes the columns named after its inputs; a model with one matrix input takes every numeric column but the label and the slice columns, in file order.',
      example: 'sepal_length, sepal_width, petal_length, petal_width',
    }),
    baseline: input.path({
      description:
        "The production model (the champion), evaluated on the same rows: a file, a model artifact by digest like `model`, or a tag such as `registry/repo:production` holding a model artifact or an image build-image made from one (it records which). With it: every metric for both, the delta with a 95% paired-bootstrap interval, McNemar's exact test and the agreement rate.",
      example: 'ghcr.io/acme/iris:production',
    }),
    'baseline-fallback': input.path({
      description:
        'The baseline while the `baseline` tag holds nothing yet (before the first release), e.g. a committed model. Without it, an empty tag is an error.',
      example: 'models/baseline.onnx',
    }),
    gates: input.list({
      description:
        'Conditions the model must meet, one per line: a comparison over metric names and numbers, e.g. `accuracy >= 0.9`, `f1_macro >= baseline.f1_macro - 0.01`, `latency_p95_ms <= 5`. A failed gate fails the step.',
      example: 'accuracy >= 0.9\nf1_macro >= baseline.f1_macro - 0.01',
    }),
    device: input.choice(DEVICES, {
      description:
        'Where the models run. `auto`: CUDA when the runner has an NVIDIA GPU and the CUDA build loads, else CPU with a notice saying why. `cuda`/`tensorrt` fail clearly without a usable GPU. `webgpu` uses the WebGPU provider bundled with onnxruntime-node (Vulkan).',
      default: 'auto',
    }),
    'batch-size': input.number({
      description: 'Rows per `session.run` call.',
      default: '1024',
      integer: true,
      min: 1,
      max: 1_000_000,
    }),
    threads: input.number({
      description: "onnxruntime's intra-op threads per model; 0 leaves it to onnxruntime (one per CPU core).",
      default: '0',
      integer: true,
      min: 0,
      max: 1024,
    }),
    robustness: input.list({
      description:
        "Perturbations to evaluate the model under, one per line: `gaussian-noise:<scale>` adds noise of `scale` × each numeric feature's standard deviation (seeded); `drop-feature:<column>` replaces a feature with its mean. Reported with the drop of every metric.",
      example: 'gaussian-noise:0.1\ndrop-feature:petal_width',
    }),
    slices: input.list({
      description: 'Columns to break the metrics down by, one table per column (at most 50 values each).',
      example: 'region',
    }),
    'class-labels': input.list({
      description:
        "The class of each probability column (and of each integer label the model outputs), in the model's order. Default: the sorted distinct labels, as scikit-learn orders `classes_`.",
      example: 'setosa, versicolor, virginica',
    }),
    'prediction-output': input.string({
      description:
        'The model output holding labels (classification) or values (regression). Default: the first integer or string [N] output; for regression the first float [N] output.',
      example: 'label',
    }),
    'probability-output': input.string({
      description:
        'The model output holding class probabilities [N, classes]. Default: the first float [N, k>1] output.',
      example: 'probabilities',
    }),
    'on-missing': input.choice(['skip', 'fail'] as const, {
      description:
        'Rows with an empty or NaN feature or label: `skip` leaves them out and reports how many, `fail` stops with an error naming the count.',
      default: 'skip',
    }),
    'bootstrap-samples': input.number({
      description:
        'Paired-bootstrap resamples for the confidence intervals on the deltas (0 turns them off).',
      default: '1000',
      integer: true,
      min: 0,
      max: 100_000,
    }),
    seed: input.number({
      description: 'Seed of the bootstrap and of robustness noise; the same seed gives the same report.',
      default: '42',
      integer: true,
      min: 0,
    }),
    ...registryInputs('User for the registry of `model` when it is given by reference.'),
    report: input.path({
      description: 'Where to write the JSON report.',
      default: 'modelship-reports/evaluate-model.json',
      writes: 'file',
    }),
    predictions: input.path({
      description:
        "Also write every scored row's label and predictions (and probabilities) as CSV here, for audits and your own analysis.",
      example: 'modelship-reports/predictions.csv',
      writes: 'file',
    }),
    comment: input.boolean({
      description:
        'Post the summary as a comment on the pull request / merge request, updating the same comment on every run.',
      default: 'false',
    }),
    token: input.string({
      description:
        'Token for the comment. GitHub: defaults to the workflow token (needs `pull-requests: write`). GitLab: a project access token with `api` scope, e.g. from a masked CI/CD variable (CI_JOB_TOKEN cannot post notes).',
      secret: true,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, written into action.yml as is
      githubDefault: '${{ github.token }}',
    }),
  },
  outputs: {
    passed: { description: '`true` when every gate passed.', example: 'true' },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/evaluate-model.json' },
    metrics: {
      description: "The challenger's metrics as compact JSON.",
      example: '{"accuracy":0.96,"f1_macro":0.959}',
    },
    'failed-gates': { description: 'The gates that failed, one per line.', example: 'accuracy >= 0.97' },
    accuracy: { description: 'Classification: accuracy.', example: '0.96' },
    'f1-macro': { description: 'Classification: macro-averaged F1.', example: '0.959' },
    'roc-auc': {
      description: 'Classification with probabilities: ROC AUC (one-vs-rest macro for multiclass).',
      example: '0.993',
    },
    rmse: { description: 'Regression: root mean squared error.', example: '0.42' },
    r2: { description: 'Regression: coefficient of determination.', example: '0.87' },
    'latency-p95-ms': { description: 'p95 latency of one batch, in milliseconds.', example: '1.8' },
    'throughput-rows-per-s': { description: 'Rows scored per second of model time.', example: '250000' },
  },
  metricsReport: true,
});

export type EvaluateModelInputs = InputsOf<typeof evaluateModelSpec.inputs>;
