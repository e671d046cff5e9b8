/**
 * Which execution provider a session runs on. `auto` takes the GPU when the runner has one and
 * it works, and says why when it falls back to CPU; a GPU that was asked for by name and is not
 * usable is the user's to fix, never a silent CPU run that would make latency gates lie.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { NativeKey } from '../platform/native.ts';

export const DEVICES = ['auto', 'cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];

export interface DevicePlan {
  device: Exclude<Device, 'auto'>;
  /** onnxruntime-node execution providers, in order of preference. */
  providers: string[];
  /** Which build of onnxruntime-node has these providers. */
  native: NativeKey;
}

export const PLANS: Record<Exclude<Device, 'auto'>, DevicePlan> = {
  cpu: { device: 'cpu', providers: ['cpu'], native: 'onnxruntime' },
  cuda: { device: 'cuda', providers: ['cuda', 'cpu'], native: 'onnxruntime-cuda' },
  tensorrt: { device: 'tensorrt', providers: ['tensorrt', 'cuda', 'cpu'], native: 'onnxruntime-cuda' },
  // Dawn ships inside the plain package; it reaches an NVIDIA GPU through Vulkan.
  webgpu: { device: 'webgpu', providers: ['webgpu', 'cpu'], native: 'onnxruntime' },
};

export interface GpuProbe {
  present: boolean;
  /** What was found, or why none was: shown in the notice when `auto` picks CPU. */
  detail: string;
}

/**
 * An NVIDIA GPU is visible when the driver exposes its device nodes; the driver's version
 * file says which. `CUDA_VISIBLE_DEVICES=""` or `-1` hides every GPU, as CUDA itself reads it.
 */
export function probeGpu(env: NodeJS.ProcessEnv = process.env, root = '/'): GpuProbe {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) {
    return { present: false, detail: `CUDA_VISIBLE_DEVICES='${visible}' hides every GPU` };
  }
  if (process.platform !== 'linux')
    return { present: false, detail: `no CUDA support on ${process.platform}` };
  if (!existsSync(`${root}dev/nvidiactl`) || !existsSync(`${root}dev/nvidia0`)) {
    return { present: false, detail: 'no NVIDIA GPU is visible (no /dev/nvidia0)' };
  }
  const version = `${root}proc/driver/nvidia/version`;
  const driver = existsSync(version) ? readFileSync(version, 'utf8').split('\n')[0]?.trim() : undefined;
  return { present: true, detail: driver ?? 'NVIDIA GPU at /dev/nvidia0' };
}
