/**
 * DuckDB, loaded through platform/native, behind the few calls the data steps need. All SQL
 * that carries a user's name or value goes through ident() and literal().
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import { loadNative } from '../platform/native.ts';
import type { Logger } from '../platform/port.ts';
import { memoryLimit, outOfMemory } from './memory.ts';

type DuckDB = typeof import('@duckdb/node-api');

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

export type Row = Record<string, unknown>;

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
    return new Engine(instance, await instance.connect(), limit, options.signal);
  }

  /** A second connection to the same database, so two queries can run at once. */
  async fork(): Promise<Engine> {
    const engine = new Engine(this.instance, await this.instance.connect(), this.memoryLimit, this.signal);
    engine.forked = true;
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

  /** One DOUBLE column streamed chunk by chunk into a typed array: no per-value objects. */
  async doubles(sql: string, expected: number): Promise<Float64Array> {
    const result = await this.stream(sql);
    let out = new Float64Array(Math.max(expected, 1024));
    let n = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const items = (chunk.getColumnVector(0) as unknown as { items: Float64Array }).items;
      if (n + items.length > out.length) {
        const grown = new Float64Array(Math.max(out.length * 2, n + items.length));
        grown.set(out.subarray(0, n));
        out = grown;
      }
      out.set(items, n);
      n += items.length;
    }
    return out.subarray(0, n);
  }

  /** Closes this connection; the database closes with the engine that opened it. */
  close(): void {
    this.signal?.removeEventListener('abort', this.interrupt);
    this.connection.closeSync();
    if (!this.forked) this.instance.closeSync();
  }
}
