/**
 * A model file a target handed back (local, github, gitlab) pushed as an OCI artifact under the
 * key's tag, exactly as the job pushes it on Kubernetes: build-image with `--runtime artifact`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '../../platform/port.ts';
import { buildImageSpec } from '../build-image/spec.ts';
import { parseInputs } from '../spec.ts';
import type { TrainDispatchInputs } from './spec.ts';

export async function collect(
  file: string,
  repository: string,
  tag: string,
  annotations: Record<string, string>,
  inputs: TrainDispatchInputs,
  platform: Platform,
  signal: AbortSignal,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modelship-collect-'));
  try {
    const raw = {
      model: file,
      name: repository,
      tags: tag,
      runtime: 'artifact',
      push: 'true',
      annotations: Object.entries(annotations)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      'registry-username': inputs['registry-username'],
      'registry-password': inputs['registry-password'],
      'insecure-registry': String(inputs['insecure-registry']),
      report: join(dir, 'build-image.json'),
    };
    const buildInputs = await parseInputs(buildImageSpec, raw, (n) => n);
    const { run } = await import('../build-image/run.ts');
    const pushed = await run(buildInputs, platform, signal);
    return String(pushed.outputs.image);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
