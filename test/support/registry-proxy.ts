/**
 * For tests only: an HTTP proxy on 127.0.0.1 in front of a registry that breaks uploads on
 * demand, once: it cuts the client's connection after N bytes of upload bodies (PATCH/PUT), or
 * answers a given method with an error instead of forwarding it. It counts the request-body bytes
 * it received and forwarded, so a test can tell a resumed upload from one sent again from byte 0.
 *
 * By default an upload request's body is held until complete before it goes on (as nginx does,
 * `proxy_request_buffering on`), so a cut-off request never reaches the registry. With
 * `buffered: false` bytes go on as they arrive and the registry keeps the part it got, the case
 * where distribution drops the upload session and the client must start again.
 *
 * The Host header is passed through, so the registry's upload URLs point back at the proxy.
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyOptions {
  /** Cut the client's connection once, after this many bytes of PATCH/PUT bodies in all. */
  dropAfterBytes?: number;
  /** Forward upload bodies only once complete (default true), or as they arrive. */
  buffered?: boolean;
  /** Answer one request of `method` with `status` instead of forwarding it, after letting `after` through. */
  failOnce?: { method: string; status: number; after?: number };
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The status sent back; undefined when the connection was cut. */
  status: number | undefined;
}

export interface RegistryProxy {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  /** Request-body bytes received from the client. */
  received: number;
  /** Request-body bytes passed on to the registry. */
  forwarded: number;
  /** Connections cut (0 or 1). */
  drops: number;
  /** Requests answered with the injected status (0 or 1). */
  failures: number;
  /** Most requests in progress at once. */
  maxInFlight: number;
  requests: ProxiedRequest[];
  stop(): Promise<void>;
}

type Hooks = { after: (fn: () => unknown) => void };

const isUpload = (method: string | undefined) => method === 'PATCH' || method === 'PUT';

export async function startProxy(
  t: Hooks,
  target: string,
  options: ProxyOptions = {},
): Promise<RegistryProxy> {
  const [targetHost, targetPort] = splitHost(target);
  const agent = new Agent({ keepAlive: true });
  const buffered = options.buffered ?? true;
  let uploadBytes = 0;
  let matching = 0;
  let inFlight = 0;

  const proxy: RegistryProxy = {
    host: '',
    url: '',
    received: 0,
    forwarded: 0,
    drops: 0,
    failures: 0,
    maxInFlight: 0,
    requests: [],
    stop: async () => {},
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const record: ProxiedRequest = { method: req.method ?? '', path: req.url ?? '', status: undefined };
    proxy.requests.push(record);
    inFlight++;
    proxy.maxInFlight = Math.max(proxy.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    res.on('finish', () => (record.status = res.statusCode));

    const fail = options.failOnce;
    if (fail && proxy.failures === 0 && req.method === fail.method && matching++ >= (fail.after ?? 0)) {
      proxy.failures++;
      req.on('data', (chunk: Buffer) => (proxy.received += chunk.length));
      req.on('end', () => {
        res.writeHead(fail.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'failure injected by the test proxy' }] }),
        );
      });
      return;
    }

    const upstream = request({
      host: targetHost,
      port: targetPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    });
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    const held: Buffer[] = [];
    const hold = buffered && isUpload(req.method);
    req.on('data', (chunk: Buffer) => {
      proxy.received += chunk.length;
      let part = chunk;
      const dropAt = options.dropAfterBytes;
      if (isUpload(req.method) && dropAt !== undefined && proxy.drops === 0) {
        if (uploadBytes + chunk.length >= dropAt) {
          proxy.drops++;
          part = chunk.subarray(0, dropAt - uploadBytes);
          if (!hold && part.length) forward(part);
          // The registry sees the cut too: with nothing forwarded it never sees the request at all.
          upstream.destroy();
          req.socket.destroy();
          return;
        }
        uploadBytes += chunk.length;
      }
      if (hold) held.push(part);
      else forward(part);
    });
    req.on('end', () => {
      if (req.socket.destroyed) return;
      for (const part of held) forward(part);
      upstream.end();
    });
    const forward = (part: Buffer) => {
      proxy.forwarded += part.length;
      upstream.write(part);
    };
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxy.host = `127.0.0.1:${port}`;
  proxy.url = `http://${proxy.host}`;
  let stopped = false;
  proxy.stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    agent.destroy();
  };
  t.after(proxy.stop);
  return proxy;
}

function splitHost(host: string): [string, number] {
  const m = /^(?:http:\/\/)?(.+):(\d+)\/?$/.exec(host);
  if (!m) throw new Error(`proxy target must be HOST:PORT or http://HOST:PORT, not '${host}'`);
  return [m[1]!, Number(m[2])];
}
