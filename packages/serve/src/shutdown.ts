/**
 * Graceful shutdown: report not ready, answer every request whose connection was accepted (up to
 * the shutdown timeout), then stop accepting and close whatever connections are left. The port
 * stays open until then: closing it at once resets the connections the kernel has queued for
 * accept, which the clients took as accepted. What arrives meanwhile is answered with
 * `connection: close`, and readiness is already false, so a load balancer sends no more.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerState } from './state.ts';

/** How long a connection that has sent nothing yet is waited for (a TCP probe never sends). */
const FIRST_REQUEST_MS = 1000;

/** Requests received and not yet answered, and connections accepted that have not sent one yet. */
export class InFlight {
  count = 0;
  private readonly fresh = new Map<Socket, number>();

  watch(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.fresh.set(socket, performance.now());
      socket.once('close', () => this.fresh.delete(socket));
    });
  }

  /** Counts a request in; the function returned counts it out. */
  enter(socket: Socket): () => void {
    this.fresh.delete(socket);
    this.count++;
    return () => void this.count--;
  }

  /** Nothing left to answer: no request in flight, and no new connection that may still send one. */
  quiet(): boolean {
    const now = performance.now();
    for (const at of this.fresh.values()) if (now - at < FIRST_REQUEST_MS) return false;
    return this.count === 0;
  }
}

export async function shutdown(server: Server, state: ServerState, inFlight: InFlight): Promise<void> {
  if (state.stopping) return;
  state.stopping = true;
  const { log, config } = state;
  log.log('info', 'shutting down', { in_flight: inFlight.count });
  const deadline = performance.now() + config.shutdownTimeoutMs;
  const quiet = () => inFlight.quiet() && !state.executor?.size;
  while (performance.now() < deadline) {
    if (quiet()) {
      // Checked again after the event loop's next poll, where connections queued for accept arrive.
      await new Promise((r) => setImmediate(r));
      if (quiet()) break;
    }
    await sleep(10);
  }
  const closed = new Promise<void>((r) => server.close(() => r()));
  // Connections still busy answer with `connection: close` and end themselves; idle ones end now.
  server.closeIdleConnections();
  const left = deadline - performance.now();
  if (left > 0) await Promise.race([closed, sleep(left, undefined, { ref: false })]);
  server.closeAllConnections();
  await closed;
  log.log('info', 'stopped', { unanswered: inFlight.count });
}
