/**
 * The worker side of offload.ts: the models opened again in a worker thread, which runs batches
 * the main thread sends while that thread reads and prepares the next ones. onnxruntime-node runs
 * a model synchronously on the thread that calls it, so on the main thread a run and the reading
 * of rows take turns; here they overlap. The main thread imports this module only for its URL.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadNative } from '../platform/native.ts';
import type { Logger } from '../platform/port.ts';
import type { DevicePlan } from './device.ts';
import { type OutputTensor, plainTensors } from './predict.ts';
import { type OpenOptions, type Ort, openModel, type Session } from './session.ts';

export const WORKER_URL = import.meta.url;
export const JOB = 'modelship:onnx:offload';

export interface OffloadSetup {
  plan: DevicePlan;
  models: { file: string; options: OpenOptions }[];
}

/** Main → worker: one run of model `model`. */
export interface RunRequest {
  id: number;
  model: number;
  feeds: Record<string, OutputTensor>;
  fetches: readonly string[];
}

/** Worker → main: `ready` once every model is open, then one answer per request. */
export type WorkerAnswer =
  | { ready: true }
  | { ready: false; error: string }
  | { id: number; out: Record<string, OutputTensor>; ms: number }
  | { id: number; error: string };

// The main thread installed and loaded this build already, so locating it again has nothing to say.
const quiet: Logger = { info() {}, warn() {}, notice() {}, debug() {}, progress() {} };

async function serve(setup: OffloadSetup): Promise<void> {
  const port = parentPort!;
  let ort: Ort;
  let sessions: Session[];
  try {
    ort = await loadNative<Ort>(setup.plan.native, quiet);
    const runtime = { ort, plan: setup.plan, reason: 'offload' };
    sessions = await Promise.all(
      setup.models.map(async (m) => (await openModel(runtime, m.file, m.options)).session),
    );
  } catch (e) {
    port.postMessage({ ready: false, error: (e as Error).message } satisfies WorkerAnswer);
    return;
  }
  const answer = async ({ id, model, feeds, fetches }: RunRequest): Promise<WorkerAnswer> => {
    try {
      const tensors = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data as never, t.dims)]),
      );
      const started = performance.now();
      const out = await sessions[model]!.run(tensors, fetches);
      const ms = performance.now() - started;
      return { id, out: plainTensors(out), ms };
    } catch (e) {
      return { id, error: (e as Error).message };
    }
  };
  // One run at a time, in the order sent: each run's time is its own, not a wait behind the others.
  let last = Promise.resolve();
  port.on('message', (request: RunRequest) => {
    last = last.then(async () => port.postMessage(await answer(request)));
  });
  port.postMessage({ ready: true } satisfies WorkerAnswer);
}

if (!isMainThread && (workerData as { job?: string } | undefined)?.job === JOB) {
  void serve((workerData as { setup: OffloadSetup }).setup);
}
