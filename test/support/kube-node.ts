/**
 * A real single-node Kubernetes (v1.20.2 built from Debian's source package by
 * scripts/kube-node/build.sh) for the tests: etcd, kube-apiserver, controller-manager, scheduler,
 * containerd, kubelet and kube-proxy (iptables mode) as child processes, on free ports on 127.0.0.1,
 * with a local registry the node pulls from over plain HTTP. Pods get addresses on a bridge the
 * fixture creates, which also holds the node's IP (the kubelet refuses a loopback one); nothing
 * listens beyond this machine.
 *
 *   const kube = kubeNodeFixture();                    // at a test file's top level: once per file
 *   it('…', async (t) => {
 *     const node = await kube.use(t);                  // skips, loudly, where no node can run here
 *     if (!node) return;
 *     const ns = await node.namespace(t);              // its own namespace, deleted after the test
 *     await node.api.call('POST', `/api/v1/namespaces/${ns}/pods`, pod);
 *   });
 *
 * Teardown always runs (and runs again at the next start if the process was killed): see kube-host.ts.
 * MODELSHIP_KUBE_NODE=<node.json> attaches to a node someone else started (scripts/kube-node/up.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { type Daemon, freePort, terminate, waitReady } from './daemon.ts';
import { type KubeApi, kubeApi, until } from './kube-api.ts';
import {
  cniConfig,
  containerdConfig,
  kubeconfig,
  kubeletConfig,
  kubeProxyConfig,
  type NodeLayout,
  registryHosts,
} from './kube-config.ts';
import {
  createBridge,
  createCgroupRoot,
  type HostRecord,
  RUNTIME_DIRS,
  readSysctls,
  setSysctl,
  undo,
} from './kube-host.ts';
import { staticImage } from './kube-images.ts';
import { acquireNodeLock, releaseNodeLock, writeRecord } from './kube-lock.ts';
import { makePki } from './kube-pki.ts';
import { whyNoKubeNode } from './kube-probe.ts';
import { type RegistryServer, startRegistry } from './registry.ts';
import { ROOT } from './run.ts';

export { whyNoKubeNode } from './kube-probe.ts';

/** What a test gets: enough to talk to the node as kubectl would, and to give it images. */
export interface KubeNodeHandle {
  /** `https://127.0.0.1:PORT` */
  server: string;
  /** An admin kubeconfig file (system:masters), paths to its certificates inside. */
  kubeconfig: string;
  ca: string;
  admin: { cert: string; key: string };
  /** `127.0.0.1:PORT` of the registry the node pulls from over plain HTTP. */
  registry: string;
  nodeName: string;
  nodeIp: string;
  /** Folder holding binaries (kubectl included). */
  bin: string;
  dir: string;
  /** The flags its API server runs with, for a second one (extra-apiserver.ts); absent in older handles. */
  apiserverArgs?: string[];
}

export interface KubeNode extends KubeNodeHandle {
  api: KubeApi;
  /** A namespace of the test's own, whose default service account exists; deleted after the test. */
  namespace(t: Pick<TestContext, 'after'>): Promise<string>;
  /** The last lines a component logged, for failure messages. */
  logs(component: string, lines?: number): string;
}

export interface RunningNode extends KubeNode {
  /** Tears everything down; returns what could not be undone (empty when all went). */
  stop(): Promise<string[]>;
  /** The sysctls as they were before the node (what stop restores). */
  sysctlsBefore: Record<string, string>;
}

const NODE_NAME = 'modelship-node';
const BRIDGE = 'mskbr0';
const NODE_IP = '10.213.0.1';
const READY_MS = 120_000;
const say = (line: string) => process.stderr.write(`kube-node: ${line}\n`);

