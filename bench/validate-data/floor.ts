/** The floor: DuckDB scanning the file once, in a cold process. Prints the query's own time. */
import { DuckDBInstance } from '@duckdb/node-api';

const started = performance.now();
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
for (const file of process.argv.slice(2))
  await c.runAndReadAll(`SELECT count(*) FROM read_csv('${file.replace(/'/g, "''")}')`);
process.stdout.write(`${(performance.now() - started).toFixed(0)}\n`);
