/**
 * A second kube-apiserver for the test node, as a highly available control plane runs several: the
 * node's own binary, etcd, certificates, service-account keys and flags, on a port of its own on
 * 127.0.0.1. A test gives a step a kubeconfig pointing at it, then stops it and starts it again: a
 * real API server going away mid-rollout and coming back, while the node's own keeps serving the
 * controllers and every other test. It never touches the `kubernetes` Service's endpoints
 * (`--endpoint-reconciler-type=none`): those stay the node's API server's.
 *
 * Each run writes an audit log of its own (every request it served, at Metadata level), so a test
 * can see which requests reached which run; its output goes to a log file in `dir`.
 *
 *   const extra = await extraApiServer(t, node, dir);  // started; always killed when the test ends
 *   await extra.stop();                                // SIGKILL, and waits for the exit
 *   await extra.start();                               // run 2, on the same port
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type Daemon, onFreePort, running, terminate, waitReady } from './daemon.ts';
import { type KubeApi, kubeApi } from './kube-api.ts';
import { processesNaming } from './kube-host.ts';
import { type KubeNode, spawnLogged } from './kube-node.ts';

export interface ExtraApiServer {
  /** `https://127.0.0.1:PORT`, the same for every run. */
  server: string;
  /** The node's admin kubeconfig (its content), pointing at this server. */
  kubeconfig: string;
  /** Starts the next run on the same port and waits until it is ready; resolves with its number. */
  start(): Promise<number>;
  /**
   * SIGKILL, then waits for the exit: the server goes at once, as a crashed one does. A SIGTERM
   * drains for seconds first, keeping open watches served, and a quick rollout ends meanwhile.
   */
  stop(): Promise<void>;
  /** What run `n` (from 1) served. */
  audit(n: number): Promise<AuditEvent[]>;
}

export interface AuditEvent {
  verb: string;
  stage: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string };
}

const READY_MS = 180_000;

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

export async function extraApiServer(
  t: Pick<TestContext, 'after'>,
  node: KubeNode,
  dir: string,
): Promise<ExtraApiServer> {
  const base = withoutFlags(await flagsOf(node), ['--secure-port', '--cert-dir']);
  const policy = join(dir, 'apiserver-audit-policy.yaml');
  await writeFile(policy, POLICY);
  let daemon: Daemon | undefined;
  let runs = 0;
  let port = 0;
  let api: KubeApi | undefined;
  // Killed whatever happens: at the test's end, and when this process exits without it.
  const kill = () => daemon?.child.kill('SIGKILL');
  process.once('exit', kill);
  t.after(async () => {
    process.off('exit', kill);
    if (daemon) await terminate(daemon);
  });

  const launch = (p: number) => {
    runs++;
    daemon = spawnLogged(
      join(node.bin, 'kube-apiserver'),
      [
        ...base,
        `--secure-port=${p}`,
        `--cert-dir=${dir}`,
        '--endpoint-reconciler-type=none',
        `--audit-policy-file=${policy}`,
        `--audit-log-path=${auditFile(dir, runs)}`,
      ],
      join(dir, 'extra-apiserver.log'),
    );
    return daemon;
  };
  const ready = async () => (await api!.raw('GET', '/readyz')).status === 200;
  const extra: ExtraApiServer = {
    server: '',
    kubeconfig: '',
    async start() {
      const d = launch(port);
      const outcome = await waitReady(d, ready, READY_MS, 250);
      if (outcome !== 'ready')
        throw new Error(`the extra API server did not come back (${outcome}):\n${d.logs().slice(-4000)}`);
      return runs;
    },
    async stop() {
      if (!daemon || !running(daemon)) return;
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    },
    audit: async (n) =>
      (await readFile(auditFile(dir, n), 'utf8').catch(() => ''))
        .split('\n')
        .slice(0, -1) // the line being written, if any
        .map((line) => JSON.parse(line) as AuditEvent),
  };
  await onFreePort(
    'the extra API server',
    async (p) => {
      // A try the port was taken from is not a run: the first that comes up is run 1.
      runs = 0;
      port = p;
      extra.server = `https://127.0.0.1:${p}`;
      api = await kubeApi(extra.server, { ca: node.ca, ...node.admin });
      return launch(p);
    },
    () => ready(),
    { timeoutMs: READY_MS, intervalMs: 250, own: () => {} },
  );
  extra.kubeconfig = (await readFile(node.kubeconfig, 'utf8')).replace(node.server, extra.server);
  return extra;
}

const auditFile = (dir: string, run: number) => join(dir, `apiserver-audit-${run}.log`);

const withoutFlags = (args: string[], names: string[]) =>
  args.filter((a) => !names.some((n) => a.startsWith(`${n}=`)));

/** The node's API server flags: from its handle, or (a handle from before it carried them) off its running process. */
async function flagsOf(node: KubeNode): Promise<string[]> {
  if (node.apiserverArgs) return node.apiserverArgs;
  for (const pid of await processesNaming(`--cert-dir=${node.dir}/pki`)) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.endsWith('/kube-apiserver')) return argv.slice(1).filter(Boolean);
  }
  throw new Error(`no kube-apiserver of the node in ${node.dir} is running to copy the flags of`);
}
