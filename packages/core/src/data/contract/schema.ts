/**
 * The data contract: YAML a team keeps next to its data. Every rule takes a plain value or
 * `{ value, severity }`; severities default to the column's, then the contract's, then error.
 */
import { z } from 'zod';

export const SEVERITIES = ['error', 'warning'] as const;
export const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'timestamp', 'category'] as const;
export const DRIFT_TESTS = ['auto', 'ks', 'chi2', 'psi', 'wasserstein', 'jensenshannon', 'off'] as const;

const severity = z.enum(SEVERITIES);
const rule = <T extends z.ZodType>(value: T) =>
  z.union([value, z.strictObject({ value, severity: severity.optional() })]);

const bound = z.union([z.number(), z.string()]);
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const driftTest = z.enum(DRIFT_TESTS);

export const driftSettingSchema = z.union([
  driftTest,
  z.strictObject({
    test: driftTest.optional(),
    threshold: z.number().positive().optional(),
    severity: severity.optional(),
    bins: z.int().min(2).max(100).optional(),
  }),
]);

export const columnSchema = z.strictObject({
  type: z.enum(COLUMN_TYPES),
  description: z.string().optional(),
  required: rule(z.boolean()).optional(),
  nullable: rule(z.boolean()).optional(),
  max_null_fraction: rule(z.number().min(0).max(1)).optional(),
  min: rule(bound).optional(),
  max: rule(bound).optional(),
  allowed: rule(z.array(scalar).min(1)).optional(),
  regex: rule(z.string().min(1)).optional(),
  unique: rule(z.boolean()).optional(),
  severity: severity.optional(),
  drift: driftSettingSchema.optional(),
});

const rowsSchema = z.strictObject({
  min: z.int().min(0).optional(),
  max: z.int().min(1).optional(),
  severity: severity.optional(),
});

export const datasetSchema = z.strictObject({
  rows: rowsSchema.optional(),
  max_duplicate_rows: rule(z.int().min(0)).optional(),
  max_duplicate_fraction: rule(z.number().min(0).max(1)).optional(),
  label: z
    .strictObject({
      column: z.string(),
      min_class_fraction: z.number().gt(0).lt(1).optional(),
      severity: severity.optional(),
    })
    .optional(),
  leakage: z
    .array(
      z.strictObject({
        against: z.string().min(1),
        columns: z.array(z.string()).min(1).optional(),
        max_shared_rows: z.int().min(0).optional(),
        severity: severity.optional(),
      }),
    )
    .optional(),
  extra_columns: z.enum(['allow', 'warn', 'forbid']).optional(),
  severity: severity.optional(),
});

export const sqlCheckSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  description: z.string().optional(),
  query: z.string().min(1),
  max: z.int().min(0).optional(),
  severity: severity.optional(),
});

export const driftDefaultsSchema = z.strictObject({
  test: driftTest.optional(),
  severity: severity.optional(),
  bins: z.int().min(2).max(100).optional(),
  thresholds: z
    .strictObject({
      ks: z.number().gt(0).lt(1).optional(),
      chi2: z.number().gt(0).lt(1).optional(),
      psi: z.number().positive().optional(),
      wasserstein: z.number().positive().optional(),
      jensenshannon: z.number().gt(0).max(1).optional(),
    })
    .optional(),
});

export const contractSchema = z.strictObject({
  version: z.literal(1).optional(),
  description: z.string().optional(),
  severity: severity.optional(),
  columns: z.record(z.string().min(1), columnSchema),
  dataset: datasetSchema.optional(),
  checks: z.array(sqlCheckSchema).optional(),
  drift: driftDefaultsSchema.optional(),
});

export type RawContract = z.infer<typeof contractSchema>;

/** What each key accepts, in words, for error messages (zod's union errors say too little). */
export const EXPECTED: Record<string, string> = {
  version: 'the number 1',
  type: `one of ${COLUMN_TYPES.join(', ')}`,
  required: 'true or false, or { value: true, severity: warning }',
  nullable: 'true or false, or { value: false, severity: warning }',
  unique: 'true or false, or { value: true, severity: warning }',
  max_null_fraction: 'a fraction between 0 and 1, or { value: 0.01, severity: warning }',
  min: 'a number (an ISO date for timestamps), or { value: 0, severity: warning }',
  max: 'a number (an ISO date for timestamps), or { value: 100, severity: warning }',
  allowed: 'a non-empty list of values, or { value: [a, b], severity: warning }',
  regex: 'a regular expression (RE2 syntax), or { value: "^[A-Z]+$", severity: warning }',
  severity: `one of ${SEVERITIES.join(', ')}`,
  drift: `one of ${DRIFT_TESTS.join(', ')}, or { test: ks, threshold: 0.05, severity: warning, bins: 10 }`,
  test: `one of ${DRIFT_TESTS.join(', ')}`,
  threshold: 'a positive number',
  bins: 'a whole number from 2 to 100',
  columns: 'a map from column name to its rules',
  extra_columns: 'one of allow, warn, forbid',
  max_duplicate_rows: 'a whole number >= 0, or { value: 0, severity: warning }',
  max_duplicate_fraction: 'a fraction between 0 and 1',
  min_class_fraction: 'a fraction between 0 and 1 (exclusive)',
  max_shared_rows: 'a whole number >= 0',
  id: 'letters, digits, _ . - only',
  query: 'a SQL query that counts violating rows, e.g. SELECT count(*) FROM data WHERE price < 0',
};