/** Builds (or finds cached) binaries, then brings the node up; throws with the failing component's log. */
export async function startKubeNode(): Promise<RunningNode> {
  const bin = await buildBinaries();
  await acquireNodeLock(say, 30 * 60_000);
  const dir = await mkdtemp('/tmp/mskn-');
  const layout = await nodeLayout(dir);
  const record: HostRecord = {
    dir,
    bridge: BRIDGE,
    cgroupRoot: layout.cgroupRoot,
    containerdSocket: layout.containerdSocket,
    sysctls: await readSysctls(),
    pids: [],
    owner: process.pid,
    runtimeDirsBefore: RUNTIME_DIRS.filter((d) => existsSync(d)),
  };
  await writeRecord(record);
  const daemons = new Map<string, Daemon>();
  const cleanups: (() => unknown)[] = [];
  let stopped: Promise<string[]> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      const failures = await undo(record, async () => {
        for (const name of [
          'kube-proxy',
          'kubelet',
          'kube-scheduler',
          'kube-controller-manager',
          'containerd',
          'kube-apiserver',
          'etcd',
        ]) {
          const d = daemons.get(name);
          if (d) await terminate(d);
        }
        for (const fn of cleanups.reverse()) await fn();
      });
      await releaseNodeLock();
      return failures;
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: tearing the node down`);
    void stop().finally(() => process.kill(process.pid, signal));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const started = Date.now();
    const node = await bringUp(bin, layout, record, daemons, cleanups);
    say(
      `up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${node.server}, registry ${node.registry}, kubeconfig ${node.kubeconfig}`,
    );
    return { ...node, stop, sysctlsBefore: { ...record.sysctls } };
  } catch (e) {
    const failures = await stop();
    if (failures.length) say(`teardown after a failed start left: ${failures.join('; ')}`);
    throw e;
  }
}

async function nodeLayout(dir: string): Promise<NodeLayout> {
  return {
    dir,
    nodeName: NODE_NAME,
    nodeIp: NODE_IP,
    podCidr: '10.213.0.0/24',
    podRangeStart: '10.213.0.10',
    serviceCidr: '10.214.0.0/24',
    bridge: BRIDGE,
    cgroupRoot: `/modelship-kube-${process.pid}`,
    containerdSocket: join(dir, 'containerd.sock'),
    pauseImage: '', // set once the registry is up
    ports: {
      kubelet: await freePort(),
      kubeletHealthz: await freePort(),
      proxyHealthz: await freePort(),
      proxyMetrics: await freePort(),
    },
  };
}

async function bringUp(
  bin: string,
  l: NodeLayout,
  record: HostRecord,
  daemons: Map<string, Daemon>,
  cleanups: (() => unknown)[],
): Promise<KubeNode> {
  const { dir } = l;
  for (const sub of [
    'pki',
    'logs',
    'etcd',
    'cni/net.d',
    'cni/ipam',
    'containerd/certs.d',
    'kubelet',
    'kubelet-plugins',
  ])
    await mkdir(join(dir, sub), { recursive: true });
  const registry: RegistryServer = await startRegistry({ after: (fn) => cleanups.push(fn) });
  l.pauseImage = await staticImage(
    registry.host,
    'modelship/pause',
    '1',
    [{ path: 'pause', mode: 0o755, data: await readFile(join(bin, 'pause')) }],
    { entrypoint: ['/pause'] },
  );
  const pki = await makePki(join(dir, 'pki'), {
    nodeName: l.nodeName,
    nodeIp: l.nodeIp,
    serviceIp: '10.214.0.1',
  });

  const start = (name: string, cmd: string, args: string[]) => {
    const d = spawnLogged(cmd, args, join(dir, 'logs', `${name}.log`));
    daemons.set(name, d);
    if (d.child.pid) record.pids.push(d.child.pid);
    return writeRecord(record).then(() => d);
  };
  const ready = async (name: string, probe: () => Promise<boolean>) => {
    const d = daemons.get(name)!;
    const outcome = await waitReady(d, probe, READY_MS, 200);
    if (outcome !== 'ready')
      throw new Error(`${name} did not become ready (${outcome}):\n${tail(d.logs(), 40)}`);
  };

  await createBridge(l.bridge, `${l.nodeIp}/24`);
  await createCgroupRoot(l.cgroupRoot);
  await setSysctl('net/ipv4/ip_forward', '1');

  const [etcdClient, etcdPeer, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  await start('etcd', 'etcd', [
    '--name=modelship',
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=modelship=http://127.0.0.1:${etcdPeer}`,
    '--log-level=warn',
  ]);
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigs: Record<string, string> = {};
  for (const [name, pair] of Object.entries(pki.clients)) {
    kubeconfigs[name] = join(dir, `${name}.kubeconfig`);
    await writeFile(kubeconfigs[name], kubeconfig(server, pki.ca, pair, name), { mode: 0o600 });
  }
  await writeFile(join(dir, 'containerd.toml'), containerdConfig(l, join(dir, 'containerd/certs.d')));
  await mkdir(join(dir, 'containerd/certs.d', registry.host), { recursive: true });
  await writeFile(join(dir, 'containerd/certs.d', registry.host, 'hosts.toml'), registryHosts(registry.host));
  await writeFile(join(dir, 'cni/net.d/10-modelship.conflist'), cniConfig(l));
  await writeFile(join(dir, 'kubelet.json'), kubeletConfig(l, pki));
  await writeFile(join(dir, 'kube-proxy.json'), kubeProxyConfig(l, kubeconfigs['kube-proxy']!));
  await start('containerd', 'containerd', ['--config', join(dir, 'containerd.toml')]);
  await ready('etcd', () => fetch(`${etcdUrl}/health`).then((r) => r.ok));

  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--insecure-port=0',
    `--advertise-address=${l.nodeIp}`,
    `--service-cluster-ip-range=${l.serviceCidr}`,
    `--client-ca-file=${pki.ca}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--kubelet-client-certificate=${pki.clients.admin.cert}`,
    `--kubelet-client-key=${pki.clients.admin.key}`,
    `--kubelet-certificate-authority=${pki.ca}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${dir}/pki`,
  ];
  await start('kube-apiserver', join(bin, 'kube-apiserver'), apiserverArgs);
  const api = await kubeApi(server, { ca: pki.ca, ...pki.clients.admin });
  await ready('kube-apiserver', () => api.raw('GET', '/readyz').then((r) => r.status === 200));

  // No port for the controller manager and the scheduler: nothing reads their health endpoints, and
  // a free port picked here can be taken before they bind it (the scheduler then exits, and every
  // pod stays Pending).
  const common = ['--port=0', '--secure-port=0', '--leader-elect=false', '--profiling=false'];
  await start('kube-controller-manager', join(bin, 'kube-controller-manager'), [
    ...common,
    `--kubeconfig=${kubeconfigs['controller-manager']}`,
    `--authentication-kubeconfig=${kubeconfigs['controller-manager']}`,
    `--authorization-kubeconfig=${kubeconfigs['controller-manager']}`,
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.ca}`,
    `--cluster-signing-cert-file=${pki.ca}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    '--use-service-account-credentials=true',
    `--cert-dir=${dir}/pki/kcm`,
  ]);
  await start('kube-scheduler', join(bin, 'kube-scheduler'), [
    ...common,
    `--kubeconfig=${kubeconfigs.scheduler}`,
    `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
    `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
    `--cert-dir=${dir}/pki/scheduler`,
  ]);
  await ready('containerd', async () => statSync(l.containerdSocket).isSocket());
  await start('kubelet', join(bin, 'kubelet'), [
    `--config=${dir}/kubelet.json`,
    `--kubeconfig=${kubeconfigs.kubelet}`,
    '--container-runtime=remote',
    `--container-runtime-endpoint=unix://${l.containerdSocket}`,
    `--root-dir=${dir}/kubelet`,
    `--cert-dir=${dir}/pki/kubelet`,
    `--node-ip=${l.nodeIp}`,
    `--hostname-override=${l.nodeName}`,
    `--pod-infra-container-image=${l.pauseImage}`,
    '--runtime-request-timeout=5m',
    '--v=1',
  ]);
  await start('kube-proxy', join(bin, 'kube-proxy'), [`--config=${dir}/kube-proxy.json`]);

  const node: KubeNode = {
    server,
    kubeconfig: kubeconfigs.admin!,
    ca: pki.ca,
    admin: pki.clients.admin,
    registry: registry.host,
    nodeName: l.nodeName,
    nodeIp: l.nodeIp,
    bin,
    dir,
    apiserverArgs,
    api,
    namespace: (t) => makeNamespace(api, t),
    logs: (name, lines = 40) => tail(daemons.get(name)?.logs() ?? '', lines),
  };
  await ready('kube-proxy', () =>
    fetch(`http://127.0.0.1:${l.ports.proxyHealthz}/healthz`).then((r) => r.ok),
  );
  await ready('kubelet', () => nodeReady(api, l.nodeName));
  await ready('kube-controller-manager', () =>
    api.raw('GET', '/api/v1/namespaces/default/serviceaccounts/default').then((r) => r.status === 200),
  );
  // The scheduler has no readiness of its own to wait for: it must at least still be running.
  for (const [name, d] of daemons)
    if (d.child.exitCode !== null || d.child.signalCode)
      throw new Error(`${name} exited while the node started:\n${tail(d.logs(), 40)}`);
  await writeFile(join(dir, 'node.json'), JSON.stringify(handleOf(node), null, 2));
  return node;
}

