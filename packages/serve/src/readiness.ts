/**
 * Readiness: the model is loaded, warmed up (model.ts) and given its executor, and only then does
 * the server report ready and take inference requests.
 */
import { Executor } from './executor.ts';
import { loadModel } from './model.ts';
import type { ServerState } from './state.ts';

export async function loadAndWarmUp(state: ServerState): Promise<void> {
  const { config, log, metrics } = state;
  const m = await loadModel(config, log);
  state.executor = new Executor(m, {
    maxQueue: config.maxQueue,
    batchMaxRows: config.batchMaxRows,
    batchWaitMs: config.batchWaitMs,
    alwaysFetch: m.classes ? [m.classes.output] : [],
    onRun: (rows, seconds, outputs) => {
      metrics.ran(rows, seconds);
      const c = m.classes && outputs[m.classes.output];
      if (c && m.classes) metrics.countClasses(c, m.classes.argmax);
    },
  });
  state.model = m;
  log.log('info', 'ready', {
    model: config.name,
    version: config.version,
    device: m.runtime.plan.device,
    load_ms: Number(m.opened.loadMs.toFixed(1)),
    batching:
      config.batchMaxRows > 0 ? { max_rows: config.batchMaxRows, wait_ms: config.batchWaitMs } : 'off',
  });
}
