/**
 * What every request goes through, whatever its endpoint (routes.ts): a request id, the inference
 * metrics, the protocol's answer to any error, and one log line. A client's mistake is a 4xx
 * logged at warn; only the server's own failures are 5xx and logged at error.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { CLIENT_GONE } from './body.ts';
import { ProtocolError } from './protocol-error.ts';
import { send } from './respond.ts';
import { isInference, route } from './routes.ts';
import type { InFlight } from './shutdown.ts';
import type { ServerState } from './state.ts';

interface Answered {
  status: number;
  error?: string;
}

export function handleRequests(state: ServerState, inFlight: InFlight): RequestListener {
  return (req, res) => {
    const started = performance.now();
    const id = requestId(req);
    res.setHeader('x-request-id', id);
    if (state.stopping) res.setHeader('connection', 'close');
    // Counted out once the response is flushed (or the client is gone), not when it is handed over:
    // a shutdown that closes connections must not cut an answer short.
    res.once('close', inFlight.enter(req.socket));
    // Every inference request counts, misrouted ones too: a canary answering 404 is failing.
    const timed = isInference(req) ? state.metrics.started() : undefined;
    route(req, res, id, state)
      .then(
        (status): Answered => ({ status }),
        (e: unknown) => answerError(res, e),
      )
      .then(({ status, error }) => {
        if (timed) {
          state.metrics.answered(status);
          timed();
        }
        logRequest(state, req, { status, ...(error && { error }) }, started, id);
      });
  };
}

/** The client's `x-request-id` when it is a sane one, so its traces and our logs line up. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

function answerError(res: ServerResponse, e: unknown): Answered {
  const known = e instanceof ProtocolError;
  const status = known ? e.status : 500;
  const error = known ? e.message : `inference failed: ${(e as Error).message?.split('\n')[0]}`;
  if (!res.headersSent) {
    if (known) for (const [name, value] of Object.entries(e.headers)) res.setHeader(name, value);
    send(res, status, { error });
  }
  return { status, error };
}

function logRequest(state: ServerState, req: IncomingMessage, answer: Answered, started: number, id: string) {
  const { log } = state;
  const { status } = answer;
  if (status < 400 && !log.enabled('debug')) return;
  // A client that hung up is routine; a client's mistake is worth a look; only 5xx is ours.
  const level = status >= 500 ? 'error' : status === CLIENT_GONE ? 'info' : status >= 400 ? 'warn' : 'debug';
  log.log(level, 'request', {
    request_id: id,
    method: req.method,
    path: req.url,
    status,
    duration_ms: Number((performance.now() - started).toFixed(3)),
    ...(answer.error && { error: answer.error }),
  });
}
