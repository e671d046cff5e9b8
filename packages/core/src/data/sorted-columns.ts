/**
 * Sorted non-null values of numeric columns, one column at a time, in the order they are asked
 * for. Columns are read from DuckDB unsorted, several per query (as many as fit a budget of
 * cells), and sorted here by a radix sort: a DuckDB `ORDER BY` per column cost about twice as
 * much on a million rows, and one query per column costs columns × width to bind, which took
 * minutes on a 10,000-column file. While one batch is sorted, the next is already being read.
 */
import { sortAscending } from '../metrics/statistics/sort.ts';
import { type Engine, ident } from './engine.ts';

/** Cells fetched per query: bounds the memory a batch holds (8 bytes a cell, two batches held). */
const BATCH_CELLS = 4_000_000;

export class SortedColumns {
  private readonly batchOf = new Map<string, number>();
  private readonly batches: string[][] = [];
  private readonly pending = new Map<number, Promise<Map<string, Float64Array>>>();
  private readonly engine: Engine;
  private readonly table: string;
  private readonly rows: number;
  private readonly sorted: boolean;

  /**
   * `columns`: every numeric column that will be asked for, in the order it will be. `sorted`
   * false gives the values in no particular order, for a caller that sorts only what it must.
   */
  constructor(engine: Engine, table: string, rows: number, columns: string[], sorted = true) {
    this.engine = engine;
    this.table = table;
    this.rows = rows;
    this.sorted = sorted;
    const size = Math.max(1, Math.floor(BATCH_CELLS / Math.max(rows, 1)));
    for (let i = 0; i < columns.length; i += size) {
      const batch = columns.slice(i, i + size);
      for (const c of batch) this.batchOf.set(c, this.batches.length);
      this.batches.push(batch);
    }
  }

  /** The column's non-null values, ascending (NaN last, as DuckDB orders a DOUBLE) unless unsorted. */
  async get(column: string): Promise<Float64Array> {
    const index = this.batchOf.get(column);
    if (index === undefined) throw new Error(`column '${column}' was not announced to SortedColumns`);
    // Columns are asked for in order: once a batch is reached the earlier ones are dropped and
    // the next one is started, so at most two batches are held.
    const values = this.batch(index);
    if (index + 1 < this.batches.length) this.batch(index + 1);
    for (const held of this.pending.keys()) if (held < index) this.pending.delete(held);
    const column_ = (await values).get(column) ?? new Float64Array(0);
    return this.sorted ? sortAscending(column_) : column_;
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
    const select = columns.map((c) => `${ident(c)}::DOUBLE`).join(', ');
    const result = await this.engine.stream(`SELECT ${select} FROM ${ident(this.table)}`);
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

/** What a DOUBLE vector of @duckdb/node-api holds: its items, and a validity bitmask or null (all valid). */
interface DoubleVector {
  items: Float64Array;
  validity: { data: BigUint64Array | null };
}

/** Appends the vector's non-null items to `out` at `n`; returns the new count. */
function appendValid(vector: DoubleVector, out: Float64Array, n: number): number {
  const { items } = vector;
  const mask = vector.validity.data;
  if (!mask) {
    out.set(items, n);
    return n + items.length;
  }
  // Bit i of the 64-bit words is row i; read as bytes to stay clear of BigInt.
  const bytes = new Uint8Array(mask.buffer, mask.byteOffset, mask.byteLength);
  for (let r = 0; r < items.length; r++) {
    if (bytes[byteOf(r)]! & (1 << (r & 7))) out[n++] = items[r]!;
  }
  return n;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** The byte of a validity mask that holds row r's bit. */
const byteOf = LITTLE_ENDIAN ? (r: number) => r >>> 3 : (r: number) => (r & ~63) / 8 + 7 - ((r >>> 3) & 7);
