/**
 * HTTP from this machine to a Service's cluster IP, one connection per request.
 *
 * Two reasons for a connection each. kube-proxy picks an endpoint per connection, so a kept-alive
 * one asks the same pod every time. And until kube-proxy has programmed a new Service, a packet to
 * its IP leaves the machine: here a proxy on the way out answers any port-80 request (a 404 with no
 * body), and a kept-alive connection would go on asking it long after the Service is routed. An
 * answer with no body is therefore refused as "not routed to a pod yet": every server these tests
 * put behind a Service answers with one.
 *
 *   const { status, text } = await requestOnce({ host: ip, path: '/' });
 *   const answer = await inferOnce(ip, IRIS_ROW);   // { status, body }
 */
import { request } from 'node:http';

export interface Answer {
  status: number;
  text: string;
}

export function requestOnce(o: {
  host: string;
  port?: number;
  method?: string;
  path: string;
  body?: string;
  timeoutMs?: number;
}): Promise<Answer> {
  const timeoutMs = o.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: o.host,
        port: o.port ?? 80,
        method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
        path: o.path,
        agent: false,
        timeout: timeoutMs,
        headers:
          o.body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(o.body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('error', reject);
        res.on('end', () => {
          if (text === '')
            reject(
              new Error(`${o.host}:${o.port ?? 80} is not routed to a pod yet (${res.statusCode}, no body)`),
            );
          else resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${o.host} in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** One inference request to the model server behind `host`: its status and JSON body. */
export async function inferOnce(
  host: string,
  body: unknown,
  o: { port?: number; model?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await requestOnce({
    host,
    ...(o.port !== undefined && { port: o.port }),
    path: `/v2/models/${o.model ?? 'iris'}/infer`,
    body: JSON.stringify(body),
    ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }),
  });
  return { status: answer.status, body: JSON.parse(answer.text) as Record<string, unknown> };
}