async function nodeReady(api: KubeApi, name: string): Promise<boolean> {
  const r = await api.raw('GET', `/api/v1/nodes/${name}`);
  if (r.status !== 200) return false;
  const node = JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

let namespaces = 0;
async function makeNamespace(api: KubeApi, t: Pick<TestContext, 'after'>): Promise<string> {
  const name = `t${process.pid}-${++namespaces}`;
  await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  t.after(() => api.raw('DELETE', `/api/v1/namespaces/${name}`));
  // Pods are refused until the service-account controller has made the namespace's default account.
  await until(
    `service account default in ${name}`,
    async () =>
      (await api.raw('GET', `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200
        ? true
        : undefined,
    30_000,
  );
  return name;
}

const handleOf = (n: KubeNode): KubeNodeHandle => ({
  server: n.server,
  kubeconfig: n.kubeconfig,
  ca: n.ca,
  admin: n.admin,
  registry: n.registry,
  nodeName: n.nodeName,
  nodeIp: n.nodeIp,
  bin: n.bin,
  dir: n.dir,
  ...(n.apiserverArgs && { apiserverArgs: n.apiserverArgs }),
});

/** A node started by another process (scripts/kube-node/up.ts, or a global setup): used, never stopped. */
export async function attachKubeNode(handleFile: string): Promise<KubeNode> {
  const h = JSON.parse(await readFile(handleFile, 'utf8')) as KubeNodeHandle;
  const api = await kubeApi(h.server, { ca: h.ca, ...h.admin });
  return {
    ...h,
    api,
    namespace: (t) => makeNamespace(api, t),
    logs: (name, lines = 40) => tail(readFileSync(join(h.dir, 'logs', `${name}.log`), 'utf8'), lines),
  };
}

/** The binaries' folder from build.sh: seconds when cached, a cold build (with progress) otherwise. */
function buildBinaries(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts/kube-node/build.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out.trim().split('\n').at(-1)!)
        : reject(new Error(`scripts/kube-node/build.sh failed (${code})`)),
    );
  });
}

/** A daemon whose output goes to a file (kept for a post-mortem), read back for failure messages. */
export function spawnLogged(cmd: string, args: string[], logFile: string): Daemon {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let failed = '';
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      failed = `could not start '${cmd}' (${e.message}); scripts/kube-node/install-debs.sh installs it`;
      resolve();
    });
  });
  return { child, exited, logs: () => failed || readFileSync(logFile, 'utf8').slice(-1 << 16) };
}

const tail = (text: string, lines: number) =>
  text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');

/**
 * Registers a before/after pair at a test file's top level: the node comes up once for the file
 * (or is attached to through MODELSHIP_KUBE_NODE) and always goes down after its last test.
 */
export function kubeNodeFixture() {
  let node: KubeNode | undefined;
  let owned: RunningNode | undefined;
  let unavailable: string | undefined;
  before(
    async () => {
      unavailable = await whyNoKubeNode();
      if (unavailable) {
        say(
          `\n${'!'.repeat(78)}\n!! NO KUBERNETES NODE ON THIS MACHINE: ${unavailable}\n!! the tests that need one are SKIPPED\n${'!'.repeat(78)}`,
        );
        return;
      }
      const attach = process.env.MODELSHIP_KUBE_NODE;
      if (!attach) owned = await startKubeNode();
      node = owned ?? (await attachKubeNode(attach!));
    },
    { timeout: 40 * 60_000 },
  );
  after(async () => {
    const failures = (await owned?.stop()) ?? [];
    if (failures.length) throw new Error(`the test node was not fully torn down: ${failures.join('; ')}`);
  });
  return {
    /** The node, or undefined after skipping `t` (loudly) where this machine cannot run one. */
    use(t: Pick<TestContext, 'skip'>): KubeNode | undefined {
      if (unavailable) {
        t.skip(`no Kubernetes node on this machine: ${unavailable}`);
        return undefined;
      }
      if (!node) throw new Error('the test node did not start (see the before hook)');
      return node;
    },
    /** The node this file started (undefined when attached to another process's): its stop is ours. */
    owned: () => owned,
  };
}
