/**
 * The one door to a cluster: every request modelship makes to the Kubernetes API goes through a
 * Kube, which names what it tried for errors (errors.ts), retries what the server may answer
 * differently a moment later (it restarting, 5xx, 429), and counts requests for the report.
 * Nothing outside kube/ imports @kubernetes/client-node.
 */
import type { Writable } from 'node:stream';
import {
  CoreV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { retryDelayMs, sleep } from '../net/retry.ts';
import { type Attempt, isTransient, kubeErrorOf } from './errors.ts';
import type { KubeObject, ObjectList } from './types.ts';

export const FIELD_MANAGER = 'modelship';

/** How long a call keeps retrying a server that is down or failing: an API server restart fits. */
const RETRY_FOR_MS = 90_000;
const RETRY = { tries: Number.POSITIVE_INFINITY, baseMs: 250, maxMs: 4000, jitter: true };

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export class Kube {
  readonly server: string;
  /** API requests sent, watches included (each watch connection is one). */
  requests = 0;
  /** Requests that failed with something worth another try, and were tried again. */
  retries = 0;
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;
  private readonly logReader: Log;
  private readonly version: VersionApi;
  private signal: AbortSignal | undefined;

  constructor(kc: KubeConfig, signal?: AbortSignal) {
    this.signal = signal;
    this.server = kc.getCurrentCluster()?.server ?? 'the cluster';
    // Both the generated APIs and Watch authenticate every request through this method, so it is
    // the one place that sees each request go out.
    const apply = kc.applySecurityAuthentication.bind(kc);
    kc.applySecurityAuthentication = (ctx) => {
      this.requests++;
      return apply(ctx);
    };
    reuseConnections(kc);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kc);
    this.logReader = new Log(kc);
    this.version = kc.makeApiClient(VersionApi);
  }

  /**
   * From now on calls are the cleanup after a cancellation: they no longer stop at the step's
   * signal, only after `ms`, so the cluster is left consistent before the process exits.
   */
  detach(ms: number): void {
    this.signal = AbortSignal.timeout(ms);
  }

  /** Server-side apply as field manager `modelship`; with `dryRun`, validated and defaulted, not stored. */
  apply<T extends KubeObject>(obj: T, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<T> {
    return this.call(attemptOf('patch', obj, this.server), () =>
      this.objects.patch(
        obj,
        undefined,
        opts.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        opts.force ?? true,
        PatchStrategy.ServerSideApply,
      ),
    ) as Promise<T>;
  }

  /** Creates; a 409 (it exists already) is the caller's to handle. */
  create<T extends KubeObject>(obj: T): Promise<T> {
    return this.call(attemptOf('create', obj, this.server), () => this.objects.create(obj)) as Promise<T>;
  }

  /** Replaces, as of `obj.metadata.resourceVersion`: a 409 when someone changed it since. */
  replace<T extends KubeObject>(obj: T): Promise<T> {
    return this.call(attemptOf('update', obj, this.server), () => this.objects.replace(obj)) as Promise<T>;
  }

  /**
   * Sets a Deployment's replicas alone (a merge patch): scaling an old version down must not
   * restate, and so take over, the rest of an object this release did not write.
   */
  scale(namespace: string, kind: 'Deployment', name: string, replicas: number): Promise<KubeObject> {
    const obj = { apiVersion: 'apps/v1', kind, metadata: { name, namespace }, spec: { replicas } };
    return this.call(attemptOf('patch', obj, this.server), () =>
      this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    ) as Promise<KubeObject>;
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    const header = { apiVersion, kind, metadata: { name, namespace } };
    try {
      return (await this.call(attemptOf('get', header, this.server), () => this.objects.read(header))) as T;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  }

  list<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    selector: { labels?: string; fields?: string } = {},
  ): Promise<ObjectList<T>> {
    const a = attemptOf('list', { apiVersion, kind, metadata: { namespace } }, this.server);
    return this.call(a, () =>
      this.objects.list(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        selector.fields,
        selector.labels,
      ),
    ) as Promise<ObjectList<T>>;
  }

  /**
   * Whether the server serves `kind` at `apiVersion`, read from discovery (which every
   * authenticated user may read, unlike CRDs): a custom resource's kind is absent until its CRD is.
   */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    const a: Attempt = { verb: 'get', resource: `discovery of ${apiVersion}`, server: this.server };
    try {
      // `resource` is client-node's cached discovery lookup, protected only in its typings.
      return (await this.call(a, () => this.objects['resource'](apiVersion, kind))) !== undefined;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return false;
      throw e;
    }
  }

  /** Deletes; an object already gone is no error. */
  async delete(obj: KubeObject): Promise<void> {
    try {
      await this.call(attemptOf('delete', obj, this.server), () =>
        this.objects.delete(obj, undefined, undefined, undefined, undefined, 'Background'),
      );
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }

  /** The last `lines` lines a container logged (of its previous run when it crashed). */
  async logs(
    namespace: string,
    pod: string,
    container: string,
    lines: number,
    previous: boolean,
  ): Promise<string> {
    const a: Attempt = { verb: 'logs', resource: 'pods/log', namespace, name: pod, server: this.server };
    return this.call(a, () =>
      this.core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: lines, previous }),
    );
  }

  /** GET `path` on a pod's `port` through the API server's pod proxy (monitor-gate's scrape of /metrics). */
  proxyGet(namespace: string, pod: string, port: number, path: string): Promise<string> {
    const a: Attempt = { verb: 'get', resource: 'pods/proxy', namespace, name: pod, server: this.server };
    return this.call(a, () =>
      this.core.connectGetNamespacedPodProxyWithPath({ name: `${pod}:${port}`, namespace, path }),
    );
  }

  /** The server's `major.minor` (e.g. 1.20), for features newer servers have. */
  async serverVersion(): Promise<{ major: number; minor: number }> {
    const a: Attempt = { verb: 'get', resource: 'version', server: this.server };
    const v = await this.call(a, () => this.version.getCode());
    return { major: Number.parseInt(v.major, 10), minor: Number.parseInt(v.minor, 10) };
  }

  /**
   * Follows a container's log into `sink` as it is written; resolves when the container ends (the
   * server closes the stream) or `signal` aborts. Only for a container that has started. The
   * stream is not aborted on `signal` (client-node leaves the aborted body's error unhandled):
   * it ends when the container or its pod does, so the caller stops the pod to end it.
   */
  async followLog(namespace: string, pod: string, container: string, sink: Writable, signal: AbortSignal) {
    const a: Attempt = { verb: 'logs', resource: 'pods/log', namespace, name: pod, server: this.server };
    const ended = new Promise<void>((resolve) => {
      sink.once('finish', resolve);
      sink.once('close', resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.call(a, () => this.logReader.log(namespace, pod, container, sink, { follow: true }));
    await ended;
  }

  /**
   * One watch connection from `resourceVersion`; `onEvent` sees each event; resolves when the
   * server closes it (normal: it ends watches after `timeoutSeconds`), rejects with a KubeError.
   */
  watchOnce(
    path: { apiVersion: string; kind: string; namespace: string },
    query: { resourceVersion: string; labelSelector?: string; fieldSelector?: string },
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
    onOpen: () => void,
  ): Promise<void> {
    const a = attemptOf(
      'watch',
      { apiVersion: path.apiVersion, kind: path.kind, metadata: { namespace: path.namespace } },
      this.server,
    );
    return new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      const abort = () => controller?.abort();
      signal.addEventListener('abort', abort, { once: true });
      const done = (err: unknown) => {
        signal.removeEventListener('abort', abort);
        if (signal.aborted) resolve();
        else if (err) reject(kubeErrorOf(err, a));
        else resolve();
      };
      this.watcher
        .watch(
          collectionPath(path.apiVersion, path.kind, path.namespace),
          { ...query, allowWatchBookmarks: true, timeoutSeconds: 20 },
          (type, object) => onEvent({ type: type as WatchEvent['type'], object }),
          done,
        )
        .then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
          else onOpen();
        }, done);
    });
  }

  /** Runs `fn`, retrying transient failures for up to RETRY_FOR_MS, then maps the error. */
  private async call<T>(a: Attempt, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        this.signal?.throwIfAborted();
        if (!isTransient(e) || Date.now() - started > RETRY_FOR_MS) throw kubeErrorOf(e, a);
        this.retries++;
        await sleep(retryDelayMs(RETRY, attempt), this.signal);
      }
    }
  }
}

