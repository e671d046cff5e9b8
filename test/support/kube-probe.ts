/**
 * Whether this machine can run the test node at all, and if not, why: only a missing kernel or
 * privilege feature counts (not root, no cgroup v1 controllers, no overlayfs, no bridges, no
 * iptables). A missing Debian package is not a reason to skip: build.sh installs them.
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const sh = promisify(execFile);

export async function whyNoKubeNode(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `the node runs on Linux only, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'not root (containerd, the kubelet and kube-proxy need root)';
  for (const controller of ['memory', 'pids', 'cpu', 'cpuset', 'devices', 'freezer'])
    if (
      !(await access(`/sys/fs/cgroup/${controller}/cgroup.procs`).then(
        () => true,
        () => false,
      ))
    )
      return `no cgroup v1 '${controller}' controller at /sys/fs/cgroup/${controller} (kubelet 1.20 with cgroupfs needs it)`;
  const filesystems = await readFile('/proc/filesystems', 'utf8');
  if (!/\boverlay\b/.test(filesystems))
    return 'the kernel has no overlay filesystem (containerd snapshots need it)';
  const probe = `mskprobe${process.pid % 10000}`;
  try {
    await sh('ip', ['link', 'add', probe, 'type', 'bridge']);
    await sh('ip', ['link', 'del', probe]);
  } catch (e) {
    return `cannot create a network bridge (${firstLine(e)})`;
  }
  try {
    await sh('iptables-save', ['-t', 'nat']);
  } catch (e) {
    return `iptables does not work here (${firstLine(e)})`;
  }
  return undefined;
}

const firstLine = (e: unknown) =>
  ((e as { stderr?: string }).stderr || (e as Error).message).trim().split('\n')[0];
