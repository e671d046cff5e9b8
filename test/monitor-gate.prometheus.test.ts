/**
 * The prometheus provider against a real Prometheus (Debian's, no targets needed): every result
 * that cannot be a measurement — no series, several, NaN, ±Inf, a query Prometheus rejects, a
 * server that is not there — is a MeasurementError whose message says which.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { loadMetrics, type MetricDefinition } from '../packages/core/src/monitor/metrics-file.ts';
import { prometheusProvider } from '../packages/core/src/monitor/providers/prometheus.ts';
import { PrometheusApi } from '../packages/core/src/monitor/providers/prometheus-api.ts';
import { MeasurementError, type Variables } from '../packages/core/src/monitor/providers/provider.ts';
import { fixture, launch, onFreePort } from './support/daemon.ts';
import { PROMETHEUS, startPrometheus } from './support/prometheus.ts';

const VARS: Variables = {
  app: 'iris',
  namespace: 'ns',
  version: 'v2',
  stable_version: 'v1',
  canary_version: 'v2',
  interval: '5s',
};
const signal = new AbortController().signal;

async function metric(query: string): Promise<MetricDefinition> {
  const m = (await loadMetrics(['throughput'], 'metrics'))[0]!;
  const { samples: _, builtin: __, ...rest } = m;
  return { ...rest, name: 'm', query };
}

describe('prometheus provider', () => {
  it('reads one number, and makes every other answer a measurement error that says what it was', async (t) => {
    const prom = await startPrometheus(t, { targets: [] });
    const provider = prometheusProvider(new PrometheusApi({ url: prom.url, timeoutMs: 5000 }));
    await provider.tick(signal);
    const read = async (q: string) => provider.read(await metric(q), VARS, signal);
    const error = async (q: string) => {
      try {
        await read(q);
      } catch (e) {
        assert.ok(e instanceof MeasurementError, String(e));
        return e.message;
      }
      throw new Error(`'${q}' was accepted`);
    };
    assert.deepEqual(await read('vector(0.25)'), { observation: { kind: 'value', value: 0.25 } });
    assert.deepEqual(await read('scalar(vector(2)) * 2'), { observation: { kind: 'value', value: 4 } });
    assert.equal(
      await error('up{job="{{app}}-{{version}}"}'),
      `'up{job="iris-v2"}' returned no series: check the labels it selects, or that the version has traffic`,
    );
    assert.equal(
      await error(
        'label_replace(vector(1), "pod", "a", "", "") or label_replace(vector(2), "pod", "b", "", "")',
      ),
      `'label_replace(vector(1), "pod", "a", "", "") or label_replace(vector(2), "pod", "b", "", "")' returned 2 series where one was expected ({pod="a"}, {pod="b"}): aggregate it, e.g. with sum()`,
    );
    assert.match(await error('vector(0) / 0'), /^'vector\(0\) \/ 0' is NaN, not a finite number$/);
    assert.match(await error('vector(1) / 0'), /is Infinity, not a finite number$/);
    assert.match(await error('sum(rate(x[5s])'), /^Prometheus answered 400: .*parse error/);
    const api = new PrometheusApi({ url: prom.url, timeoutMs: 5000 });
    const end = Math.floor(Date.now() / 1000);
    const range = await api.queryRange('vector(3)', { start: end - 4, end, stepS: 2 }, signal);
    assert.deepEqual(
      range.map((r) => r.points.map(([, v]) => v)),
      [[3, 3, 3]],
      'a range query: one series, a point every step',
    );
    await prom.stop();
    assert.match(
      await error('vector(1)'),
      /^Prometheus at 127\.0\.0\.1:\d+\/api\/v1\/query did not answer: ECONNREFUSED/,
    );
  });

  it('talks https to a Prometheus with a private CA and basic auth, and says when either is wrong', async (t) => {
    const { url, ca } = await securePrometheus(t, 'monitor', 's3cret-pass');
    const read = (conn: { token?: string; ca?: string }) =>
      prometheusProvider(new PrometheusApi({ url, timeoutMs: 5000, ...conn }))
        .read(
          {
            name: 'one',
            query: 'vector(1)',
            shape: 'value',
            direction: 'increase',
            critical: false,
            weight: 1,
            compare: false,
            where: {},
          },
          VARS,
          signal,
        )
        .then(
          (r) => r.observation,
          (e: Error) => e.message,
        );
    assert.deepEqual(await read({ token: 'monitor:s3cret-pass', ca }), { kind: 'value', value: 1 });
    assert.match(
      String(await read({ token: 'monitor:s3cret-pass' })),
      /^Prometheus at 127\.0\.0\.1:\d+\/api\/v1\/query did not answer: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
    );
    assert.equal(
      await read({ token: 'monitor:wrong', ca }),
      'Prometheus refused the credentials (401); check the token input',
    );
  });
});

/** Prometheus behind its own TLS (a CA made here) and basic auth, as `--web.config.file` sets them. */
async function securePrometheus(t: TestContext, user: string, password: string) {
  const { dir, own } = await fixture(t, 'modelship-prometheus-tls-');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=test CA',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  const hash = execFileSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' }).trim().split(':')[1]!;
  const web = {
    tls_server_config: { cert_file: join(dir, 'server.pem'), key_file: join(dir, 'server.key') },
    basic_auth_users: { [user]: hash },
  };
  await writeFile(join(dir, 'web.yml'), JSON.stringify(web));
  await writeFile(
    join(dir, 'prometheus.yml'),
    JSON.stringify({ global: { scrape_interval: '1s' }, scrape_configs: [] }),
  );
  const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
  const api = (url: string) => new PrometheusApi({ url, timeoutMs: 2000, token: `${user}:${password}`, ca });
  const started = await onFreePort(
    'prometheus',
    (port) => ({
      ...launch(PROMETHEUS, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.config.file=${join(dir, 'web.yml')}`,
      ]),
      url: `https://127.0.0.1:${port}`,
    }),
    (p) =>
      api(p.url)
        .query('vector(1)', signal)
        .then(
          () => true,
          () => false,
        ),
    { timeoutMs: 30_000, intervalMs: 100, own },
  );
  return { url: started.url, ca };
}
