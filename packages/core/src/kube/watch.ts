/**
 * A live view of a set of objects, kept by list-then-watch as client-go's informers do: list
 * once, watch from the list's resourceVersion, resume from the last version seen when the server
 * ends the watch (it does every `timeoutSeconds`) or the connection drops, and list again only
 * when the server says that version is gone (410). An API server that restarts mid-rollout costs
 * a reconnect, not the rollout.
 */
import { retryDelayMs, sleep } from '../net/retry.ts';
import type { Kube, WatchEvent } from './client.ts';
import { KubeError } from './errors.ts';
import type { KubeObject, ObjectList } from './types.ts';

export interface WatchSource<T extends KubeObject> {
  list(): Promise<ObjectList<T>>;
  /** One watch connection; `onOpen` once the server has answered; resolves when it ends, rejects with a KubeError. */
  watch(
    resourceVersion: string,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
    onOpen: () => void,
  ): Promise<void>;
}

export interface WatchTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  labels?: string;
  fields?: string;
}

export function kubeSource<T extends KubeObject>(kube: Kube, t: WatchTarget): WatchSource<T> {
  const selector = { ...(t.labels && { labels: t.labels }), ...(t.fields && { fields: t.fields }) };
  return {
    list: () => kube.list<T>(t.apiVersion, t.kind, t.namespace, selector),
    watch: (resourceVersion, onEvent, signal, onOpen) =>
      kube.watchOnce(
        t,
        {
          resourceVersion,
          ...(t.labels && { labelSelector: t.labels }),
          ...(t.fields && { fieldSelector: t.fields }),
        },
        onEvent,
        signal,
        onOpen,
      ),
  };
}

const BACKOFF = { tries: Number.POSITIVE_INFINITY, baseMs: 250, maxMs: 4000, jitter: true };

export class Informer<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  /** Lists made (the first included) and watch connections opened. */
  lists = 0;
  watches = 0;
  /** The last transient failure, while the server is unreachable; cleared once a watch is open again. */
  outage: KubeError | undefined;

  private readonly source: WatchSource<T>;
  private readonly onChange: () => void;

  constructor(source: WatchSource<T>, onChange: () => void) {
    this.source = source;
    this.onChange = onChange;
  }

  items(): T[] {
    return [...this.objects.values()];
  }

  /** Keeps the view current until `signal` aborts; rejects on a failure that retrying cannot fix. */
  async run(signal: AbortSignal): Promise<void> {
    let version: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (version === undefined) version = await this.relist();
        const resumed = await this.watchFrom(version, signal);
        version = resumed.version;
        failures = 0;
        this.outage = undefined;
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof KubeError && e.status === 410) {
          version = undefined;
          continue;
        }
        if (!(e instanceof KubeError && e.transient)) throw e;
        this.outage = e;
        this.onChange();
        await sleep(retryDelayMs(BACKOFF, ++failures), signal).catch(() => {});
      }
    }
  }

  private async relist(): Promise<string> {
    const list = await this.source.list();
    this.lists++;
    this.objects.clear();
    for (const o of list.items) this.objects.set(keyOf(o), o);
    this.outage = undefined;
    this.onChange();
    return list.metadata?.resourceVersion ?? '0';
  }

  /** One connection; the version to resume from, or undefined when the server said it is gone. */
  private async watchFrom(from: string, signal: AbortSignal): Promise<{ version: string | undefined }> {
    this.watches++;
    let version: string | undefined = from;
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await this.source.watch(
        from,
        (e) => {
          if (e.type === 'ERROR') {
            // A Status, usually 410 Gone: the version we resumed from was compacted away.
            version = undefined;
            connection.abort();
            return;
          }
          version = e.object.metadata?.resourceVersion ?? version;
          if (e.type === 'BOOKMARK') return;
          if (e.type === 'DELETED') this.objects.delete(keyOf(e.object));
          else this.objects.set(keyOf(e.object), e.object as T);
          this.outage = undefined;
          this.onChange();
        },
        connection.signal,
        // Back: said now, not when this connection ends (at its timeout) or the next event comes.
        () => {
          if (!this.outage) return;
          this.outage = undefined;
          this.onChange();
        },
      );
    } finally {
      signal.removeEventListener('abort', stop);
    }
    return { version };
  }
}

const keyOf = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
