/**
 * A real Prometheus (Debian's `prometheus`, installed by scripts/bootstrap.sh) for tests: it scrapes
 * the targets it is given every second and is read back through its HTTP API, as monitor-gate reads
 * a production one.
 *
 *   const prom = await startPrometheus(t, { targets: [{ job: 'serve', url: `${a.url}/metrics`, labels: { track: 'baseline' } }] });
 *   await prom.targetsUp();                                      // every target answered a scrape
 *   await prom.waitFor('sum(modelship_requests_total)', (r) => r[0]?.value === 40, 30_000);
 *   const rate = byLabel(await prom.query('…'), 'version');      // { v1: 0, v2: 0.25 }
 *
 * Each call gets its own config file and TSDB in a temporary folder and listens on 127.0.0.1 at a
 * free port (found by binding port 0; on the rare collision Prometheus exits and is started again
 * on another). It is always stopped after the test (SIGTERM, then SIGKILL if it lingers) and its
 * folder removed. `MODELSHIP_TEST_PROMETHEUS` names another binary than the `prometheus` on PATH.
 *
 * Prometheus discovers its targets a few seconds after it is ready (it throttles discovery updates
 * to one per 5 s), so wait with `targetsUp()` before relying on scrapes. Extra target labels must
 * not reuse a label the target exposes itself (such as `version`): Prometheus would rename the
 * exposed one to `exported_<name>`.
 *
 * The waits here poll until a condition holds and fail with the last thing seen; they measure
 * nothing, so no test asserts a duration through them.
 */

import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Daemon, fixture, launch, onFreePort, running } from './daemon.ts';

export const PROMETHEUS = process.env.MODELSHIP_TEST_PROMETHEUS ?? 'prometheus';

export interface ScrapeTarget {
  /** The `job` label; targets that share a job are scraped under one scrape config. */
  job: string;
  /** The full URL to scrape, path included (e.g. `http://127.0.0.1:1234/metrics`). */
  url: string;
  /** Extra labels put on every series of this target. */
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** Scrape (and rule evaluation) interval, as Prometheus writes durations; default `1s`. */
  scrapeInterval?: string;
  /** How long to wait for `/-/ready`; default 30 s. */
  readyTimeoutMs?: number;
  /** Scrape configs added as given, e.g. with `kubernetes_sd_configs` (targetsUp counts `targets` only). */
  scrapeConfigs?: object[];
}

/** One element of an instant vector (or the lone value of a scalar, with no labels). */
export interface Sample {
  metric: Record<string, string>;
  value: number;
  /** The evaluation time, in seconds since the epoch, as Prometheus returns it. */
  time: number;
}

/** An active target as `/api/v1/targets` describes it. */
export interface TargetState {
  job: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  /** Start of the last scrape, in milliseconds since the epoch; 0 before the first. */
  lastScrape: number;
}

export interface PrometheusServer {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:41234`. */
  url: string;
  child: ChildProcess;
  /** The folder holding `prometheus.yml` and the TSDB (`data/`). */
  dir: string;
  configFile: string;
  /** Everything Prometheus has logged (it logs to stderr). */
  logs(): string;
  /** Runs an instant query (`/api/v1/query`); `time` in seconds since the epoch, default now. */
  query(promql: string, time?: number): Promise<Sample[]>;
  /** Re-runs `promql` until `predicate` holds and returns that result; throws with the last one. */
  waitFor(promql: string, predicate: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** The active targets, now. */
  targets(): Promise<TargetState[]>;
  /** Waits until every configured target's last scrape succeeded. */
  targetsUp(timeoutMs?: number): Promise<TargetState[]>;
  /**
   * Waits until every target of `job` has been scraped successfully, starting at or after `since`
   * (ms since the epoch; default: any scrape). A scrape that starts after the last request was
   * answered has seen that request's counts.
   */
  scrapedOnce(job: string, options?: { since?: number; timeoutMs?: number }): Promise<TargetState[]>;
  /** Stops it now (the test's `after` hook does it anyway); idempotent. */
  stop(): Promise<void>;
}

type Hooks = Pick<TestContext, 'after'> | { after: (fn: () => unknown) => void };

const POLL_MS = 200;

export async function startPrometheus(t: Hooks, options: PrometheusOptions): Promise<PrometheusServer> {
  const { dir, stop, own } = await fixture(t, 'modelship-prometheus-');
  const configFile = join(dir, 'prometheus.yml');
  const dataDir = join(dir, 'data');

  await mkdir(dataDir);
  // YAML is a superset of JSON, so the config is written as JSON and needs no YAML library.
  const config = scrapeConfig(options) as { scrape_configs: object[] };
  config.scrape_configs.push(...(options.scrapeConfigs ?? []));
  await writeFile(configFile, JSON.stringify(config, null, 2));

  const started = await onFreePort('prometheus', (port) => start(configFile, dataDir, port), ready, {
    timeoutMs: options.readyTimeoutMs ?? 30_000,
    intervalMs: 100,
    own,
  });
  const api = new PrometheusApi(started);
  return {
    url: started.url,
    child: started.child,
    dir,
    configFile,
    logs: started.logs,
    query: (promql, time) => api.query(promql, time),
    waitFor: (promql, predicate, timeoutMs = 30_000) =>
      poll(`${promql} to satisfy the condition`, () => api.query(promql), predicate, timeoutMs, started),
    targets: () => api.targets(),
    targetsUp: (timeoutMs = 30_000) =>
      poll(
        'every target to be up',
        () => api.targets(),
        (ts) => ts.length === options.targets.length && ts.every((s) => s.health === 'up'),
        timeoutMs,
        started,
      ),
    scrapedOnce: (job, { since = 0, timeoutMs = 30_000 } = {}) =>
      poll(
        `every target of job '${job}' to be scraped${since ? ` after ${new Date(since).toISOString()}` : ''}`,
        async () => (await api.targets()).filter((s) => s.job === job),
        (ts) =>
          ts.length === options.targets.filter((o) => o.job === job).length &&
          ts.length > 0 &&
          ts.every((s) => s.health === 'up' && s.lastScrape > 0 && s.lastScrape >= since),
        timeoutMs,
        started,
      ),
    stop,
  };
}

/** Samples keyed by one label's value, e.g. `{ v1: 0, v2: 0.25 }` for `sum by (version) (…)`. */
export function byLabel(samples: Sample[], label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const key = s.metric[label];
    if (key === undefined) throw new Error(`a sample lacks label '${label}': ${JSON.stringify(s.metric)}`);
    if (key in out) throw new Error(`two samples share ${label}="${key}"; aggregate by '${label}' first`);
    out[key] = s.value;
  }
  return out;
}

/** The config Prometheus reads: one scrape config per job, one static config per target. */
export function scrapeConfig(options: PrometheusOptions): unknown {
  const interval = options.scrapeInterval ?? '1s';
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const target of options.targets) jobs.set(target.job, [...(jobs.get(target.job) ?? []), target]);
  return {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [...jobs].map(([job, targets]) => {
      const first = new URL(targets[0]!.url);
      for (const target of targets) {
        const u = new URL(target.url);
        if (u.protocol !== first.protocol || u.pathname !== first.pathname)
          throw new Error(`targets of job '${job}' must share scheme and path: ${first} vs ${u}`);
      }
      return {
        job_name: job,
        scheme: first.protocol.replace(':', ''),
        metrics_path: first.pathname,
        static_configs: targets.map((target) => ({
          targets: [new URL(target.url).host],
          labels: target.labels ?? {},
        })),
      };
    }),
  };
}

type Started = Daemon & { url: string };

function start(configFile: string, dataDir: string, port: number): Started {
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=info',
  ];
  return { ...launch(PROMETHEUS, args), url: `http://127.0.0.1:${port}` };
}