/**
 * client-node builds a new connection pool for every request, so each one opened its own TCP
 * connection and did a full TLS handshake (client certificate included): on a busy runner a
 * rollout's 20-odd requests spent a few hundred milliseconds on handshakes alone. One pool per
 * TLS identity keeps connections alive between requests; an exec plugin that rotates the client
 * certificate gets a new pool for the new one.
 */
function reuseConnections(kc: KubeConfig): void {
  type Make = (
    cluster: { server?: string; proxyUrl?: string } | null,
    opts: Record<string, unknown>,
  ) => unknown;
  // `createDispatcher` is private in client-node's typings; it is the one place pools are made.
  const make = (kc['createDispatcher'] as Make).bind(kc);
  const pools = new Map<string, unknown>();
  const identity = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'];
  (kc as unknown as { createDispatcher: Make }).createDispatcher = (cluster, opts) => {
    const key = JSON.stringify([cluster?.server, cluster?.proxyUrl, ...identity.map((k) => String(opts[k]))]);
    if (!pools.has(key)) pools.set(key, make(cluster, opts));
    return pools.get(key);
  };
}

/** `deployments.apps`, `services`: the resource as RBAC names it. */
export function resourceOf(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${pluralOf(kind)}${group ? `.${group}` : ''}`;
}

/** Kinds' plurals follow one rule for everything modelship touches (no -y or irregular kinds). */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (k === 'endpoints') return k;
  return k.endsWith('s') ? `${k}es` : `${k}s`;
}

export function collectionPath(apiVersion: string, kind: string, namespace: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}/namespaces/${namespace}/${pluralOf(kind)}`;
}

function attemptOf(
  verb: Attempt['verb'],
  obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } },
  server: string,
): Attempt {
  return {
    verb,
    resource: resourceOf(obj.apiVersion ?? 'v1', obj.kind ?? 'object'),
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name,
    server,
  };
}
