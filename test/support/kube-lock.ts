/**
 * One test node per machine at a time: two would fight over kube-proxy's iptables chains and the
 * bridge. The owner holds a lock folder with its PID; a node whose owner died (a test process killed
 * before its `after` ran) is torn down from its record by the next one to start.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HostRecord, undo } from './kube-host.ts';

export const STATE_DIR = process.env.MODELSHIP_KUBE_STATE_DIR ?? '/run/modelship-kube-node';
const LOCK = join(STATE_DIR, 'lock');
const RECORD = join(STATE_DIR, 'record.json');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Waits while another live process owns a node; clears a dead owner's node first. */
export async function acquireNodeLock(say: (line: string) => void, timeoutMs: number): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'owner'), `${process.pid}\n`);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(await readFile(join(LOCK, 'owner'), 'utf8').catch(() => '0'));
    if (owner && owner !== process.pid && alive(owner)) {
      if (Date.now() > deadline) throw new Error(`the test node is still held by process ${owner}`);
      if (!told) say(`waiting for the test node of process ${owner} to stop`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    await clearStale(say);
    await rm(LOCK, { recursive: true, force: true });
  }
}

export async function releaseNodeLock() {
  await rm(RECORD, { force: true });
  await rm(LOCK, { recursive: true, force: true });
}

export const writeRecord = (r: HostRecord) => writeFile(RECORD, JSON.stringify(r, null, 2));

async function clearStale(say: (line: string) => void) {
  const text = await readFile(RECORD, 'utf8').catch(() => undefined);
  if (!text) return;
  const record = JSON.parse(text) as HostRecord;
  say(`tearing down the test node left by process ${record.owner} in ${record.dir}`);
  const failures = await undo(record, async () => {});
  if (failures.length) say(`could not undo all of it: ${failures.join('; ')}`);
  await rm(RECORD, { force: true });
}
