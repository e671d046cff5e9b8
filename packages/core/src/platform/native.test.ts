import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalPlatform } from './local.ts';
import { loadNative, PINNED, toolCacheDir } from './native.ts';

type DuckDB = typeof import('@duckdb/node-api');

describe('native packages', () => {
  it('pins the versions the workspace installs', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    for (const { name, version } of Object.values(PINNED)) assert.equal(pkg.dependencies[name], version);
  });

  it('installs into the tool cache once, outside any checkout, and loads from there', async (t) => {
    const cache = await mkdtemp(join(tmpdir(), 'toolcache-'));
    t.after(() => rm(cache, { recursive: true, force: true }));
    const env = {
      ...process.env,
      RUNNER_TOOL_CACHE: cache,
      MODELSHIP_NATIVE_INSTALL: 'always',
      npm_config_prefer_offline: 'true',
    };
    const logs: string[] = [];
    const log = new LocalPlatform({});
    log.info = (m: string) => void logs.push(m);
    const duckdb = await loadNative<DuckDB>('duckdb', log, env);
    const dir = toolCacheDir('duckdb', env);
    assert.ok(dir.startsWith(cache));
    assert.ok(existsSync(join(dir, 'node_modules', '@duckdb', 'node-api', 'package.json')));
    const db = await duckdb.DuckDBInstance.create(':memory:');
    const rows = (await (await db.connect()).runAndReadAll('SELECT 6 * 7 AS x')).getRowObjects();
    assert.equal(Number(rows[0]!.x), 42);
    assert.ok(logs.some((l) => l.includes('installing into')));
    logs.length = 0;
    await loadNative<DuckDB>('duckdb', log, env);
    assert.ok(!logs.some((l) => l.includes('installing')), 'second load reuses the cache');
  });
});
