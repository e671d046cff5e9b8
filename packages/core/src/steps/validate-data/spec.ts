import { defineStep, type InputsOf, input } from '../spec.ts';

export const validateDataSpec = defineStep({
  id: 'validate-data',
  title: 'Validate data',
  summary: 'Check a dataset against a YAML data contract and for drift against a reference, on DuckDB.',
  inputs: {
    data: input.path({
      description:
        'Dataset to check: a file or a glob of CSV/TSV, Parquet or JSON Lines files, optionally gzip-compressed.',
      required: true,
      example: 'data/train.csv',
    }),
    contract: input.path({
      description: 'The YAML data contract the data must meet.',
      required: true,
      example: 'data/contract.yml',
    }),
    reference: input.path({
      description:
        'Dataset to compare against for drift, e.g. the training data of the model in production. Drift is skipped without it.',
      example: 'data/reference.parquet',
    }),
    report: input.path({
      description: 'Where to write the JSON report.',
      default: 'modelship-reports/validate-data.json',
      writes: 'file',
    }),
    'fail-on': input.choice(['error', 'warning', 'never'] as const, {
      description:
        'Which failed checks fail the step: `error` (severity error only), `warning` (any), or `never` (report only).',
      default: 'error',
    }),
  },
  outputs: {
    passed: { description: '`true` when no check failed at the `fail-on` level.', example: 'true' },
    report: { description: 'Path of the JSON report.', example: 'modelship-reports/validate-data.json' },
    rows: {
      description: 'Rows read from the data (rows that could not be parsed are not counted).',
      example: '150',
    },
    'data-digest': {
      description:
        'sha256 of the data files (for one file, what `sha256sum` prints). Stable for the same bytes; use it as a cache key and record it with the model.',
      example: 'sha256:3f1c…',
    },
    'failed-checks': {
      description: 'Comma-separated ids of the checks that failed or warned.',
      example: 'column.price.min,drift.age',
    },
    'drifted-columns': {
      description: 'Comma-separated columns whose drift test fired.',
      example: 'age,income',
    },
  },
});

export type ValidateDataInputs = InputsOf<typeof validateDataSpec.inputs>;
