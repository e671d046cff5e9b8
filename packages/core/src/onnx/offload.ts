/**
 * Models run in a worker thread while the main thread reads and prepares the rows: evaluate-model
 * on CPU spent half its scan with one core idle, because a run blocks the thread that calls it and
 * the reading waited for it. The worker opens the same files with the same options, so its runs
 * give the same outputs; until it is ready (and if it cannot start), runs stay on this thread.
 */
import { Worker } from 'node:worker_threads';
import type { DevicePlan } from './device.ts';
import type { JOB as Job, OffloadSetup, RunRequest, WorkerAnswer } from './offload-worker.ts';
import { type ModelRun, plainTensors, type Scorer } from './predict.ts';

export class Offload {
  /** Resolves true once every model is open in the worker, false if it could not be. */
  readonly ready: Promise<boolean>;
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (run: ModelRun) => void; reject: (e: Error) => void }
  >();
  private next = 0;
  private gone: Error | undefined;
  private closed = false;

  constructor(plan: DevicePlan, models: OffloadSetup['models']) {
    this.ready = import('./offload-worker.ts')
      .then(({ WORKER_URL, JOB }) => this.start(WORKER_URL, JOB, { plan, models }))
      .catch(() => false); // no worker (it could not be loaded or started): the runs stay here
  }

  private start(url: string, job: typeof Job, setup: OffloadSetup): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const worker = new Worker(new URL(url), { workerData: { job, setup } });
    this.worker = worker;
    worker.unref();
    return new Promise((resolve) => {
      worker.on('message', (answer: WorkerAnswer) => {
        if ('ready' in answer) {
          if (!answer.ready) {
            this.gone = new Error(`the worker thread could not open the models: ${answer.error}`);
            void worker.terminate();
          }
          resolve(answer.ready);
          return;
        }
        const waiting = this.pending.get(answer.id);
        this.pending.delete(answer.id);
        if (this.pending.size === 0) worker.unref();
        if ('error' in answer) waiting?.reject(new Error(answer.error));
        else waiting?.resolve({ out: answer.out, ms: answer.ms });
      });
      worker.on('error', () => {}); // an exit follows; it says what is lost
      worker.once('exit', (code) => {
        resolve(false);
        this.gone ??= new Error(`the worker thread running the models stopped (exit code ${code})`);
        for (const { reject } of this.pending.values()) reject(this.gone);
        this.pending.clear();
      });
    });
  }

  /** Runs of model `index` (in the order given to the constructor), once `ready` said true. */
  scorer(index: number): Scorer {
    return (feeds, fetches) => {
      if (this.gone) return Promise.reject(this.gone);
      const id = this.next++;
      // Posting copies the data: the caller may refill its batch as soon as this returns.
      const request: RunRequest = { id, model: index, feeds: plainTensors(feeds), fetches };
      return new Promise<ModelRun>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.worker!.ref();
        this.worker!.postMessage(request);
      });
    };
  }

  /** Ends the worker now, started or still starting: scoring may end before it is ready. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }
}
