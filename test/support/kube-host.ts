/**
 * What the test node changes on the host, and how each change is undone: the node's bridge, sysctls,
 * its cgroup subtree, mounts under its folder, iptables chains (KUBE-*, CNI-*), processes by PID, and
 * containerd's shims found by the node's own socket path. Teardown runs every undo even when one
 * fails, and the same undo runs at the next start for a node whose owner died without it (a killed
 * test process): the record of what was changed is written before anything is changed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sh = promisify(execFile);

/** Sysctls the node sets (ip_forward) or its components set (kubelet, kube-proxy): restored after. */
export const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

/** Everything needed to undo a node, written to disk before the first change. */
export interface HostRecord {
  dir: string;
  bridge: string;
  cgroupRoot: string;
  containerdSocket: string;
  sysctls: Record<string, string>;
  pids: number[];
  /** The process that owns the node: while it lives, nobody else tears the node down. */
  owner: number;
  /** Which of RUNTIME_DIRS existed before the node: the others are removed again when empty. */
  runtimeDirsBefore: string[];
}

/** Folders containerd 1.6 and libcni create at fixed paths. */
export const RUNTIME_DIRS = [
  '/run/containerd/s',
  '/run/containerd/fifo',
  '/run/containerd',
  '/var/lib/cni/results',
  '/var/lib/cni',
];

const CGROUP = '/sys/fs/cgroup';

export async function readSysctls(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of SYSCTLS) {
    const value = await readFile(`/proc/sys/${key}`, 'utf8').catch(() => undefined);
    if (value !== undefined) out[key] = value.trim();
  }
  return out;
}

export const setSysctl = (key: string, value: string) => writeFile(`/proc/sys/${key}`, `${value}\n`);

export async function createBridge(name: string, cidrAddress: string) {
  // Only the lock's holder gets here: a bridge of this name is a dead node's, whose record was lost.
  if (await linkExists(name)) await ip('link', 'del', name);
  await ip('link', 'add', name, 'type', 'bridge');
  await ip('addr', 'add', cidrAddress, 'dev', name);
  await ip('link', 'set', name, 'up');
}

/** The cgroup v1 controllers the kubelet uses, each with the node's own root made in it. */
export async function createCgroupRoot(root: string) {
  for (const controller of await cgroupControllers()) {
    const path = join(CGROUP, controller, root);
    await import('node:fs/promises').then((fs) => fs.mkdir(path, { recursive: true }));
    if (controller === 'cpuset') {
      // A new cpuset starts empty and no task may join it until cpus and mems are copied from the parent.
      for (const f of ['cpuset.cpus', 'cpuset.mems'])
        await writeFile(join(path, f), await readFile(join(CGROUP, controller, f), 'utf8'));
    }
  }
}

export async function cgroupControllers(): Promise<string[]> {
  const entries = await readdir(CGROUP, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && e.name !== 'unified').map((e) => e.name);
}

/** Runs every undo in order, collecting failures rather than stopping at the first. */
export async function undo(r: HostRecord, stopDaemons: () => Promise<void>): Promise<string[]> {
  const failures: string[] = [];
  const step = async (what: string, fn: () => Promise<unknown>) => {
    await fn().catch((e: unknown) => failures.push(`${what}: ${(e as Error).message}`));
  };
  await step('stop pods', () => killCgroupTree(r.cgroupRoot));
  await step('stop daemons', stopDaemons);
  await step('kill recorded processes', () => killPids(r.pids, r.dir));
  await step('kill shims', () => killShims(r.dir));
  await step('stop pods again', () => killCgroupTree(r.cgroupRoot));
  await step('unmount', () => unmountUnder(r.dir));
  await step('remove cgroups', () => removeCgroupTree(r.cgroupRoot));
  await step('iptables', () => removeChains());
  await step('bridge', () => ip('link', 'del', r.bridge).catch(ignoreMissing));
  await step('sysctls', async () => {
    for (const [key, value] of Object.entries(r.sysctls)) await setSysctl(key, value).catch(() => {});
  });
  await step('runtime files outside the folder', () => removeRuntimeFiles(r));
  await step('folder', () => rm(r.dir, { recursive: true, force: true, maxRetries: 3 }));
  await step('check', () => checkUndone(r));
  return failures;
}

/**
 * Two things containerd 1.6 and libcni keep at fixed paths, per container: the shim's socket
 * (/run/containerd/s/<sha256 of address/namespace/id>) and the CNI result cache
 * (/var/lib/cni/results/<network>-<id>-<ifname>). A killed shim leaves both; the ids are the task
 * folders under the node's own state dir.
 */
async function removeRuntimeFiles(r: HostRecord) {
  const tasks = join(r.dir, 'containerd/state/io.containerd.runtime.v2.task');
  const ids: string[] = [];
  for (const ns of await readdir(tasks).catch(() => []))
    for (const id of await readdir(join(tasks, ns)).catch(() => [])) {
      ids.push(id);
      const hash = createHash('sha256')
        .update(join(r.containerdSocket, ns, id))
        .digest('hex');
      await rm(join('/run/containerd/s', hash), { force: true });
    }
  // A sandbox stopped just before teardown may have no task folder left but still a cached result.
  const results = '/var/lib/cni/results';
  const names = await readdir(results).catch(() => []);
  for (const name of names) ids.push(/^modelship-kube-([0-9a-f]{64})-/.exec(name)?.[1] ?? '');
  for (const name of names)
    if (ids.some((id) => id && name.includes(`-${id}-`))) await rm(join(results, name), { force: true });
  for (const dir of RUNTIME_DIRS)
    if (!(r.runtimeDirsBefore ?? RUNTIME_DIRS).includes(dir)) await rmdir(dir).catch(() => {});
}

