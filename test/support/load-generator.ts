/**
 * Real traffic for monitor-gate's tests: a few concurrent loops on this machine sending inference
 * requests to a Service's cluster IP, each on a connection of its own (kube-proxy picks an
 * endpoint per connection, so every version behind the Service gets its share). Rows cycle
 * through the given list, so every version sees the same mix. An answer that did not come from a
 * pod (the Service not routed yet, see cluster-ip.ts) counts as `network`, as a refused connection
 * does. Stopped when the test ends.
 *
 *   const load = startLoad(t, { host: clusterIP, rows });
 *   …; await load.stop();   // { sent, byStatus: { 200: 812, 500: 97 } }
 */
import type { TestContext } from 'node:test';
import { inferOnce } from './cluster-ip.ts';

export interface LoadOptions {
  host: string;
  port?: number;
  model?: string;
  rows: number[][];
  /** Requests in flight at once; default 4. */
  concurrency?: number;
}

export interface Load {
  sent: number;
  byStatus: Record<string, number>;
  stop(): Promise<{ sent: number; byStatus: Record<string, number> }>;
}

export function startLoad(t: Pick<TestContext, 'after'>, o: LoadOptions): Load {
  let running = true;
  let next = 0;
  const load: Load = {
    sent: 0,
    byStatus: {},
    async stop() {
      running = false;
      await Promise.all(loops);
      return { sent: load.sent, byStatus: load.byStatus };
    },
  };
  const loop = async () => {
    while (running) {
      const row = o.rows[next++ % o.rows.length]!;
      const status = await send(o, row).catch(() => 'network');
      load.sent++;
      load.byStatus[status] = (load.byStatus[status] ?? 0) + 1;
      // A network error (endpoints moving) is not worth hammering on.
      if (status === 'network') await new Promise((r) => setTimeout(r, 100));
    }
  };
  const loops = Array.from({ length: o.concurrency ?? 4 }, loop);
  t.after(() => load.stop());
  return load;
}

async function send(o: LoadOptions, row: number[]): Promise<string> {
  const body = { inputs: [{ name: 'input', shape: [1, row.length], datatype: 'FP32', data: row }] };
  const { port, model } = o;
  const answer = await inferOnce(o.host, body, { port, model, timeoutMs: 10_000 });
  return String(answer.status);
}