const ready = (p: Started) => fetch(`${p.url}/-/ready`).then((r) => r.ok);

async function poll<T>(
  what: string,
  read: () => Promise<T>,
  holds: (value: T) => boolean,
  timeoutMs: number,
  p: Started,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await read();
      error = undefined;
      if (holds(last)) return last;
    } catch (e) {
      error = e;
    }
    if (!running(p)) throw new Error(`prometheus exited while waiting for ${what}:\n${p.logs()}`);
    if (Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  const seen = error ? `error: ${(error as Error).message}` : `last result: ${JSON.stringify(last)}`;
  throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}; ${seen}`);
}

class PrometheusApi {
  private readonly p: Started;
  constructor(p: Started) {
    this.p = p;
  }

  async query(promql: string, time?: number): Promise<Sample[]> {
    const form = new URLSearchParams({ query: promql });
    if (time !== undefined) form.set('time', String(time));
    const data = (await this.call('/api/v1/query', form)) as {
      resultType: string;
      result: unknown;
    };
    if (data.resultType === 'scalar') {
      const [at, v] = data.result as [number, string];
      return [{ metric: {}, value: parseValue(v), time: at }];
    }
    if (data.resultType !== 'vector')
      throw new Error(`'${promql}' gave a ${data.resultType}; only instant vectors and scalars are read`);
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({
      metric: r.metric,
      value: parseValue(r.value[1]),
      time: r.value[0],
    }));
  }

  async targets(): Promise<TargetState[]> {
    const data = (await this.call('/api/v1/targets?state=active')) as {
      activeTargets: {
        scrapePool: string;
        scrapeUrl: string;
        labels: Record<string, string>;
        health: TargetState['health'];
        lastError: string;
        lastScrape: string;
      }[];
    };
    return data.activeTargets.map((a) => {
      const at = Date.parse(a.lastScrape);
      return {
        job: a.labels.job ?? a.scrapePool,
        scrapeUrl: a.scrapeUrl,
        labels: a.labels,
        health: a.health,
        lastError: a.lastError,
        // Prometheus reports Go's zero time (year 1) before the first scrape.
        lastScrape: Number.isFinite(at) && at > 0 ? at : 0,
      };
    });
  }

  private async call(path: string, form?: URLSearchParams): Promise<unknown> {
    const res = await fetch(
      `${this.p.url}${path}`,
      form ? { method: 'POST', body: form } : { method: 'GET' },
    );
    const text = await res.text();
    let body: { status?: string; data?: unknown; error?: string; errorType?: string };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${path} answered ${res.status} with non-JSON: ${text.slice(0, 500)}`);
    }
    if (!res.ok || body.status !== 'success')
      throw new Error(`${path} answered ${res.status}: ${body.errorType ?? ''} ${body.error ?? text}`);
    return body.data;
  }
}

/** Prometheus writes special floats as `NaN`, `+Inf` and `-Inf`, which `Number()` mostly rejects. */
function parseValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
