/**
 * DuckDB, loaded through platform/native, behind the few calls the data steps need. All SQL
 * that carries a user's name or value goes through ident() and literal().
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { loadNative } from '../platform/native.ts';
import type { Logger } from '../platform/port.ts';

type DuckDB = typeof import('@duckdb/node-api');

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

export type Row = Record<string, unknown>;

export class Engine {
  private readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  private forked = false;
  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.instance = instance;
    this.connection = connection;
  }

  static async open(
    log: Logger,
    options: { memoryLimit?: string; threads?: number; keepOrder?: boolean } = {},
  ): Promise<Engine> {
    const duckdb = await loadNative<DuckDB>('duckdb', log);
    const instance = await duckdb.DuckDBInstance.create(':memory:', {
      // Order of rows never matters to a check, and not keeping it lets loads run in parallel.
      // A scan whose row order seeds a bootstrap or noise keeps it, so reruns agree.
      preserve_insertion_order: options.keepOrder ? 'true' : 'false',
      memory_limit: options.memoryLimit ?? '1GB',
      ...(options.threads && { threads: String(options.threads) }),
    });
    return new Engine(instance, await instance.connect());
  }

  /** A second connection to the same database, so two queries can run at once. */
  async fork(): Promise<Engine> {
    const engine = new Engine(this.instance, await this.instance.connect());
    engine.forked = true;
    return engine;
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /** Rows as plain objects; BIGINT becomes number (counts here stay far below 2^53). */
  async rows(sql: string): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql);
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
    const result = await this.connection.stream(sql);
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
    this.connection.closeSync();
    if (!this.forked) this.instance.closeSync();
  }
}
