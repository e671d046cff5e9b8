/**
 * DuckDB, loaded through platform/native, behind the few calls the data steps need. All SQL
 * that carries a user's name or value goes through ident() and literal().
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBListVector } from '@duckdb/node-api';
import { LITTLE_ENDIAN } from '../endian.ts';
import { loadNative } from '../platform/native.ts';
import type { Logger } from '../platform/port.ts';
import { memoryLimit, outOfMemory } from './memory.ts';

type DuckDB = typeof import('@duckdb/node-api');

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

export type Row = Record<string, unknown>;

/**
 * How far DuckDB's threads read ahead of the chunks a stream hands out. Its default (under 1 MB,
 * a few chunks) left them waiting for JavaScript to take the next chunk: a 1M-row Parquet scan
 * read in 1.3 s, and in 0.47 s with this. Memory: at most this much more, while the reader leads.
 */
const STREAM_BUFFER = "SET streaming_buffer_size = '64MB'";

export class Engine {
  private readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  /** Bytes DuckDB may use, named in the error when it runs out. */
  readonly memoryLimit: number;
  private forked = false;
  private readonly signal: AbortSignal | undefined;
  private constructor(
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    memoryLimit: number,
    signal: AbortSignal | undefined,
  ) {
    this.instance = instance;
    this.connection = connection;
    this.memoryLimit = memoryLimit;
    this.signal = signal;
    signal?.addEventListener('abort', this.interrupt, { once: true });
  }

  private readonly interrupt = () => this.connection.interrupt();

  /** `signal` interrupts the running query when it aborts (SIGTERM): DuckDB stops mid-scan. */
  static async open(
    log: Logger,
    options: { threads?: number; keepOrder?: boolean; signal?: AbortSignal | undefined } = {},
  ): Promise<Engine> {
    const limit = memoryLimit();
    const duckdb = await loadNative<DuckDB>('duckdb', log);
    const instance = await duckdb.DuckDBInstance.create(':memory:', {
      // Order of rows never matters to a check, and not keeping it lets loads run in parallel.
      // A scan whose row order seeds a bootstrap or noise keeps it, so reruns agree.
      preserve_insertion_order: options.keepOrder ? 'true' : 'false',
      memory_limit: `${Math.floor(limit / 1048576)}MiB`,
      ...(options.threads && { threads: String(options.threads) }),
    });
    return Engine.connect(instance, limit, options.signal);
  }

  /** A second connection to the same database, so two queries can run at once. */
  async fork(): Promise<Engine> {
    const engine = await Engine.connect(this.instance, this.memoryLimit, this.signal);
    engine.forked = true;
    return engine;
  }

  /** A connection, set up as every one of them is. */
  private static async connect(
    instance: DuckDBInstance,
    limit: number,
    signal: AbortSignal | undefined,
  ): Promise<Engine> {
    const engine = new Engine(instance, await instance.connect(), limit, signal);
    await engine.run(STREAM_BUFFER);
    return engine;
  }

  /** Running out of memory is the user's to fix (a bigger limit); any other error stays as it is. */
  private explain(e: unknown): unknown {
    // An interrupted query is the cancellation itself, not an error of its own.
    if (this.signal?.aborted) return this.signal.reason;
    return outOfMemory(e, this.memoryLimit) ?? e;
  }

  async run(sql: string): Promise<void> {
    this.signal?.throwIfAborted();
    await this.connection.run(sql).catch((e) => Promise.reject(this.explain(e)));
  }

  /** A query's chunks, one at a time; an error (out of memory above all) explained as run() does. */
  async stream(sql: string): Promise<{ fetchChunk(): Promise<DuckDBDataChunk | null> }> {
    this.signal?.throwIfAborted();
    const result = await this.connection.stream(sql).catch((e) => Promise.reject(this.explain(e)));
    return {
      fetchChunk: async () => {
        this.signal?.throwIfAborted();
        return result.fetchChunk().catch((e) => Promise.reject(this.explain(e)));
      },
    };
  }

  /** Rows as plain objects; BIGINT becomes number (counts here stay far below 2^53). */
  async rows(sql: string): Promise<Row[]> {
    this.signal?.throwIfAborted();
    const reader = await this.connection.runAndReadAll(sql).catch((e) => Promise.reject(this.explain(e)));
    return reader.getRowObjectsJS().map((r) => {
      const out: Row = {};
      for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'bigint' ? Number(v) : v;
      return out;
    });
  }

  async one(sql: string): Promise<Row> {
    return (await this.rows(sql))[0] ?? {};
  }

  /**
   * The one row of a query whose columns are DOUBLE lists (`list(x::DOUBLE)` aggregates), each
   * as a typed array of its non-null values: the list is copied out of DuckDB in one piece, with
   * no per-value objects. NULLs are dropped here, not by a FILTER clause: DuckDB's cost for
   * filtered aggregates grew with the square of their number (18 s for 1,000 short columns).
   */
  async lists(sql: string): Promise<Float64Array[]> {
    this.signal?.throwIfAborted();
    const result = await this.connection.run(sql).catch((e) => Promise.reject(this.explain(e)));
    const chunk = await result.fetchChunk().catch((e) => Promise.reject(this.explain(e)));
    const out: Float64Array[] = [];
    for (let j = 0; j < result.columnCount; j++) {
      const list = chunk?.rowCount ? (chunk.getColumnVector(j) as DuckDBListVector) : undefined;
      // One row, so the list's child holds its values and nothing else (none for a NULL list);
      // its items are a copy (the bindings allow no external buffers), safe to keep and sort.
      const child = list?.childVector as unknown as DoubleVector | undefined;
      out.push(child ? child.items.subarray(0, appendValid(child, child.items, 0)) : new Float64Array(0));
    }
    return out;
  }

  /** Closes this connection; the database closes with the engine that opened it. */
  close(): void {
    this.signal?.removeEventListener('abort', this.interrupt);
    this.connection.closeSync();
    if (!this.forked) this.instance.closeSync();
  }
}

/** What a DOUBLE vector of @duckdb/node-api holds: its items, and a validity bitmask or null (all valid). */
export interface DoubleVector {
  items: Float64Array;
  validity: { data: BigUint64Array | null };
}

/**
 * Writes the vector's non-null items to `out` from `n` on (`out` may be its own items, to
 * compact them in place); returns the new count.
 */
export function appendValid(vector: DoubleVector, out: Float64Array, n: number): number {
  const { items } = vector;
  const mask = vector.validity.data;
  if (!mask) {
    if (out !== items || n !== 0) out.set(items, n);
    return n + items.length;
  }
  // Bit i of the 64-bit words is item i; read as bytes to stay clear of BigInt.
  const bytes = new Uint8Array(mask.buffer, mask.byteOffset, mask.byteLength);
  for (let i = 0; i < items.length; i++) {
    if (bytes[byteOf(i)]! & (1 << (i & 7))) out[n++] = items[i]!;
  }
  return n;
}

/** The byte of a validity mask that holds item i's bit. */
const byteOf = LITTLE_ENDIAN ? (i: number) => i >>> 3 : (i: number) => (i & ~63) / 8 + 7 - ((i >>> 3) & 7);
