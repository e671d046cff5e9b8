/**
 * Sorted non-null values of numeric columns, one column at a time, in the order they are asked
 * for. Columns are read from DuckDB unsorted, a long one as a list, short ones several per query
 * (as many as fit a budget of cells), and sorted here by a radix sort: a DuckDB `ORDER BY` per
 * column cost about twice as much on a million rows, and one query per column costs columns ×
 * width to bind, which took minutes on a 10,000-column file. While one batch is sorted, the next
 * is already being read.
 */
import { sortAscending } from '../metrics/statistics/sort.ts';
import { appendValid, type DoubleVector, type Engine, ident } from './engine.ts';

/** Cells fetched per query: bounds the memory a batch holds (8 bytes a cell, two batches held). */
const BATCH_CELLS = 4_000_000;
/**
 * Rows from which a column is a query of its own, read as one list, and up to which it is: the
 * list is held twice while it is copied out (in DuckDB and here), a stream never more than once.
 */
const LIST_ROWS = { from: 500_000, to: 16_000_000 };

export class SortedColumns {
  private readonly batchOf = new Map<string, number>();
  private readonly batches: string[][] = [];
  private readonly pending = new Map<number, Promise<Map<string, Float64Array>>>();
  private readonly engine: Engine;
  private readonly table: string;
  private readonly rows: number;

  /** `columns`: every numeric column that will be asked for, in the order it will be. */
  constructor(engine: Engine, table: string, rows: number, columns: string[]) {
    this.engine = engine;
    this.table = table;
    this.rows = rows;
    const size = rows >= LIST_ROWS.from ? 1 : Math.max(1, Math.floor(BATCH_CELLS / Math.max(rows, 1)));
    for (let i = 0; i < columns.length; i += size) {
      const batch = columns.slice(i, i + size);
      for (const c of batch) this.batchOf.set(c, this.batches.length);
      this.batches.push(batch);
    }
  }

  /** The column's non-null values, ascending (NaN last, as DuckDB orders a DOUBLE). */
  async get(column: string): Promise<Float64Array> {
    const index = this.batchOf.get(column);
    if (index === undefined) throw new Error(`column '${column}' was not announced to SortedColumns`);
    // Columns are asked for in order: once a batch is reached the earlier ones are dropped and
    // the next one is started, so at most two batches are held.
    const values = this.batch(index);
    if (index + 1 < this.batches.length) this.batch(index + 1);
    for (const held of this.pending.keys()) if (held < index) this.pending.delete(held);
    const column_ = (await values).get(column) ?? new Float64Array(0);
    return sortAscending(column_);
  }

  private batch(index: number): Promise<Map<string, Float64Array>> {
    let p = this.pending.get(index);
    if (!p) {
      // One query at a time on a connection (a second one ends the first's stream): a batch is
      // read once the one before it is in.
      const before = this.pending.get(index - 1) ?? Promise.resolve();
      p = before.then(() => this.fetch(this.batches[index]!));
      // A prefetch nobody awaits yet must not become an unhandled rejection; get() sees the error.
      p.catch(() => {});
      this.pending.set(index, p);
    }
    return p;
  }

  private async fetch(columns: string[]): Promise<Map<string, Float64Array>> {
    const select = columns.map((c) => `${ident(c)}::DOUBLE`);
    if (this.rows >= LIST_ROWS.from && this.rows <= LIST_ROWS.to) {
      // A long column comes as one list, built whole inside DuckDB on its own threads while
      // JavaScript sorts the one before: a stream of chunks only moves when this thread asks for
      // the next 2,048 rows, so under load the read waited on the sort instead of overlapping it.
      const [values] = await this.engine.lists(`SELECT list(${select[0]}) FROM ${ident(this.table)}`);
      return new Map([[columns[0]!, values!]]);
    }
    // Many short columns stream (a list aggregate per column cost twice the projection), and so
    // does a column too long to be held twice.
    const result = await this.engine.stream(`SELECT ${select.join(', ')} FROM ${ident(this.table)}`);
    const values = columns.map(() => new Float64Array(this.rows));
    const counts = new Array<number>(columns.length).fill(0);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (let j = 0; j < columns.length; j++) {
        counts[j] = appendValid(chunk.getColumnVector(j) as unknown as DoubleVector, values[j]!, counts[j]!);
      }
    }
    return new Map(columns.map((c, j) => [c, values[j]!.subarray(0, counts[j])]));
  }
}
