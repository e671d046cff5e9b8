/**
 * Sorted non-null values of numeric columns, one column at a time, in the order they are asked
 * for. DuckDB binds every query against the whole table, so one query per column costs
 * columns × width: a 10,000-column file took minutes. Past WIDE columns, neighbouring columns
 * are therefore fetched together in one query (as many as fit a budget of cells) and sorted
 * here; a narrow table keeps one query per column, where DuckDB's parallel sort wins.
 */
import { type Engine, ident } from './engine.ts';

/** More columns than this and a query per column costs more than the data. */
export const WIDE = 100;
/** Cells fetched per batched query: bounds the memory a batch holds (8 bytes a cell). */
const BATCH_CELLS = 4_000_000;

/** Non-null values of a numeric column, ascending (NaN last, as DuckDB orders it). */
export function sortedValues(engine: Engine, table: string, column: string, expected: number) {
  const col = ident(column);
  return engine.doubles(
    `SELECT ${col}::DOUBLE FROM ${ident(table)} WHERE ${col} IS NOT NULL ORDER BY 1`,
    expected,
  );
}

export class SortedColumns {
  private readonly batchOf = new Map<string, number>();
  private readonly batches: string[][] = [];
  private held: { index: number; values: Promise<Map<string, Float64Array>> } | undefined;
  private readonly engine: Engine;
  private readonly table: string;
  private readonly rows: number;

  /** `columns`: every numeric column that will be asked for, in the order it will be. */
  constructor(engine: Engine, table: string, rows: number, columns: string[]) {
    this.engine = engine;
    this.table = table;
    this.rows = rows;
    if (columns.length <= WIDE) return;
    const size = Math.max(1, Math.floor(BATCH_CELLS / Math.max(rows, 1)));
    for (let i = 0; i < columns.length; i += size) {
      const batch = columns.slice(i, i + size);
      for (const c of batch) this.batchOf.set(c, this.batches.length);
      this.batches.push(batch);
    }
  }

  async get(column: string): Promise<Float64Array> {
    const index = this.batchOf.get(column);
    if (index === undefined) return sortedValues(this.engine, this.table, column, this.rows);
    // Only the current batch is held: columns are asked for in order, so memory stays one batch.
    if (this.held?.index !== index) this.held = { index, values: this.fetch(this.batches[index]!) };
    return (await this.held.values).get(column) ?? new Float64Array(0);
  }

  private async fetch(columns: string[]): Promise<Map<string, Float64Array>> {
    const select = columns.map((c) => `${ident(c)}::DOUBLE`).join(', ');
    const result = await this.engine.stream(`SELECT ${select} FROM ${ident(this.table)}`);
    const values = columns.map(() => new Float64Array(this.rows));
    const counts = new Array<number>(columns.length).fill(0);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (let j = 0; j < columns.length; j++) {
        const vector = chunk.getColumnVector(j);
        const out = values[j]!;
        let n = counts[j]!;
        for (let r = 0; r < chunk.rowCount; r++) {
          const v = vector.getItem(r);
          if (v !== null) out[n++] = v as number;
        }
        counts[j] = n;
      }
    }
    // A typed array sorts numerically with NaN last, the order ORDER BY gives a DOUBLE.
    return new Map(columns.map((c, j) => [c, values[j]!.subarray(0, counts[j]).sort()]));
  }
}
