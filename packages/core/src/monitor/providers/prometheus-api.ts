/**
 * Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`) through net/http.ts: a timeout
 * per request, a bearer token or basic auth sent only to Prometheus' own origin. Every way a query
 * can go wrong (the server down, an error answer, a result of the wrong shape) is a
 * MeasurementError whose message says which.
 */
import { requestBuffered } from '../../net/http.ts';
import { NetworkError } from '../../net/network-error.ts';
import { MeasurementError } from './provider.ts';

export interface PrometheusConnection {
  url: string;
  /** A bearer token, or `user:password` for basic auth. */
  token?: string | undefined;
  timeoutMs: number;
  /** CA certificates (PEM) for an https Prometheus with a private CA. */
  ca?: string;
}

export interface Series {
  metric: Record<string, string>;
  value: number;
}

const LIMIT = 8 * 1024 * 1024;

export class PrometheusApi {
  requests = 0;
  private readonly base: URL;
  private readonly conn: PrometheusConnection;
  constructor(conn: PrometheusConnection) {
    this.conn = conn;
    this.base = new URL(conn.url.endsWith('/') ? conn.url : `${conn.url}/`);
  }

  /** An instant query at `time` (seconds since the epoch; default now): the series of its vector. */
  async query(promql: string, signal: AbortSignal, time?: number): Promise<Series[]> {
    const form = new URLSearchParams({ query: promql });
    if (time !== undefined) form.set('time', String(time));
    const data = await this.call('api/v1/query', form, signal);
    if (data.resultType === 'scalar') {
      const [, v] = data.result as [number, string];
      return [{ metric: {}, value: parseValue(v) }];
    }
    if (data.resultType !== 'vector')
      throw new MeasurementError(
        `the query gave a ${data.resultType}; an instant vector or scalar is needed`,
      );
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({
      metric: r.metric,
      value: parseValue(r.value[1]),
    }));
  }

  /** A range query: each series' points from `start` to `end` every `stepS` seconds. */
  async queryRange(
    promql: string,
    range: { start: number; end: number; stepS: number },
    signal: AbortSignal,
  ): Promise<{ metric: Record<string, string>; points: [number, number][] }[]> {
    const form = new URLSearchParams({
      query: promql,
      start: String(range.start),
      end: String(range.end),
      step: String(range.stepS),
    });
    const data = await this.call('api/v1/query_range', form, signal);
    if (data.resultType !== 'matrix')
      throw new MeasurementError(`the range query gave a ${data.resultType}, not a matrix`);
    return (data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((r) => ({
      metric: r.metric,
      points: r.values.map(([t, v]) => [t, parseValue(v)] as [number, number]),
    }));
  }

  private async call(
    path: string,
    form: URLSearchParams,
    signal: AbortSignal,
  ): Promise<{ resultType: string; result: unknown }> {
    const url = new URL(path, this.base);
    this.requests++;
    let answer: Awaited<ReturnType<typeof requestBuffered>>;
    try {
      answer = await requestBuffered(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          auth: this.auth(),
          body: Buffer.from(form.toString()),
        },
        {
          limit: LIMIT,
          timeoutMs: this.conn.timeoutMs,
          repeatable: true,
          signal,
          ...(this.conn.ca && { ca: this.conn.ca }),
        },
      );
    } catch (e) {
      if (e instanceof NetworkError)
        throw new MeasurementError(`Prometheus at ${e.url} did not answer: ${e.code} (${e.message})`);
      throw e;
    }
    return parseAnswer(answer.status, answer.body.toString('utf8'));
  }

  private auth(): Record<string, string> {
    const token = this.conn.token;
    if (!token) return {};
    // `user:password` is basic auth; a bearer token never holds a colon.
    if (token.includes(':')) return { authorization: `Basic ${Buffer.from(token).toString('base64')}` };
    return { authorization: `Bearer ${token}` };
  }
}

function parseAnswer(status: number, text: string): { resultType: string; result: unknown } {
  // Refused before any JSON: Prometheus' own basic auth and proxies in front answer in plain text.
  if (status === 401 || status === 403)
    throw new MeasurementError(`Prometheus refused the credentials (${status}); check the token input`);
  let body: { status?: string; data?: { resultType: string; result: unknown }; error?: string };
  try {
    body = JSON.parse(text);
  } catch {
    throw new MeasurementError(
      `Prometheus answered ${status} with something that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  if (body.status !== 'success' || !body.data)
    throw new MeasurementError(`Prometheus answered ${status}: ${body.error ?? text.slice(0, 200)}`);
  return body.data;
}

/** Prometheus writes special floats as `NaN`, `+Inf` and `-Inf`. */
export function parseValue(v: string): number {
  if (v === '+Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}
