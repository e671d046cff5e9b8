/**
 * Which endpoint a request is for: health, server metadata, /metrics, and the model's metadata,
 * readiness and inference under /v2/models/{name}[/versions/{version}]. An unknown path, model
 * or method is a 404 or 405 that says what this server does serve.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VERSION } from '@modelship/core/version.ts';
import type { ServeConfig } from './config.ts';
import { infer } from './infer.ts';
import { metadata } from './model.ts';
import { ProtocolError } from './protocol-error.ts';
import { send } from './respond.ts';
import type { ServerState } from './state.ts';

type Route = { name: string; version?: string; action: 'metadata' | 'ready' | 'infer' };

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer))?$/;

/** The request's path without query or trailing slashes; undefined for a target that is not a path. */
export function requestPath(target: string | undefined): string | undefined {
  let path = (target ?? '/').split(/[?#]/, 1)[0]!;
  if (!path.startsWith('/')) {
    // The absolute form (`GET http://host/v2 HTTP/1.1`), which proxies send.
    if (!URL.canParse(path)) return undefined;
    path = new URL(path).pathname;
  }
  return path.replace(/\/+$/, '') || '/';
}

export const isInference = (req: IncomingMessage) => requestPath(req.url)?.endsWith('/infer') === true;

/** Answers one request; resolves with the status sent. */
export async function route(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  state: ServerState,
): Promise<number> {
  const { config, metrics } = state;
  const path = requestPath(req.url);
  if (path === undefined) throw new ProtocolError(400, `the request target '${req.url}' is not a path`);
  if (path === '/v2/health/live') return send(res, 200, { live: true });
  const ready = !!state.model && !state.stopping;
  if (path === '/v2/health/ready') return send(res, ready ? 200 : 400, { ready });
  if (path === '/v2') return send(res, 200, { name: 'modelship', version: VERSION, extensions: [] });
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(await metrics.text());
    return 200;
  }
  const target = modelRoute(path, config);
  const wanted = target.action === 'infer' ? 'POST' : 'GET';
  if (req.method !== wanted) throw new ProtocolError(405, `${path} takes ${wanted}, not ${req.method}`);
  if (target.action === 'ready')
    return send(res, state.model ? 200 : 400, { name: config.name, ready: !!state.model });
  if (!state.model || !state.executor)
    throw new ProtocolError(400, `model '${config.name}' is not ready yet`);
  if (target.action === 'metadata') return send(res, 200, metadata(state.model, config));
  return infer(req, res, id, state.model, state.executor, config);
}

/** The model route a path names, refused with 404 unless it is this server's model and version. */
function modelRoute(path: string, config: ServeConfig): Route {
  const m = MODEL_ROUTE.exec(path);
  if (!m) throw new ProtocolError(404, `no endpoint ${path}; see /v2 and /v2/models/${config.name}`);
  const route: Route = {
    name: decodeSegment(m[1]!),
    action: (m[3] as Route['action']) ?? 'metadata',
    ...(m[2] && { version: decodeSegment(m[2]) }),
  };
  if (route.name !== config.name || (route.version !== undefined && route.version !== config.version)) {
    const which =
      route.version === undefined ? `'${route.name}'` : `'${route.name}' version '${route.version}'`;
    throw new ProtocolError(
      404,
      `unknown model ${which}; this server serves '${config.name}' version '${config.version}'`,
    );
  }
  return route;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ProtocolError(
      400,
      `the path segment '${segment}' has a malformed percent-encoding; write % as %25, and a byte as %XX`,
    );
  }
}
