/**
 * The HTTP face of the Open Inference Protocol, put together: listen (listen.ts), answer each
 * request (requests.ts, routes.ts, infer.ts, body.ts), load the model behind readiness
 * (readiness.ts), and drain on shutdown (shutdown.ts). Liveness answers as soon as the port is
 * open; readiness only once the model is loaded and a warm-up run has passed.
 */
import { createServer } from 'node:http';
import type { ServeConfig } from './config.ts';
import { listen } from './listen.ts';
import type { JsonLogger } from './logger.ts';
import { ServerMetrics } from './metrics.ts';
import { loadAndWarmUp } from './readiness.ts';
import { handleRequests } from './requests.ts';
import { InFlight, shutdown } from './shutdown.ts';
import type { ServerState } from './state.ts';

export interface RunningServer {
  url: string;
  port: number;
  /** Resolves when the model is loaded and warm; rejects if it cannot be. */
  loaded: Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes. */
  close(): Promise<void>;
}

export async function startServer(config: ServeConfig, log: JsonLogger): Promise<RunningServer> {
  const state: ServerState = {
    config,
    log,
    metrics: new ServerMetrics(config.name, config.version),
    stopping: false,
  };
  const inFlight = new InFlight();
  const server = createServer(handleRequests(state, inFlight));
  inFlight.watch(server);
  server.requestTimeout = Math.max(config.timeoutMs * 2, 30_000);
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeouts
  const port = await listen(server, config);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.log('info', 'listening', { url, model: config.name, version: config.version });
  const loaded = loadAndWarmUp(state);
  return { url, port, loaded, close: () => shutdown(server, state, inFlight) };
}