/** What teardown promises, looked at afresh: a leftover fails this run rather than the next one. */
async function checkUndone(r: HostRecord) {
  const left: string[] = [];
  const pids = await processesNaming(r.dir);
  if (pids.length) left.push(`processes ${pids.join(', ')}`);
  const mounts = await mountsUnder(r.dir);
  if (mounts.length) left.push(`mounts ${mounts.join(', ')}`);
  const chains = await leftoverChains();
  if (chains.length) left.push(`iptables chains ${chains.join(', ')}`);
  if (await linkExists(r.bridge)) left.push(`bridge ${r.bridge}`);
  const cached = (await readdir('/var/lib/cni/results').catch(() => [])).filter((n) =>
    n.startsWith('modelship-kube-'),
  );
  if (cached.length) left.push(`CNI results ${cached.join(', ')}`);
  for (const [key, value] of Object.entries(await readSysctls()))
    if (key in r.sysctls && r.sysctls[key] !== value)
      left.push(`sysctl ${key}=${value} (was ${r.sysctls[key]})`);
  if (left.length) throw new Error(`left behind: ${left.join('; ')}`);
}

/** PIDs whose command line names `text` (the node's folder), this process excepted. */
export async function processesNaming(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) out.push(Number(name));
  }
  return out;
}

const ignoreMissing = (e: { stderr?: string }) => {
  if (!/Cannot find device|does not exist/.test(e.stderr ?? '')) throw e;
};

/** Only a process whose command line names the node's folder: a recycled PID is left alone. */
async function killPids(pids: number[], dir: string) {
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) kill(pid, 'SIGKILL');
  }
}

/** containerd's shims outlive it on purpose (setsid); ours name our socket on their command line. */
async function killShims(dir: string) {
  for (const pid of await processesNaming(dir)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('/usr/bin/containerd-shim')) kill(pid, 'SIGKILL');
  }
}

function kill(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {}
}

async function cgroupDirs(root: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const controller of await cgroupControllers()) {
    const walk = async (dir: string) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
      dirs.push(dir);
    };
    await walk(join(CGROUP, controller, root));
  }
  return dirs; // children before parents
}

/** Every process the kubelet put in the node's cgroups (containers, pause), killed; the pids cgroup sees all. */
async function killCgroupTree(root: string) {
  for (let round = 0; round < 20; round++) {
    let found = 0;
    for (const dir of await cgroupDirs(root)) {
      const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const pid of procs.split('\n').filter(Boolean)) {
        found++;
        kill(Number(pid), 'SIGKILL');
      }
    }
    if (!found) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`processes still in cgroup ${root}`);
}

async function removeCgroupTree(root: string) {
  for (const dir of await cgroupDirs(root)) await rmdir(dir).catch(() => {});
}

/** Mounts under `dir`, deepest first, detached (a busy one goes when its last user does). */
export async function unmountUnder(dir: string) {
  const mounts = await mountsUnder(dir);
  for (const m of mounts.sort((a, b) => b.length - a.length))
    await sh('umount', ['-l', m]).catch((e: { stderr?: string }) => {
      if (!/not mounted|no mount point/.test(e.stderr ?? '')) throw e;
    });
  const left = await mountsUnder(dir);
  if (left.length) throw new Error(`still mounted: ${left.join(', ')}`);
}

export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(`${dir}/`)))
    .map((p) => p.replace(/\\040/g, ' '));
}

/** Rules jumping to, and chains named, KUBE-* or CNI-*, in every table the components write. */
export async function removeChains() {
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const saved = (await sh(`${tool}-save`, ['-t', table])).stdout;
      const ours = /(^:(KUBE|CNI)-)|(-[jg] (KUBE|CNI)-)|(^-A (KUBE|CNI)-)/;
      if (!saved.split('\n').some((l) => ours.test(l))) continue;
      const kept = saved
        .split('\n')
        .filter((l) => !ours.test(l))
        .join('\n');
      await run(`${tool}-restore`, ['-T', table], kept);
    }
  }
}

/** The chains the node left, for the test that checks teardown. */
export async function leftoverChains(): Promise<string[]> {
  const left: string[] = [];
  for (const tool of ['iptables', 'ip6tables'])
    for (const table of ['filter', 'nat', 'mangle']) {
      const saved = (await sh(`${tool}-save`, ['-t', table])).stdout;
      for (const m of saved.matchAll(/^:((KUBE|CNI)-\S+)/gm)) left.push(`${tool} ${table} ${m[1]}`);
    }
  return left;
}

function run(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, (e, _out, stderr) =>
      e ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || e.message}`)) : resolve(),
    );
    child.stdin!.end(input);
  });
}

export async function ip(...args: string[]) {
  return sh('ip', args);
}

export async function linkExists(name: string): Promise<boolean> {
  return ip('link', 'show', name).then(
    () => true,
    () => false,
  );
}
