/** The contract after validation: every rule resolved to a value, a severity and its line. */
import type { Location } from '../../errors.ts';
import type { COLUMN_TYPES, DRIFT_TESTS, SEVERITIES } from './schema.ts';

export type Severity = (typeof SEVERITIES)[number];
export type ColumnType = (typeof COLUMN_TYPES)[number];
export type DriftTest = Exclude<(typeof DRIFT_TESTS)[number], 'auto' | 'off'>;

export interface Rule<T> {
  value: T;
  severity: Severity;
  where: Location;
}

export interface DriftRule {
  /** 'auto' is resolved once the sizes are known. */
  test: DriftTest | 'auto';
  threshold?: number;
  severity: Severity;
  bins: number;
  where: Location;
}

export interface ColumnContract {
  name: string;
  type: ColumnType;
  where: Location;
  required: Rule<boolean>;
  nullable?: Rule<boolean>;
  maxNullFraction?: Rule<number>;
  min?: Rule<number | string>;
  max?: Rule<number | string>;
  allowed?: Rule<(string | number | boolean)[]>;
  regex?: Rule<string>;
  unique?: Rule<boolean>;
  drift?: DriftRule;
}

export interface SqlCheck {
  id: string;
  description?: string;
  query: string;
  max: number;
  severity: Severity;
  where: Location;
}

export interface LeakageRule {
  against: string;
  columns?: string[];
  maxSharedRows: number;
  severity: Severity;
  where: Location;
}

export interface Contract {
  file: string;
  columns: ColumnContract[];
  rows?: { min?: number; max?: number; severity: Severity; where: Location };
  maxDuplicateRows?: Rule<number>;
  maxDuplicateFraction?: Rule<number>;
  label?: { column: string; minClassFraction?: number; severity: Severity; where: Location };
  leakage: LeakageRule[];
  extraColumns: 'allow' | 'warn' | 'forbid';
  extraColumnsWhere: Location;
  checks: SqlCheck[];
  driftThresholds: Record<DriftTest, number | undefined>;
}

/** The DuckDB type a declared column is read as. */
export const DUCKDB_TYPE: Record<ColumnType, string> = {
  integer: 'BIGINT',
  number: 'DOUBLE',
  string: 'VARCHAR',
  category: 'VARCHAR',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

export const isNumeric = (t: ColumnType) => t === 'integer' || t === 'number';
export const isCategorical = (t: ColumnType) => t === 'category' || t === 'string' || t === 'boolean';
