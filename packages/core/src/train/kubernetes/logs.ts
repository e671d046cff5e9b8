/**
 * Every training pod's log in the CI log as it is written, each line prefixed by the pod's rank,
 * and the last lines kept for the failure report. A pod is followed once its container started;
 * a follow that breaks off is not retried: the lines of a finished container are read once more
 * at the end (tail) by whoever needs them.
 */
import { Writable } from 'node:stream';
import type { Kube } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Logger } from '../../platform/port.ts';
import { CONTAINER, INDEX_LABEL, LABELS } from './job.ts';

const TAIL = 40;

export class PodLogs {
  /** The last lines of all pods together, prefixed, oldest first. */
  readonly tail: string[] = [];
  private readonly followed = new Map<string, Promise<void>>();
  private readonly kube: Kube;
  private readonly namespace: string;
  private readonly log: Logger;
  private readonly signal: AbortSignal;

  constructor(kube: Kube, namespace: string, log: Logger, signal: AbortSignal) {
    this.kube = kube;
    this.namespace = namespace;
    this.log = log;
    this.signal = signal;
  }

  /** Starts following each pod whose container has started and is not followed yet. */
  update(pods: KubeObject[]): void {
    for (const pod of pods) {
      const name = pod.metadata?.name;
      if (!name || this.followed.has(name) || !started(pod)) continue;
      this.followed.set(name, this.follow(name, `[rank ${rankOf(pod)}]`));
    }
  }

  /** Waits for the logs being followed to reach their end (the containers have ended). */
  async drain(ms: number): Promise<void> {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    await Promise.race([Promise.allSettled([...this.followed.values()]), timeout]);
  }

  private async follow(pod: string, prefix: string): Promise<void> {
    let partial = '';
    const emit = (line: string) => {
      const shown = `${prefix} ${line}`;
      this.log.info(shown);
      this.tail.push(shown);
      if (this.tail.length > TAIL) this.tail.shift();
    };
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) emit(l.replace(/\r$/, ''));
        done();
      },
      final: (done) => {
        if (partial) emit(partial);
        done();
      },
    });
    try {
      await this.kube.followLog(this.namespace, pod, CONTAINER, sink, this.signal);
    } catch (e) {
      if (!this.signal.aborted)
        this.log.warn(`${prefix} could not follow the log of pod ${pod}: ${(e as Error).message}`);
    }
  }
}

function started(pod: KubeObject): boolean {
  const status = (pod.status?.containerStatuses ?? []).find((c: { name: string }) => c.name === CONTAINER);
  return Boolean(status?.state?.running || status?.state?.terminated);
}

export const rankOf = (pod: KubeObject) =>
  pod.metadata?.labels?.[LABELS.rank] ?? pod.metadata?.labels?.[INDEX_LABEL] ?? '?';
